/**
 * chant-bot's web role exactly as `chant-bot web` wires it (src/cli/start-roles.ts:
 * real queues on Redis, the Redis mutex, metrics, createWebServer + chantBotApp),
 * with ONE difference: Probot's Octokit throttle is off. The throttle spaces
 * writes to GitHub 1 s apart (3 s for comments) per installation, so with it
 * on a burst of enqueueing deliveries measures the throttle, not the app; the
 * bench measures both. Prints its port.
 */
import type { AddressInfo } from "node:net";
import { createProbot, ProbotOctokit } from "probot";
import { readAppEnv } from "../../src/cli/app-env.js";
import { secretsFromEnv } from "../../src/cli/process-secrets.js";
import type { Octokit } from "../../src/forge/github/octokit.js";
import { createLogger, logFormatFromEnv } from "../../src/observability/logger.js";
import { createMetrics, instrumentOctokit } from "../../src/observability/metrics.js";
import { ChantQueues } from "../../src/queue/chant-queues.js";
import { RedisMutex } from "../../src/queue/redis-mutex.js";
import { chantBotApp } from "../../src/web/app.js";
import { createWebServer } from "../../src/web/http-server.js";

const env = process.env;
const appEnv = readAppEnv(env);
const secrets = secretsFromEnv({ ...env, PRIVATE_KEY: appEnv.privateKey });
const log = createLogger({ level: env.LOG_LEVEL, format: logFormatFromEnv(env), secrets });
const queues = await ChantQueues.open(appEnv.queue);
const metrics = createMetrics({ queues });
const Octokit = ProbotOctokit.plugin((octokit) => {
  instrumentOctokit(octokit as unknown as Octokit, metrics);
  return {};
}).defaults((options: Record<string, unknown>) => ({
  ...options,
  // A function, so it wins over the throttle options Probot passes per instance.
  throttle: { ...(options.throttle as object), enabled: false },
}));
const probot = createProbot({
  env: { ...env, APP_ID: String(appEnv.appId), PRIVATE_KEY: appEnv.privateKey },
  overrides: { log, Octokit },
});
await probot.load(
  chantBotApp({
    queues,
    appId: appEnv.appId,
    mutex: new RedisMutex(queues.redis, queues.prefix),
    metrics,
  }),
);
const server = createWebServer({ probot, webhookSecret: appEnv.webhookSecret, log, metrics });
server.listen(appEnv.port, "127.0.0.1", () => {
  log.info(`web: listening on port ${(server.address() as AddressInfo).port}`);
});
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => void queues.close().finally(() => process.exit(0)));
});
