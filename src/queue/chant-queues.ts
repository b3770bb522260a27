import { Queue, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import { keyPrefix, producerConnection, type QueueSettings, withinTimeout } from "./connection.js";
import type { ChecksJob, ImplementJob } from "./job-data.js";

export const QUEUE_NAMES = { implement: "implement", checks: "checks" } as const;

/** Finished jobs stay visible a while (dashboard, /chant status), then go. */
const RETENTION: Pick<JobsOptions, "removeOnComplete" | "removeOnFail"> = {
  removeOnComplete: { age: 7 * 24 * 3600, count: 1000 },
  removeOnFail: { age: 30 * 24 * 3600, count: 5000 },
};

export const IMPLEMENT_JOB_OPTIONS: JobsOptions = {
  ...RETENTION,
  // Transient failures (network, GitHub 5xx) are tried again; a clear outcome is final.
  attempts: 3,
  backoff: { type: "exponential", delay: 30_000 },
};

export const CHECKS_JOB_OPTIONS: JobsOptions = {
  ...RETENTION,
  attempts: 3,
  backoff: { type: "exponential", delay: 15_000 },
};

/**
 * The two queues and the Redis connection the app's own keys (delivery
 * records, last jobs, locks, cancel requests) live on, all under one prefix.
 */
export class ChantQueues {
  private constructor(
    readonly redis: Redis,
    readonly prefix: string,
    readonly implement: Queue<ImplementJob>,
    readonly checks: Queue<ChecksJob>,
    private readonly ownsConnection: boolean,
  ) {}

  /** Connect (failing fast if Redis does not answer) and open both queues. */
  static async open(settings: QueueSettings, connection?: Redis): Promise<ChantQueues> {
    const redis = connection ?? producerConnection(settings, { lazyConnect: true });
    if (!connection) {
      redis.on("error", () => undefined); // reported by the commands that fail, and by /readyz
      try {
        await withinTimeout(`connect to ${redactUrl(settings.redisUrl)}`, redis.connect());
      } catch (error) {
        // Stop ioredis from trying again in the background: the caller reports and exits.
        redis.disconnect();
        throw error;
      }
    }
    const prefix = keyPrefix(settings);
    const implement = new Queue<ImplementJob>(QUEUE_NAMES.implement, { connection: redis, prefix });
    const checks = new Queue<ChecksJob>(QUEUE_NAMES.checks, { connection: redis, prefix });
    for (const queue of [implement, checks]) queue.on("error", () => undefined);
    const queues = new ChantQueues(redis, prefix, implement, checks, !connection);
    try {
      // BullMQ's own setup (a version check) must be done before anything else: a
      // setup command lost to a dropped connection would leave a queue failing for good.
      await withinTimeout(
        "set up the queues",
        Promise.all([implement.waitUntilReady(), checks.waitUntilReady()]),
      );
    } catch (error) {
      await queues.close();
      throw error;
    }
    return queues;
  }

  /** A key of the app's own, under the shared prefix. */
  key(...parts: (string | number)[]): string {
    return [this.prefix, ...parts].join(":");
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.implement.close(), this.checks.close()]);
    if (this.ownsConnection) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** A Redis URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "the configured Redis URL";
  }
}
