/**
 * Queue throughput and pickup latency with 1, 2 and 4 worker processes on
 * one Redis, two ways:
 *  A. a dedicated bench queue served by worker processes with chant-bot's
 *     connection and worker options and a processor that returns at once:
 *     the queue machinery alone (BullMQ, Redis round trips, locks);
 *  B. real `chant-bot worker` processes taking real `checks` jobs against the
 *     GitHub stand-in (a repository without `.github/chant.yml`, so the four
 *     checks finish `skipped` after the clone), with the production Octokit
 *     throttle, one repository and installation per job.
 * Pickup latency = BullMQ's processedOn - timestamp (enqueue to a worker
 * taking the job), both stamped with this machine's clock.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Queue, type Job } from "bullmq";
import { CHECKS_JOB_OPTIONS, ChantQueues } from "../../src/queue/chant-queues.js";
import { keyPrefix } from "../../src/queue/connection.js";
import { enqueueChecks, enqueueImplement } from "../../src/queue/enqueue.js";
import { FakeGitHub } from "../../test/support/fake-github/index.js";
import { deleteKeys } from "../../test/support/redis.js";
import { deleteKeysUnder } from "../lib/redis-keys.js";
import type { ProcessMemory } from "./ingress.js";
import {
  built,
  CLI,
  memoryOf,
  processEnv,
  sampleRss,
  startNode,
  type BenchProcess,
} from "../lib/processes.js";
import { NOOP_AGENT } from "../lib/implement-flow.js";
import { median, mib, percentile, round } from "../lib/stats.js";
import type { Table } from "../lib/table.js";

export interface QueueSettings {
  redisUrl: string;
  prefix: string;
  workerCounts: number[];
  /** Jobs added at once to the trivial queue (throughput). */
  burstJobs: number;
  /** Jobs added one by one, `pacedEveryMs` apart (pickup latency with idle workers). */
  pacedJobs: number;
  pacedEveryMs: number;
  /** Real checks jobs per worker process (one per slot: CHANT_CHECKS_CONCURRENCY 2). */
  checksJobsPerWorker: number;
}

export interface QueueRow {
  kind: "trivial" | "checks";
  workers: number;
  jobs: number;
  jobsPerSecond: number;
  pickupP50Ms: number;
  pickupP99Ms: number;
  /** Processing time per job (finishedOn - processedOn), p50. */
  jobP50Ms: number;
  failed: number;
  pacedJobs?: number;
  /** Each burst's rate, when there were several (jobsPerSecond is their median). */
  jobsPerSecondRuns?: number[];
}

export interface EnqueueCost {
  waiting: number;
  /** enqueueImplement, median of `samples` calls, ms. */
  medianMs: number;
  samples: number;
}

export interface QueueResult {
  pacedEveryMs: number;
  rows: QueueRow[];
  enqueue: EnqueueCost[];
  memory: ProcessMemory[];
}

export async function benchQueue(settings: QueueSettings): Promise<QueueResult> {
  const rows: QueueRow[] = [];
  const memory: ProcessMemory[] = [];
  const env = (extra: Record<string, string>) =>
    processEnv({
      CHANT_REDIS_URL: settings.redisUrl,
      CHANT_QUEUE_PREFIX: settings.prefix,
      NODE_ENV: "production",
      LOG_LEVEL: "info",
      LOG_FORMAT: "json",
      ...extra,
    });
  try {
    for (const count of settings.workerCounts) rows.push(await trivialRun(settings, count, env));
    const enqueue = await enqueueCost(settings);
    const fake = new FakeGitHub();
    await fake.start();
    try {
      for (const count of settings.workerCounts) {
        const { row, mem } = await checksRun(settings, count, fake, env);
        rows.push(row);
        memory.push(...mem);
      }
    } finally {
      await fake.stop();
    }
    return { pacedEveryMs: settings.pacedEveryMs, rows, enqueue, memory };
  } finally {
    await deleteKeysUnder(settings.redisUrl, settings.prefix);
  }
}

async function startWorkers(
  count: number,
  start: (i: number) => BenchProcess,
  ready: RegExp,
): Promise<BenchProcess[]> {
  const procs = Array.from({ length: count }, (_, i) => start(i));
  try {
    await Promise.all(procs.map((p) => p.waitFor(ready)));
  } catch (error) {
    await Promise.all(procs.map((p) => p.stop()));
    throw error;
  }
  return procs;
}

async function trivialRun(
  settings: QueueSettings,
  count: number,
  env: (extra: Record<string, string>) => NodeJS.ProcessEnv,
): Promise<QueueRow> {
  const name = `bench-trivial-${count}`;
  const queue = new Queue(name, {
    connection: { url: settings.redisUrl } as never,
    prefix: keyPrefix({ redisUrl: settings.redisUrl, prefix: settings.prefix }),
  });
  // chant-bot's checks job options, but every finished job kept so its timestamps can be read.
  const options = { ...CHECKS_JOB_OPTIONS, removeOnComplete: false, removeOnFail: false };
  const procs = await startWorkers(
    count,
    (i) =>
      startNode(
        `trivial-worker-${count}-${i}`,
        built("trivial-worker"),
        [],
        env({ BENCH_QUEUE: name, BENCH_CONCURRENCY: "1" }),
      ),
    /ready/,
  );
  try {
    // Pickup with idle workers: one job at a time, spaced out.
    for (let i = 0; i < settings.pacedJobs; i++) {
      await queue.add("paced", { i }, options);
      await new Promise((resolve) => setTimeout(resolve, settings.pacedEveryMs));
    }
    await waitFor(async () => (await queue.getCompletedCount()) >= settings.pacedJobs, 30_000);
    const paced = await finishedJobs(queue);

    // Throughput: a backlog built while the queue is paused, then released at once (so the
    // producer's speed is not what is measured); four times, the first (workers still
    // warming up) dropped, the median of the others kept.
    const rates: number[] = [];
    let burst: Job[] = [];
    for (let rep = 0; rep < 4; rep++) {
      const tag = `burst-${rep}`;
      await queue.pause();
      for (let i = 0; i < settings.burstJobs; i += 1000) {
        const n = Math.min(1000, settings.burstJobs - i);
        await queue.addBulk(
          Array.from({ length: n }, (_, j) => ({ name: tag, data: { i: i + j }, opts: options })),
        );
      }
      const started = Date.now();
      await queue.resume();
      const total = settings.pacedJobs + (rep + 1) * settings.burstJobs;
      await waitFor(async () => (await queue.getCompletedCount()) >= total, 120_000);
      burst = (await finishedJobs(queue)).filter((j) => j.name === tag);
      const ended = Math.max(...burst.map((j) => j.finishedOn ?? 0));
      if (rep > 0) rates.push((burst.length / (ended - started)) * 1000);
    }
    const pickups = paced.map((j) => (j.processedOn ?? Number.NaN) - j.timestamp);
    return {
      kind: "trivial",
      workers: count,
      jobs: burst.length,
      jobsPerSecond: round(median(rates)),
      jobsPerSecondRuns: rates.map(round),
      pickupP50Ms: round(percentile(pickups, 50)),
      pickupP99Ms: round(percentile(pickups, 99)),
      jobP50Ms: round(
        percentile(
          burst.map((j) => (j.finishedOn ?? 0) - (j.processedOn ?? 0)),
          50,
        ),
      ),
      failed: await queue.getFailedCount(),
      pacedJobs: paced.length,
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}

async function finishedJobs(queue: Queue): Promise<Job[]> {
  const jobs: Job[] = [];
  for (let start = 0; ; start += 1000) {
    const page = await queue.getJobs(["completed"], start, start + 999, true);
    jobs.push(...page.filter((j): j is Job => Boolean(j)));
    if (page.length < 1000) return jobs;
  }
}

async function checksRun(
  settings: QueueSettings,
  count: number,
  fake: FakeGitHub,
  env: (extra: Record<string, string>) => NodeJS.ProcessEnv,
): Promise<{ row: QueueRow; mem: ProcessMemory[] }> {
  const jobs = count * settings.checksJobsPerWorker;
  // One repository per job, each in its own installation: the throttle (per installation
  // and process) then spaces the writes of one job, never one job behind another.
  const repos = [];
  for (let i = 0; i < jobs; i++) {
    repos.push(
      await fake.addRepo({
        owner: "acme",
        name: `q${count}-${i}`,
        installationId: 7_100_000 + count * 100 + i,
        files: { "README.md": `repository ${i}\n` },
      }),
    );
  }
  const queuePrefix = `${settings.prefix}-checks-${count}`;
  const queues = await ChantQueues.open({ redisUrl: settings.redisUrl, prefix: queuePrefix });
  const procs = await startWorkers(
    count,
    (i) =>
      startNode(
        `chant-worker-${count}-${i}`,
        CLI,
        ["worker"],
        env({
          ...fake.env(),
          CHANT_QUEUE_PREFIX: queuePrefix,
          PORT: "0",
          CHANT_AGENT: "command",
          CHANT_AGENT_COMMAND: `${process.execPath} ${NOOP_AGENT}`,
        }),
      ),
    /worker: taking jobs/,
  );
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const idle = procs.map((p) => memoryOf(p.pid).rssKiB);
    const samplers = procs.map((p) => sampleRss(p.pid));
    const ids: string[] = [];
    for (const repo of repos) {
      const result = await enqueueChecks(queues, {
        installationId: repo.installationId!,
        repo: { id: repo.id, owner: repo.owner, name: repo.name },
        headSha: repo.headSha!,
        reason: "push",
        requestedBy: "alice",
        deliveryId: randomUUID(),
      });
      ids.push(result.jobId);
    }
    await waitFor(async () => {
      const counts = await queues.checks.getJobCounts("completed", "failed");
      return (counts.completed ?? 0) + (counts.failed ?? 0) >= jobs;
    }, 180_000);
    const peaks = samplers.map((s) => s.stop());
    const done = (await Promise.all(ids.map((id) => queues.checks.getJob(id)))).filter(
      (j): j is NonNullable<typeof j> => Boolean(j),
    );
    const started = Math.min(...done.map((j) => j.timestamp));
    const ended = Math.max(...done.map((j) => j.finishedOn ?? 0));
    const failed = done.filter((j) => j.failedReason).length;
    const row: QueueRow = {
      kind: "checks",
      workers: count,
      jobs: done.length,
      jobsPerSecond: round((done.length / (ended - started)) * 1000),
      pickupP50Ms: round(
        percentile(
          done.map((j) => (j.processedOn ?? 0) - j.timestamp),
          50,
        ),
      ),
      pickupP99Ms: round(
        percentile(
          done.map((j) => (j.processedOn ?? 0) - j.timestamp),
          99,
        ),
      ),
      jobP50Ms: round(
        percentile(
          done.map((j) => (j.finishedOn ?? 0) - (j.processedOn ?? 0)),
          50,
        ),
      ),
      failed,
    };
    // One row per configuration: the median process at idle, the largest under load.
    const mem: ProcessMemory[] = [
      {
        process: `\`chant-bot worker\` x${count}${count > 1 ? " (largest of them)" : ""}`,
        idleMiB: mib(median(idle)),
        loadMiB: mib(Math.max(...peaks)),
        peakMiB: mib(Math.max(...procs.map((p) => memoryOf(p.pid).hwmKiB))),
        load: `${settings.checksJobsPerWorker} checks jobs at once per process`,
      },
    ];
    return { row, mem };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await queues.close();
    await deleteKeys(queuePrefix);
  }
}

/**
 * What the web process spends in Redis per trigger (enqueueImplement: add
 * with deduplication, the "last job" record, the queue position), against a
 * backlog of waiting implement jobs, as when no worker keeps up.
 */
async function enqueueCost(settings: QueueSettings): Promise<EnqueueCost[]> {
  const queuePrefix = `${settings.prefix}-enqueue`;
  const queues = await ChantQueues.open({ redisUrl: settings.redisUrl, prefix: queuePrefix });
  const data = (n: number) => ({
    installationId: 1,
    repo: { id: 1, owner: "acme", name: "kv-store" },
    target: n,
    issueNumber: n,
    force: false,
    requestedBy: "alice",
    trigger: "label" as const,
    deliveryId: randomUUID(),
  });
  const out: EnqueueCost[] = [];
  let next = 1;
  try {
    for (const waiting of [0, 100, 500, 1000]) {
      const have = await queues.implement.getWaitingCount();
      if (waiting > have) {
        await queues.implement.addBulk(
          Array.from({ length: waiting - have }, () => {
            const job = data(next++);
            return { name: "implement", data: job, opts: { jobId: `fill-${job.target}` } };
          }),
        );
      }
      const samples: number[] = [];
      for (let i = 0; i < 15; i++) {
        const t0 = performance.now();
        await enqueueImplement(queues, data(next++));
        samples.push(performance.now() - t0);
      }
      out.push({ waiting, medianMs: round(median(samples)), samples: samples.length });
    }
    return out;
  } finally {
    await queues.close();
    await deleteKeys(queuePrefix);
  }
}

async function waitFor(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function queueTables(result: QueueResult): Table[] {
  const line = (r: QueueRow) => [
    r.workers,
    r.jobs,
    r.jobsPerSecond,
    r.pickupP50Ms,
    r.pickupP99Ms,
    r.jobP50Ms,
    r.failed,
  ];
  const headers = [
    "worker processes",
    "jobs",
    "jobs/s",
    "pickup p50 ms",
    "pickup p99 ms",
    "job p50 ms",
    "failed",
  ];
  const trivial = result.rows.filter((r) => r.kind === "trivial");
  return [
    {
      title:
        "Enqueue cost vs waiting jobs (enqueueImplement: the web process's Redis work per trigger)",
      headers: ["waiting implement jobs", "median ms per enqueue"],
      rows: result.enqueue.map((e) => [e.waiting, e.medianMs]),
      notes: [
        `median of ${result.enqueue[0]?.samples ?? 0} calls each, from this process (one Redis client, no concurrency)`,
      ],
    },
    {
      title:
        "Queue: trivial jobs (bench queue, chant-bot's worker options, 1 job at a time per process)",
      headers,
      rows: trivial.map(line),
      notes: [
        `jobs/s: median of 3 backlogs (after a warm-up one) of ${trivial[0]?.jobs ?? 0} jobs released at once (${trivial.map((r) => `${r.workers}: ${r.jobsPerSecondRuns?.join(" / ")}`).join("; ")}); pickup: ${trivial[0]?.pacedJobs ?? 0} jobs added one by one, ${result.pacedEveryMs} ms apart, to idle workers (1 ms clock resolution)`,
      ],
    },
    {
      title: "Queue: real `chant-bot worker` processes, `checks` jobs (no commands configured)",
      headers,
      rows: result.rows.filter((r) => r.kind === "checks").map(line),
      notes: [
        "each process takes 2 checks jobs at once (CHANT_CHECKS_CONCURRENCY default); one job per slot, all enqueued at once",
        "jobs are paced by Probot's write throttle (>= 1 s between writes per installation and process)",
      ],
    },
  ];
}
