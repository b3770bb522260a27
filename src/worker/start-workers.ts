import { Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Agent, AgentResult } from "../agents/agent.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import type { ChecksJob, ImplementJob } from "../queue/job-data.js";
import { QUEUE_NAMES, type ChantQueues } from "../queue/chant-queues.js";
import { workerConnection, type QueueSettings } from "../queue/connection.js";
import { CANCEL_CHANNEL } from "../queue/enqueue.js";
import type { ForgeFactory } from "./forge-factory.js";
import { processChecksJob, type ChecksWorkerDeps } from "./process-checks-job.js";
import { processImplementJob, type ImplementWorkerDeps } from "./process-implement-job.js";
import { SHUTDOWN_REASON } from "../domain/shutdown.js";
import { removeStaleWorkspaces } from "./stale-workspaces.js";

export interface WorkerSettings {
  settings: QueueSettings;
  queues: ChantQueues;
  forges: ForgeFactory;
  agent: Agent;
  /** Where agents and check commands run. */
  sandbox: Sandbox;
  workRoot: string;
  secrets: readonly string[];
  log: Logger;
  /** Jobs run at once per process (agents are heavy; checks less so). */
  concurrency?: { implement?: number; checks?: number };
  /** How long SIGTERM waits for running jobs before returning them to the queue. */
  shutdownGraceMs?: number;
  /** A job's lock (renewed while it runs); a crashed worker's job is taken up again after it. Default 60 s. */
  jobLockMs?: number;
  onStep?: ImplementWorkerDeps["onStep"];
  onConclusion?: ChecksWorkerDeps["onConclusion"];
  onJobDone?: (queue: string, outcome: string, ms: number) => void;
  onAgentRun?: (result: AgentResult) => void;
}

export interface RunningWorkers {
  implement: Worker<ImplementJob>;
  checks: Worker<ChecksJob>;
  /** Stop taking jobs; let running ones finish within the grace period, then return them to the queue. */
  close(): Promise<void>;
}

/**
 * The worker role: both queues' workers, a subscription for `/chant cancel`
 * (any worker on any machine may hold the job), and a graceful close.
 */
export async function startWorkers(options: WorkerSettings): Promise<RunningWorkers> {
  const { queues, log } = options;
  // Before taking jobs: what a worker killed with SIGKILL left (clones, agents still running).
  await removeStaleWorkspaces(options.workRoot, log);
  const connections: Redis[] = [];
  const connection = () => {
    const c = workerConnection(options.settings);
    c.on("error", (error) => log.warn({ err: error }, "worker Redis connection error"));
    connections.push(c);
    return c;
  };
  const common = {
    prefix: queues.prefix,
    // A crashed worker's job is taken up again (twice) before it counts as failed.
    maxStalledCount: 2,
    lockDuration: options.jobLockMs ?? 60_000,
    stalledInterval: Math.max(1000, Math.floor((options.jobLockMs ?? 60_000) / 2)),
  };
  const timed =
    <D, R>(queue: string, fn: (job: Job<D>, token?: string, signal?: AbortSignal) => Promise<R>) =>
    async (job: Job<D>, token?: string, signal?: AbortSignal) => {
      const started = Date.now();
      try {
        const result = await fn(job, token, signal);
        options.onJobDone?.(
          queue,
          (result as { kind?: string }).kind ?? "done",
          Date.now() - started,
        );
        return result;
      } catch (error) {
        options.onJobDone?.(queue, "error", Date.now() - started);
        throw error;
      }
    };

  const implement = new Worker<ImplementJob>(
    QUEUE_NAMES.implement,
    timed("implement", (job, token, signal) =>
      processImplementJob(job, token, signal, {
        queues,
        forges: options.forges,
        agent: observed(options.agent, options.onAgentRun),
        sandbox: options.sandbox,
        workRoot: options.workRoot,
        secrets: options.secrets,
        log,
        onStep: options.onStep,
      }),
    ),
    { ...common, connection: connection(), concurrency: options.concurrency?.implement ?? 1 },
  );
  const checks = new Worker<ChecksJob>(
    QUEUE_NAMES.checks,
    timed("checks", (job, token, signal) =>
      processChecksJob(job, token, signal, {
        forges: options.forges,
        sandbox: options.sandbox,
        workRoot: options.workRoot,
        secrets: options.secrets,
        log,
        onConclusion: options.onConclusion,
      }),
    ),
    { ...common, connection: connection(), concurrency: options.concurrency?.checks ?? 2 },
  );
  for (const worker of [implement, checks]) {
    worker.on("error", (error) => log.error({ err: error }, "worker error"));
    worker.on("failed", (job, error) =>
      log.warn({ job: job?.id, attempts: job?.attemptsMade, err: error }, "job attempt failed"),
    );
  }

  const subscriber = connection();
  await subscriber.subscribe(queues.key(CANCEL_CHANNEL));
  subscriber.on("message", (_channel, jobId: string) => {
    if (implement.cancelJob(jobId, "cancelled by /chant cancel"))
      log.info({ job: jobId }, "cancelling the running job");
  });
  await Promise.all([implement.waitUntilReady(), checks.waitUntilReady()]);

  return {
    implement,
    checks,
    async close() {
      const closing = Promise.all([implement.close(), checks.close()]);
      const grace = options.shutdownGraceMs ?? 25_000;
      const timer = setTimeout(() => {
        log.warn("jobs still running at the end of the grace period: returning them to the queue");
        implement.cancelAllJobs(SHUTDOWN_REASON);
        checks.cancelAllJobs(SHUTDOWN_REASON);
      }, grace);
      await closing;
      clearTimeout(timer);
      await Promise.allSettled(connections.map((c) => c.quit()));
    },
  };
}

/** The agent, with each run's result reported (metrics). */
function observed(agent: Agent, onRun: ((result: AgentResult) => void) | undefined): Agent {
  if (!onRun) return agent;
  return {
    name: agent.name,
    programs: agent.programs,
    async run(run) {
      const result = await agent.run(run);
      onRun(result);
      return result;
    },
  };
}
