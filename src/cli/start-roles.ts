import type { Server } from "node:http";
import type { Logger } from "pino";
import { createProbot, ProbotOctokit } from "probot";
import { AgentConfigError, agentFromEnv } from "../agents/agent-from-env.js";
import { type Agent } from "../agents/agent.js";
import { AgentHealth, checkAgent, watchedAgent } from "../agents/preflight.js";
import type { Octokit } from "../forge/github/octokit.js";
import { withRateLimitPolicy } from "../forge/github/rate-limit.js";
import { createMetrics, instrumentOctokit, type Metrics } from "../observability/metrics.js";
import { workerMetricsHooks } from "../worker/worker-metrics.js";
import { ChantQueues, redactUrl } from "../queue/chant-queues.js";
import { RedisMutex } from "../queue/redis-mutex.js";
import { chantBotApp } from "../web/app.js";
import { BackgroundWork } from "../web/background-work.js";
import { createWebServer, DEFAULT_WEBHOOK_PATH, type Route } from "../web/http-server.js";
import { adminDashboardRoute } from "../web/routes/admin-dashboard.js";
import { checkRedisForBullMQ, healthRoutes } from "../web/routes/health.js";
import { metricsRoute } from "../web/routes/metrics.js";
import { githubForges } from "../worker/forge-factory.js";
import { startWorkers, type RunningWorkers } from "../worker/start-workers.js";
import { SandboxConfigError, type Sandbox } from "../sandbox/sandbox.js";
import { openSandbox } from "../sandbox/sandbox-from-env.js";
import { StartupError, type AppEnv } from "./app-env.js";
import { RedisStatusCommentStore } from "../queue/redis-status-store.js";

export type Role = "web" | "worker";

export interface RunningApp {
  server: Server;
  workers: RunningWorkers | undefined;
  queues: ChantQueues;
  metrics: Metrics;
  /** Graceful stop: no new deliveries or jobs; running jobs finish or go back to the queue. */
  stop(): Promise<void>;
}

export interface StartOptions {
  roles: readonly Role[];
  appEnv: AppEnv;
  env: NodeJS.ProcessEnv;
  log: Logger;
  secrets: readonly string[];
}

/**
 * Start the web role (webhooks, health, metrics, dashboard), the worker role
 * (both queues), or both in one process. Fails fast with a StartupError when
 * Redis or the agent configuration is not usable.
 */
export async function startRoles(options: StartOptions): Promise<RunningApp> {
  const { appEnv, log, roles } = options;
  if (roles.includes("web")) for (const warning of appEnv.warnings) log.warn(warning);
  const ready = roles.includes("worker") ? await readyAgent(options) : undefined;
  const agent = ready?.agent;
  const sandbox = ready?.sandbox;
  const health = ready?.health;

  const queues = await openQueues(appEnv, log);

  const metrics = createMetrics({ queues });
  // `defaults` with a function: Probot passes its own throttle options per instance, which
  // an object would not override.
  const Octokit = ProbotOctokit.plugin((octokit) => {
    instrumentOctokit(octokit as unknown as Octokit, metrics);
    return {};
  }).defaults((options: Record<string, unknown>) => withRateLimitPolicy(options));
  const probot = createProbot({
    env: {
      ...options.env,
      APP_ID: String(appEnv.appId),
      PRIVATE_KEY: appEnv.privateKey,
      WEBHOOK_SECRET: appEnv.webhookSecret,
    },
    overrides: { log, Octokit },
  });
  const mutex = new RedisMutex(queues.redis, queues.prefix);

  // Every process serves health and metrics (a worker's job metrics live in the worker);
  // only the web role receives webhooks.
  const web = roles.includes("web");
  // Acknowledgements run after the answer to GitHub (see acknowledge in web-deps).
  const background = new BackgroundWork();
  if (web)
    await probot.load(
      chantBotApp({ queues, appId: appEnv.appId, mutex, metrics, defer: background.add }),
    );
  const routes: Route[] = [
    ...healthRoutes({
      queues,
      redisUrl: appEnv.queue.redisUrl,
      agent: health ? () => health.status : undefined,
      agentGatesReadiness: !web,
    }),
    metricsRoute(metrics, { token: appEnv.metricsToken }),
  ];
  const dashboard =
    web && appEnv.admin ? adminDashboardRoute({ queues, ...appEnv.admin }) : undefined;
  if (dashboard) routes.push(dashboard);
  const server = createWebServer({
    probot: web ? probot : undefined,
    webhookSecret: appEnv.webhookSecret,
    webhookInflightBytes: appEnv.webhookInflightBytes,
    log,
    routes,
    metrics,
  });
  const port = await listen(server, appEnv);
  log.info(
    web
      ? `web: listening on port ${port}; webhooks at ${DEFAULT_WEBHOOK_PATH}`
      : `worker: health and metrics on port ${port}`,
  );

  let workers: RunningWorkers | undefined;
  if (agent && sandbox && health) {
    workers = await startWorkers({
      settings: appEnv.queue,
      queues,
      forges: githubForges({
        probot,
        appId: appEnv.appId,
        mutex,
        log,
        secrets: options.secrets,
        statusStore: new RedisStatusCommentStore(queues.redis, queues.prefix),
      }),
      agent: watchedAgent(agent, health),
      sandbox,
      workRoot: appEnv.workRoot,
      secrets: options.secrets,
      log,
      concurrency: appEnv.concurrency,
      shutdownGraceMs: appEnv.shutdownGraceMs,
      jobLockMs: appEnv.jobLockMs,
      ...workerMetricsHooks(metrics, agent),
    });
    log.info(
      `worker: taking jobs (agent ${health.description}, ${appEnv.concurrency.implement} implement / ${appEnv.concurrency.checks} checks at a time)`,
    );
  }

  return {
    server,
    workers,
    queues,
    metrics,
    async stop() {
      await new Promise((resolve) => server.close(resolve));
      await background.drain(10_000);
      await workers?.close();
      await queues.close();
    },
  };
}

/** The worker's agent, in its sandbox, checked before any job is taken (refused in one line otherwise). */
async function readyAgent(
  options: StartOptions,
): Promise<{ agent: Agent; sandbox: Sandbox; health: AgentHealth }> {
  const { appEnv, log } = options;
  const agent = agentOrRefuse(options.env);
  try {
    const sandbox = await openSandbox(options.env, {
      workRoot: appEnv.workRoot,
      log,
      programs: agent.programs,
    });
    // Its program runs in the sandbox, knows our flags, and has a credential to use.
    const check = await checkAgent(agent, sandbox, {
      env: options.env,
      workRoot: appEnv.workRoot,
    });
    return { agent, sandbox, health: new AgentHealth(check.description) };
  } catch (error) {
    if (error instanceof SandboxConfigError || error instanceof AgentConfigError)
      throw new StartupError(error.message);
    throw error;
  }
}

/** The queues, or a StartupError that says how to get Redis; BullMQ's needs from Redis are checked. */
async function openQueues(
  appEnv: StartOptions["appEnv"],
  log: StartOptions["log"],
): Promise<ChantQueues> {
  let queues: ChantQueues;
  try {
    queues = await ChantQueues.open(appEnv.queue);
  } catch (error) {
    throw new StartupError(
      `Cannot reach Redis at ${redactUrl(appEnv.queue.redisUrl)} (${(error as Error).message}). Start Redis (>= 6.2) or set CHANT_REDIS_URL.`,
    );
  }
  const redisWarnings = await checkRedisForBullMQ(queues.redis).catch((error: unknown) => [
    `could not check Redis's settings for BullMQ (${(error as Error).message}); make sure maxmemory-policy is noeviction`,
  ]);
  for (const warning of redisWarnings) log.warn(warning);
  return queues;
}

/** Listen on PORT; a port in use is a StartupError that says so. Returns the port bound. */
async function listen(server: Server, appEnv: StartOptions["appEnv"]): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new StartupError(
          error.code === "EADDRINUSE"
            ? `Port ${appEnv.port} is already in use: set PORT to a free one.`
            : `Cannot listen on port ${appEnv.port}: ${error.message}`,
        ),
      ),
    );
    server.listen(appEnv.port, appEnv.host, resolve);
  });
  const address = server.address();
  return typeof address === "object" && address ? address.port : appEnv.port;
}

function agentOrRefuse(env: NodeJS.ProcessEnv): Agent {
  try {
    return agentFromEnv(env);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
}
