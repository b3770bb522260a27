import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Mutex } from "../forge/status-comment-store.js";

const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;

/**
 * A lock over Redis (SET NX PX + token), so that the web process and any
 * number of workers on any machines never read-modify-write the same status
 * comment at once. While the work runs the lock is extended (every third of
 * its TTL, as BullMQ renews a job's lock): the work may wait out a rate limit
 * for minutes and must not lose its lock meanwhile. A holder that dies stops
 * extending, and its lock expires by itself within the TTL.
 */
export class RedisMutex implements Mutex {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly options: { ttlMs?: number; waitMs?: number } = {},
  ) {}

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const ttl = this.options.ttlMs ?? 30_000;
    const deadline = Date.now() + (this.options.waitMs ?? 15_000);
    const lockKey = `${this.prefix}:lock:${key}`;
    const token = randomUUID();
    for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
      if ((await this.redis.set(lockKey, token, "PX", ttl, "NX")) === "OK") break;
      if (Date.now() > deadline) throw new Error(`could not take the lock ${key} within the wait`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    const renew = setInterval(
      () => {
        // A failed extension (Redis away) is tried again at the next tick; the TTL covers two misses.
        // eslint-disable-next-line no-restricted-syntax -- tried again next tick (see above)
        this.redis.eval(EXTEND, 1, lockKey, token, String(ttl)).catch(() => 0);
      },
      Math.max(10, Math.floor(ttl / 3)),
    );
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      // A release that fails (Redis away) leaves the lock to expire by itself within the TTL.
      // eslint-disable-next-line no-restricted-syntax -- the TTL is the fallback
      await this.redis.eval(RELEASE, 1, lockKey, token).catch(() => undefined);
    }
  }
}
