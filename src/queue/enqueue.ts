import type { Job, JobState, Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { ChantQueues } from "./chant-queues.js";
import { CHECKS_JOB_OPTIONS, IMPLEMENT_JOB_OPTIONS } from "./chant-queues.js";
import { readRecord, withinTimeout } from "./connection.js";
import {
  checksJobSchema,
  implementJobSchema,
  type ChecksJob,
  type ImplementJob,
} from "./job-data.js";

export type EnqueueResult =
  | { outcome: "queued"; jobId: string; position: number }
  | { outcome: "already"; jobId: string; state: JobState | "unknown"; position: number };

/** A delivery record outlives GitHub's redelivery window, so a late redelivery is a no-op. */
export const DELIVERY_TTL_SECONDS = 4 * 24 * 3600;
/**
 * While a delivery is being handled its claim lasts this long (GitHub gives up
 * after 10 s): if the web process dies, or loses Redis, before it could release
 * a failed delivery's claim, the claim runs out and the redelivery is handled.
 */
export const DELIVERY_CLAIM_SECONDS = 60;
const LAST_JOB_TTL_SECONDS = 90 * 24 * 3600;

/** BullMQ job ids may not hold ':'; GitHub delivery ids are uuids. */
function idPart(value: string | number): string {
  return String(value).replace(/[^A-Za-z0-9_.-]/g, "_");
}

export function implementDedupeId(repoId: number, target: number): string {
  return `impl-${repoId}-${target}`;
}

/**
 * Take a delivery id once. Every later (or concurrent) attempt with the same
 * id gets false: a redelivered webhook does nothing twice. The claim is short
 * (DELIVERY_CLAIM_SECONDS) until completeDelivery records the delivery as done.
 */
export async function claimDelivery(queues: ChantQueues, deliveryId: string): Promise<boolean> {
  const key = queues.key("delivery", idPart(deliveryId));
  const set = await withinTimeout(
    "record the delivery",
    queues.redis.set(key, "handling", "EX", DELIVERY_CLAIM_SECONDS, "NX"),
  );
  return set === "OK";
}

/** The delivery was handled: a redelivery within GitHub's window does nothing. */
export async function completeDelivery(queues: ChantQueues, deliveryId: string): Promise<void> {
  const key = queues.key("delivery", idPart(deliveryId));
  await withinTimeout(
    "record the delivery as handled",
    queues.redis.set(key, "done", "EX", DELIVERY_TTL_SECONDS),
  );
}

/**
 * Forget a claimed delivery whose handling failed, so GitHub's redelivery is
 * handled. False when Redis did not answer (soon enough).
 */
export async function releaseDelivery(
  queues: ChantQueues,
  deliveryId: string,
  timeoutMs = 500,
): Promise<boolean> {
  try {
    await withinTimeout(
      "forget the delivery",
      queues.redis.del(queues.key("delivery", idPart(deliveryId))),
      timeoutMs,
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * Enqueue an implementation. One active job per issue or pull request: a
 * second request while one is queued or running gets that job back
 * ("already"). The job id comes from the delivery, so the same delivery
 * added twice is one job.
 */
export async function enqueueImplement(
  queues: ChantQueues,
  data: ImplementJob,
): Promise<EnqueueResult> {
  const job = implementJobSchema.parse(data);
  const jobId = `impl-${job.repo.id}-${job.target}-${idPart(job.deliveryId)}`;
  const dedupe = implementDedupeId(job.repo.id, job.target);
  const added = await withinTimeout(
    "enqueue the job",
    queues.implement.add("implement", job, {
      ...IMPLEMENT_JOB_OPTIONS,
      jobId,
      deduplication: { id: dedupe },
    }),
  );
  await withinTimeout(
    "record the last job",
    queues.redis.set(
      queues.key("last", job.repo.id, job.target),
      JSON.stringify(job),
      "EX",
      LAST_JOB_TTL_SECONDS,
    ),
  );
  return describeAdded(queues.redis, queues.implement, added, jobId);
}

function checksJobId(job: ChecksJob): string {
  return `checks-${job.repo.id}-${job.headSha}-${idPart(job.deliveryId)}`;
}

export async function enqueueChecks(queues: ChantQueues, data: ChecksJob): Promise<EnqueueResult> {
  const job = checksJobSchema.parse(data);
  const jobId = checksJobId(job);
  const added = await withinTimeout(
    "enqueue the checks",
    queues.checks.add("checks", job, {
      ...CHECKS_JOB_OPTIONS,
      jobId,
      // One sha is checked once at a time.
      deduplication: { id: `checks-${job.repo.id}-${job.headSha}` },
    }),
  );
  return describeAdded(queues.redis, queues.checks, added, jobId);
}

async function describeAdded<T>(
  redis: Redis,
  queue: Queue<T>,
  added: Job<T>,
  jobId: string,
): Promise<EnqueueResult> {
  const id = added.id ?? jobId;
  const position = await queuePosition(redis, queue, id);
  if (id === jobId) return { outcome: "queued", jobId, position };
  const state = await withinTimeout("read the job state", queue.getJobState(id));
  return { outcome: "already", jobId: id, state, position };
}

/**
 * 1-based place among waiting jobs; 0 when it is not waiting (running, or
 * done). Asked of Redis directly (LPOS on the wait list, workers take from its
 * tail): no job is loaded, however long the queue.
 */
export async function queuePosition<T>(
  redis: Redis,
  queue: Queue<T>,
  jobId: string,
): Promise<number> {
  const key = queue.keys.wait!;
  const [index, length] = await withinTimeout(
    "read the queue",
    Promise.all([redis.lpos(key, jobId), redis.llen(key)]),
  );
  return index === null ? 0 : length - index;
}

/** The queued or running implementation for an issue or pull request, if any. */
export async function activeImplementJob(
  queues: ChantQueues,
  repoId: number,
  target: number,
): Promise<Job<ImplementJob> | undefined> {
  const id = await withinTimeout(
    "find the active job",
    queues.implement.getDeduplicationJobId(implementDedupeId(repoId, target)),
  );
  if (!id) return undefined;
  const job = await queues.implement.getJob(id);
  if (!job) return undefined;
  const state = await job.getState();
  return state === "completed" || state === "failed" ? undefined : job;
}

/** The data of the last implementation asked for here (for /chant retry). */
export async function lastImplementJob(
  queues: ChantQueues,
  repoId: number,
  target: number,
): Promise<ImplementJob | undefined> {
  return readRecord(
    queues.redis,
    "read the last job",
    queues.key("last", repoId, target),
    implementJobSchema,
  );
}

export const CANCEL_CHANNEL = "cancel";

/**
 * Cancel a job: a waiting one is removed; a running one is flagged and every
 * worker is told (pub/sub), so the one running it kills the agent.
 */
export async function requestCancel(
  queues: ChantQueues,
  job: Job<ImplementJob>,
): Promise<"removed" | "signalled"> {
  const state = await job.getState();
  if (state === "waiting" || state === "delayed" || state === "prioritized") {
    try {
      await job.remove();
      await queues.implement.removeDeduplicationKey(
        implementDedupeId(job.data.repo.id, job.data.target),
      );
      return "removed";
    } catch {
      // It was picked up meanwhile: signal it instead.
    }
  }
  const id = job.id!;
  await queues.redis.set(queues.key("cancel", idPart(id)), "1", "EX", 24 * 3600);
  await queues.redis.publish(queues.key(CANCEL_CHANNEL), id);
  return "signalled";
}

export async function isCancelRequested(queues: ChantQueues, jobId: string): Promise<boolean> {
  return (await queues.redis.exists(queues.key("cancel", idPart(jobId)))) === 1;
}
