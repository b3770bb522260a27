import type { JobType } from "bullmq";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Agent, AgentOutcome } from "../agents/agent.js";
import type { CheckConclusion, CheckName } from "../domain/checks.js";

/**
 * The app's Prometheus metrics, all in ONE registry per `createMetrics()`
 * (never prom-client's global one), so tests and several apps in one process
 * do not collide. App metrics are named `chant_bot_*`; Node's default process
 * metrics keep their standard names (`process_*`, `nodejs_*`) so stock
 * dashboards work.
 */

export type DeliveryOutcome =
  "accepted" | "duplicate" | "ignored" | "refused" | "failed" | "invalid";
export type QueueName = "implement" | "checks";
/** completed: the job did its work; stopped: it ended with an outcome to tell (PipelineStop); failed: an error. */
export type JobOutcome = "completed" | "stopped" | "failed" | "cancelled";
export type StepOutcome = "ok" | "stopped" | "failed" | "skipped" | "cancelled";
export type AgentName = Agent["name"];

/** The job states the jobs gauge reports, read with `queue.getJobCounts()` on every scrape. */
export const JOB_STATES = ["waiting", "active", "delayed", "failed", "completed"] as const;
export type JobCountState = (typeof JOB_STATES)[number];

/** What the jobs gauge needs of a queue (a BullMQ Queue has it). */
export interface CountableQueue {
  getJobCounts(...types: JobType[]): Promise<Record<string, number>>;
}

/** The queues the jobs gauge reads (ChantQueues has them). */
export interface MetricsQueues {
  implement: CountableQueue;
  checks: CountableQueue;
}

export interface MetricsOptions {
  /** Queues whose job counts are read on each scrape; also settable later with `watchQueues`. */
  queues?: MetricsQueues | undefined;
  /** Node's process metrics (CPU, memory, event loop, GC). Default true. */
  defaultMetrics?: boolean;
  /** How long a scrape waits for the job counts. Default 1000 ms. */
  queueTimeoutMs?: number;
}

export interface Metrics {
  readonly registry: Registry;
  /** The Content-Type of `text()`. */
  readonly contentType: string;
  /** The scrape: every metric in Prometheus text format. */
  text(): Promise<string>;
  /** Read these queues' job counts on each scrape. */
  watchQueues(queues: MetricsQueues): void;
  /** A webhook delivery and what became of it. `event` is GitHub's event name (`issues`, ...); unknown names count as `other`. */
  delivery(event: string, outcome: DeliveryOutcome): void;
  jobDuration(queue: QueueName, outcome: JobOutcome, ms: number): void;
  /** A pipeline step (`find_research`, `draft_spec`, `agent`, `publish`, `checks`, ...): a small fixed set, never ids. */
  stepDuration(step: string, outcome: StepOutcome, ms: number): void;
  /** One agent run: counted, timed, and its cost added when the agent reports one. */
  agentRun(agent: AgentName, outcome: AgentOutcome, ms: number, costUsd?: number): void;
  checkConclusion(check: CheckName, conclusion: CheckConclusion): void;
  /** One GitHub API response (status undefined: no response, e.g. a network error). */
  githubRequest(method: string, status: number | undefined): void;
  /** The `x-ratelimit-remaining` GitHub last reported for a resource (`core`, `graphql`, ...). */
  rateLimitRemaining(resource: string, remaining: number): void;
}

/**
 * The `event` label's values: the events the app subscribes to (app.yml) and
 * the ones GitHub sends every App regardless (ping, installation, ...). Any
 * other name (a refused delivery's `x-github-event` is whatever its sender
 * wrote) counts as `other`, so strangers cannot add series to the scrape.
 */
export const DELIVERY_EVENT_LABELS: ReadonlySet<string> = new Set([
  // Subscribed in app.yml.
  "issues",
  "issue_comment",
  "pull_request",
  "check_run",
  "check_suite",
  // Sent to every GitHub App.
  "ping",
  "installation",
  "installation_repositories",
  "installation_target",
  "github_app_authorization",
  "meta",
]);

/** A delivery's event name as the `event` label: a known name, or `other`. */
export function deliveryEventLabel(event: string): string {
  return DELIVERY_EVENT_LABELS.has(event) ? event : "other";
}

const PREFIX = "chant_bot_";
// Jobs run an agent for up to 45 minutes by default.
const JOB_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 2700, 3600, 7200];
const STEP_BUCKETS = [0.05, 0.25, 1, 5, 15, 30, 60, 120, 300, 600, 1200, 2700, 3600];

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const deliveries = new Counter({
    name: `${PREFIX}webhook_deliveries_total`,
    help: "Webhook deliveries by GitHub event and what became of them",
    labelNames: ["event", "outcome"] as const,
    registers,
  });

  const watch = queueGauges(registers, options.queueTimeoutMs ?? 1000);
  if (options.queues) watch(options.queues);

  const jobSeconds = new Histogram({
    name: `${PREFIX}job_duration_seconds`,
    help: "How long a job ran, by queue and outcome",
    labelNames: ["queue", "outcome"] as const,
    buckets: JOB_BUCKETS,
    registers,
  });

  const stepSeconds = new Histogram({
    name: `${PREFIX}step_duration_seconds`,
    help: "How long a pipeline step ran, by step and outcome",
    labelNames: ["step", "outcome"] as const,
    buckets: STEP_BUCKETS,
    registers,
  });

  const agentRuns = new Counter({
    name: `${PREFIX}agent_runs_total`,
    help: "Coding agent runs by agent and outcome",
    labelNames: ["agent", "outcome"] as const,
    registers,
  });

  const agentSeconds = new Histogram({
    name: `${PREFIX}agent_duration_seconds`,
    help: "How long a coding agent ran, by agent and outcome",
    labelNames: ["agent", "outcome"] as const,
    buckets: JOB_BUCKETS,
    registers,
  });

  const agentCost = new Counter({
    name: `${PREFIX}agent_cost_usd_total`,
    help: "Cost the coding agents reported, in US dollars",
    labelNames: ["agent"] as const,
    registers,
  });

  const checkConclusions = new Counter({
    name: `${PREFIX}check_conclusions_total`,
    help: "Finished check runs by check and conclusion",
    labelNames: ["check", "conclusion"] as const,
    registers,
  });

  const githubRequests = new Counter({
    name: `${PREFIX}github_requests_total`,
    help: "GitHub API requests by method and status class (2xx, 3xx, 4xx, 5xx, error)",
    labelNames: ["method", "status"] as const,
    registers,
  });

  const rateLimit = new Gauge({
    name: `${PREFIX}github_rate_limit_remaining`,
    help: "Requests left in the current GitHub rate-limit window, as last reported",
    labelNames: ["resource"] as const,
    registers,
  });

  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    watchQueues: watch,
    delivery(event, outcome) {
      deliveries.inc({ event: deliveryEventLabel(event), outcome });
    },
    jobDuration(queue, outcome, ms) {
      jobSeconds.observe({ queue, outcome }, seconds(ms));
    },
    stepDuration(step, outcome, ms) {
      stepSeconds.observe({ step, outcome }, seconds(ms));
    },
    agentRun(agent, outcome, ms, costUsd) {
      agentRuns.inc({ agent, outcome });
      agentSeconds.observe({ agent, outcome }, seconds(ms));
      if (costUsd !== undefined && Number.isFinite(costUsd) && costUsd > 0) {
        agentCost.inc({ agent }, costUsd);
      }
    },
    checkConclusion(check, conclusion) {
      checkConclusions.inc({ check, conclusion });
    },
    githubRequest(method, status) {
      githubRequests.inc({ method: method.toUpperCase(), status: statusClass(status) });
    },
    rateLimitRemaining(resource, remaining) {
      if (Number.isFinite(remaining)) rateLimit.set({ resource }, remaining);
    },
  };
}

/**
 * The gauges read from Redis at scrape time (jobs by queue and state, and
 * redis_up), registered once queues are watched; returns how to watch them.
 */
function queueGauges(
  registers: Registry[],
  queueTimeoutMs: number,
): (watched: MetricsQueues) => void {
  let queues: MetricsQueues | undefined;
  // One read of the counts per scrape, shared by the two gauges that need it.
  let counting: Promise<Map<QueueName, Record<string, number>> | undefined> | undefined;
  function countJobs() {
    counting ??= readCounts().finally(() => {
      counting = undefined;
    });
    return counting;
  }
  async function readCounts(): Promise<Map<QueueName, Record<string, number>> | undefined> {
    if (!queues) return undefined;
    const watched = queues;
    let timer: NodeJS.Timeout | undefined;
    try {
      const names: QueueName[] = ["implement", "checks"];
      const counts = await Promise.race([
        Promise.all(names.map((name) => watched[name].getJobCounts(...JOB_STATES))),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("timed out")), queueTimeoutMs);
        }),
      ]);
      return new Map(names.map((name, i) => [name, counts[i] ?? {}]));
    } catch {
      // Redis is away: no job counts (rather than stale ones), and redis_up says why.
      return new Map();
    } finally {
      clearTimeout(timer);
    }
  }

  new Gauge({
    name: `${PREFIX}queue_jobs`,
    help: "Jobs in each queue by state, read from Redis at scrape time",
    labelNames: ["queue", "state"] as const,
    registers,
    async collect() {
      this.reset();
      const counts = await countJobs();
      for (const [queue, byState] of counts ?? []) {
        for (const state of JOB_STATES) this.set({ queue, state }, byState[state] ?? 0);
      }
    },
  });

  // Only where queues are watched: an unlabelled gauge would otherwise say 0, "Redis is down".
  let redisUp: Gauge | undefined;
  function watch(watched: MetricsQueues): void {
    queues = watched;
    redisUp ??= new Gauge({
      name: `${PREFIX}redis_up`,
      help: "1 when the queues' job counts could be read from Redis at this scrape, else 0",
      registers,
      async collect() {
        const counts = await countJobs();
        this.set(counts !== undefined && counts.size > 0 ? 1 : 0);
      },
    });
  }
  return watch;
}

function seconds(ms: number): number {
  return Math.max(0, ms) / 1000;
}

export function statusClass(status: number | undefined): string {
  if (status === undefined || !Number.isInteger(status) || status < 100 || status > 599) {
    return "error";
  }
  return `${Math.floor(status / 100)}xx`;
}

type Headers = Record<string, string | number | undefined>;

interface OctokitResponseLike {
  status?: number;
  headers?: Headers;
}

interface OctokitErrorLike {
  status?: number;
  response?: { headers?: Headers };
}

/** What `instrumentOctokit` needs of an Octokit (any Octokit, ProbotOctokit included). */
export interface HookableOctokit {
  hook: {
    after(
      name: "request",
      hook: (response: OctokitResponseLike, options: Record<string, unknown>) => void,
    ): void;
    error(name: "request", hook: (error: Error, options: Record<string, unknown>) => never): void;
  };
}

const instrumented = new WeakSet<object>();

/**
 * Count every request this Octokit sends (method, status class) and record the
 * rate limit GitHub reports, in place. Calling it twice on one Octokit counts
 * once. Also usable as an Octokit plugin:
 * `ProbotOctokit.plugin((octokit) => { instrumentOctokit(octokit, metrics); })`.
 */
export function instrumentOctokit<T extends HookableOctokit>(octokit: T, metrics: Metrics): T {
  if (instrumented.has(octokit)) return octokit;
  instrumented.add(octokit);
  octokit.hook.after("request", (response, options) => {
    record(metrics, options, response.status, response.headers);
  });
  octokit.hook.error("request", (error, options) => {
    const failed = error as Error & OctokitErrorLike;
    record(metrics, options, failed.status, failed.response?.headers);
    // An error hook that returns would turn the error into a response.
    throw error;
  });
  return octokit;
}

function record(
  metrics: Metrics,
  options: Record<string, unknown>,
  status: number | undefined,
  headers: Headers | undefined,
): void {
  metrics.githubRequest(typeof options.method === "string" ? options.method : "GET", status);
  const remaining = headers?.["x-ratelimit-remaining"];
  if (remaining === undefined || remaining === "") return;
  const resource = headers?.["x-ratelimit-resource"];
  metrics.rateLimitRemaining(
    typeof resource === "string" && resource ? resource : "core",
    Number(remaining),
  );
}
