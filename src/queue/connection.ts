import { Redis, type RedisOptions } from "ioredis";
import type { z } from "zod";

export interface QueueSettings {
  /** CHANT_REDIS_URL */
  redisUrl: string;
  /** CHANT_QUEUE_PREFIX: every Redis key of the app starts with `{prefix}`. */
  prefix: string;
}

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
export const DEFAULT_QUEUE_PREFIX = "chant";

export function queueSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): QueueSettings {
  const prefix = env.CHANT_QUEUE_PREFIX?.trim() || DEFAULT_QUEUE_PREFIX;
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) {
    throw new Error(
      `CHANT_QUEUE_PREFIX "${prefix}" is not usable: use 1 to 64 letters, digits, '_', '.', ':' or '-'`,
    );
  }
  return { redisUrl: env.CHANT_REDIS_URL?.trim() || DEFAULT_REDIS_URL, prefix };
}

/**
 * The key prefix BullMQ and our own keys use: the configured prefix as a Redis
 * Cluster hash tag, so every key of the app lands in one slot.
 */
export function keyPrefix(settings: QueueSettings): string {
  return `{${settings.prefix}}`;
}

/**
 * How long the web process waits for Redis before it answers a delivery with
 * 5xx: well under 2 s, so the whole answer (a failed delivery) takes less.
 */
export const PRODUCER_TIMEOUT_MS = 1500;

/**
 * The web process's connection: fails fast. No offline queue, so a command
 * while Redis is away fails at once instead of waiting, and the webhook
 * handler answers 5xx so GitHub records the delivery as failed.
 */
export function producerConnection(settings: QueueSettings, extra: RedisOptions = {}): Redis {
  return new Redis(settings.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: PRODUCER_TIMEOUT_MS,
    commandTimeout: PRODUCER_TIMEOUT_MS,
    // A command that timed out was reported as failed (the delivery got a 5xx):
    // sending it again after a reconnect would claim a delivery nobody handles.
    autoResendUnfulfilledCommands: false,
    lazyConnect: false,
    ...extra,
  });
}

/** Workers' connection: BullMQ's blocking commands need `maxRetriesPerRequest: null`. */
export function workerConnection(settings: QueueSettings, extra: RedisOptions = {}): Redis {
  return new Redis(settings.redisUrl, { maxRetriesPerRequest: null, ...extra });
}

export class RedisUnavailableError extends Error {
  override readonly name = "RedisUnavailableError";
}

/** Reject when Redis does not answer in time, with a message saying so. */
export async function withinTimeout<T>(
  what: string,
  promise: Promise<T>,
  ms = PRODUCER_TIMEOUT_MS,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new RedisUnavailableError(`Redis did not answer within ${ms} ms (${what})`)),
          ms,
        );
      }),
    ]);
  } catch (error) {
    if (error instanceof RedisUnavailableError) throw error;
    throw new RedisUnavailableError(
      `Redis could not ${what}: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A JSON record the app wrote to Redis, read back within the producer's
 * timeout and checked against its schema: undefined when it is missing or
 * not what the schema says (an older shape).
 */
export async function readRecord<T>(
  redis: Pick<Redis, "get">,
  what: string,
  key: string,
  schema: z.ZodType<T>,
): Promise<T | undefined> {
  const raw = await withinTimeout(what, redis.get(key));
  if (!raw) return undefined;
  const parsed = schema.safeParse(JSON.parse(raw));
  return parsed.success ? parsed.data : undefined;
}
