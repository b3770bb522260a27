import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Job, Queue } from "bullmq";
import { pino } from "pino";
import { createProbot, ProbotOctokit, type Probot } from "probot";
import { agentFromEnv } from "../../src/agents/agent-from-env.js";
import { shellQuote } from "../../src/process/command-line.js";
import type { ChantQueues } from "../../src/queue/chant-queues.js";
import { RedisMutex } from "../../src/queue/redis-mutex.js";
import type { Metrics } from "../../src/observability/metrics.js";
import { workerMetricsHooks } from "../../src/worker/worker-metrics.js";
import { githubForges } from "../../src/worker/forge-factory.js";
import { startWorkers, type RunningWorkers } from "../../src/worker/start-workers.js";
import { FakeGitHub, type RepoHandle } from "./fake-github/index.js";
import { FIXTURE_REPOS } from "./memory-files.js";
import { openTestQueues } from "./redis.js";
import { SANDBOX_TEST_ENV, testSandbox } from "./sandbox.js";
import { RedisStatusCommentStore } from "../../src/queue/redis-status-store.js";

export const AGENTS = join(import.meta.dirname, "..", "fixtures", "agents");
export const FIX_AGENT = join(AGENTS, "fix-kv-store.mjs");

/** Probot's Octokit without the 1 s spacing of writes (a function wins over Probot's own options). */
export const UnthrottledOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  throttle: { ...(options.throttle as object), enabled: false },
}));

export interface Stack {
  fake: FakeGitHub;
  repo: RepoHandle;
  queues: ChantQueues;
  probot: Probot;
  workers: RunningWorkers | undefined;
  workRoot: string;
  /** Workers with a scripted agent (`fix-kv-store.mjs` in a mode, or another script). */
  startWorkers(agentMode?: string, script?: string, metrics?: Metrics): Promise<RunningWorkers>;
  stop(): Promise<void>;
}

/**
 * The real worker against the GitHub stand-in and a real Redis: kv-store (a
 * research chain around a real bug) as acme/kv-store, issue #42, alice an admin.
 */
export async function startStack(): Promise<Stack> {
  const fake = new FakeGitHub();
  await fake.start();
  const repo = await fake.addRepo({
    owner: "acme",
    name: "kv-store",
    dir: join(FIXTURE_REPOS, "kv-store"),
  });
  fake.addUser("alice", { permission: "admin" });
  fake.addUser("reporter", { permission: "read" });
  fake.addIssue("acme/kv-store", {
    number: 42,
    title: "Values disappear when two writes happen at once",
    body: "Updating email and phone at the same moment keeps only one of them.",
    user: "reporter",
  });
  const { queues, settings, cleanup } = await openTestQueues();
  const probot = createProbot({
    env: { ...fake.env(), LOG_LEVEL: "silent" },
    overrides: { Octokit: UnthrottledOctokit, log: pino({ level: "silent" }) },
  });
  const workRoot = mkdtempSync(join(tmpdir(), "chant-e2e-work-"));
  const stack: Stack = {
    fake,
    repo,
    queues,
    probot,
    workers: undefined,
    workRoot,
    async startWorkers(agentMode = "fix", script = FIX_AGENT, metrics?: Metrics) {
      const agent = agentFromEnv({
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...SANDBOX_TEST_ENV,
        CHANT_AGENT: "command",
        CHANT_AGENT_COMMAND: `${shellQuote(process.execPath)} ${shellQuote(script)}`,
        CHANT_AGENT_ENV: "FIX_KV_STORE_MODE",
        FIX_KV_STORE_MODE: agentMode,
      });
      stack.workers = await startWorkers({
        settings,
        queues,
        forges: githubForges({
          probot,
          appId: fake.appId,
          mutex: new RedisMutex(queues.redis, queues.prefix),
          log: pino({ level: "silent" }),
          statusStore: new RedisStatusCommentStore(queues.redis, queues.prefix),
        }),
        agent,
        sandbox: await testSandbox(),
        workRoot,
        secrets: [fake.privateKey, fake.webhookSecret],
        log: pino({ level: "silent" }),
        shutdownGraceMs: 2000,
        ...(metrics ? workerMetricsHooks(metrics, agent) : {}),
      });
      return stack.workers;
    },
    async stop() {
      await stack.workers?.close();
      await cleanup();
      await fake.stop();
      rmSync(workRoot, { recursive: true, force: true });
    },
  };
  return stack;
}

/** Wait until a job is finished (completed or failed), and return it. */
export async function finished<T>(
  queue: Queue<T>,
  id: string,
  timeoutMs = 60_000,
): Promise<Job<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await queue.getJob(id);
    const state = job ? await job.getState() : "missing";
    // Read the job again once it is finished: the first read may predate its return value.
    if (job && (state === "completed" || state === "failed"))
      return (await queue.getJob(id)) ?? job;
    if (Date.now() > deadline) throw new Error(`job ${id} is still ${state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Wait until every job of the queue is finished. */
export async function drained<T>(queue: Queue<T>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await queue.getJobCounts("waiting", "active", "delayed", "prioritized");
    if (Object.values(counts).every((n) => n === 0)) return;
    if (Date.now() > deadline)
      throw new Error(`queue ${queue.name} not drained: ${JSON.stringify(counts)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
