/**
 * chant-bot's web and worker roles in one process, started by app-stack.ts
 * as a child process of its own: what `chant-bot start` builds (the logger,
 * the secrets read from the environment, Probot, the webhook server, both
 * workers), so that the canary secrets are in this process's real
 * environment (`/proc/<pid>/environ`, which its children can read), and the
 * pino log is the real one, on stdout. One difference, for speed: Probot's
 * write throttling (1-3 s between writes) is off, as in the other
 * end-to-end tests. Health, metrics and the dashboard are left out.
 */
import { createProbot, ProbotOctokit } from "probot";
import { agentFromEnv } from "../../src/agents/agent-from-env.js";
import { readAppEnv } from "../../src/cli/app-env.js";
import { secretsFromEnv } from "../../src/cli/process-secrets.js";
import { createLogger } from "../../src/observability/logger.js";
import { ChantQueues } from "../../src/queue/chant-queues.js";
import { RedisMutex } from "../../src/queue/redis-mutex.js";
import { chantBotApp } from "../../src/web/app.js";
import { createWebServer } from "../../src/web/http-server.js";
import { githubForges } from "../../src/worker/forge-factory.js";
import { startWorkers } from "../../src/worker/start-workers.js";
import { openSandbox } from "../../src/sandbox/sandbox-from-env.js";
import { RedisStatusCommentStore } from "../../src/queue/redis-status-store.js";

const UnthrottledOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  throttle: { ...(options.throttle as object), enabled: false },
}));

const env = process.env;
const appEnv = readAppEnv(env);
const secrets = secretsFromEnv({ ...env, PRIVATE_KEY: appEnv.privateKey });
const log = createLogger({ level: env.LOG_LEVEL, format: "json", secrets });
const queues = await ChantQueues.open(appEnv.queue);
const probot = createProbot({
  env: {
    ...env,
    APP_ID: String(appEnv.appId),
    PRIVATE_KEY: appEnv.privateKey,
    WEBHOOK_SECRET: appEnv.webhookSecret,
  },
  overrides: { log, Octokit: UnthrottledOctokit },
});
const mutex = new RedisMutex(queues.redis, queues.prefix);
await probot.load(chantBotApp({ queues, appId: appEnv.appId, mutex }));
const server = createWebServer({ probot, webhookSecret: appEnv.webhookSecret, log });
await new Promise<void>((resolve) => server.listen(appEnv.port, "127.0.0.1", resolve));
const agent = agentFromEnv(env);
const workers = await startWorkers({
  settings: appEnv.queue,
  queues,
  forges: githubForges({
    probot,
    appId: appEnv.appId,
    mutex,
    log,
    secrets,
    statusStore: new RedisStatusCommentStore(queues.redis, queues.prefix),
  }),
  agent,
  sandbox: await openSandbox(env, { workRoot: appEnv.workRoot, log, programs: agent.programs }),
  workRoot: appEnv.workRoot,
  secrets,
  log,
  concurrency: appEnv.concurrency,
  shutdownGraceMs: 2000,
});
log.info("security app: ready");

process.once("SIGTERM", () => {
  void (async () => {
    await new Promise((resolve) => server.close(resolve));
    await workers.close();
    await queues.close();
    log.info("security app: stopped");
    process.exit(0);
  })();
});
