import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { ChantQueues } from "../../src/queue/chant-queues.js";
import type { QueueSettings } from "../../src/queue/connection.js";

export const TEST_REDIS_URL = process.env.CHANT_REDIS_URL ?? "redis://127.0.0.1:6379";

/** Settings with a random prefix: tests share one Redis and never see each other's keys. */
export function testQueueSettings(): QueueSettings {
  return { redisUrl: TEST_REDIS_URL, prefix: `test-${randomBytes(6).toString("hex")}` };
}

export async function openTestQueues(settings = testQueueSettings()) {
  const queues = await ChantQueues.open(settings);
  return {
    queues,
    settings,
    /** Close and delete every key of this test's prefix. */
    async cleanup() {
      await queues.close();
      await deleteKeys(settings.prefix);
    },
  };
}

export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `{${prefix}}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}
