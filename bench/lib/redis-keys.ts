import { Redis } from "ioredis";

/**
 * Delete every key whose hash tag starts with `prefix` (`{prefix}...` and
 * `{prefix-anything}...`): a suite's own prefix and the ones it derived from it.
 */
export async function deleteKeysUnder(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `{${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}
