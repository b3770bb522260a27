import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Mutex } from "../forge/github-forge.js";

const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/**
 * A short lock over Redis (SET NX PX + token), so that the web process and any
 * number of workers on any machines never read-modify-write the same status
 * comment at once. Held locks expire by themselves if a holder dies.
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
    try {
      return await fn();
    } finally {
      await this.redis.eval(RELEASE, 1, lockKey, token).catch(() => undefined);
    }
  }
}
