import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChantQueues } from "../../src/queue/chant-queues.js";
import { RedisMutex } from "../../src/queue/redis-mutex.js";
import { openTestQueues } from "../support/redis.js";

let queues: ChantQueues;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ queues, cleanup } = await openTestQueues());
});
afterEach(async () => cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("RedisMutex", () => {
  it("is extended while its work runs: work longer than the TTL keeps others out", async () => {
    const mutex = new RedisMutex(queues.redis, queues.prefix, { ttlMs: 150, waitMs: 5000 });
    const order: string[] = [];
    const first = mutex.run("status:x", async () => {
      order.push("first starts");
      await sleep(600); // four TTLs: an unextended lock would have expired long ago
      order.push("first ends");
    });
    await sleep(50);
    const second = mutex.run("status:x", async () => {
      order.push("second runs");
    });
    await Promise.all([first, second]);
    expect(order).toEqual(["first starts", "first ends", "second runs"]);
  });

  it("is released at the end, and expires by itself when its holder stops extending it", async () => {
    const mutex = new RedisMutex(queues.redis, queues.prefix, { ttlMs: 200, waitMs: 100 });
    await mutex.run("k", async () => undefined);
    expect(await queues.redis.exists(`${queues.prefix}:lock:k`)).toBe(0);
    // A dead holder's lock (set by hand, nobody extends it) is gone after its TTL.
    await queues.redis.set(`${queues.prefix}:lock:k`, "dead", "PX", 200);
    await expect(mutex.run("k", async () => "taken")).rejects.toThrow(/could not take the lock/);
    await sleep(250);
    expect(await mutex.run("k", async () => "taken")).toBe("taken");
  });
});
