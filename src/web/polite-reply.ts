import type { ChantQueues } from "../queue/chant-queues.js";
import { withinTimeout } from "../queue/connection.js";

/** How long one polite reply to people without permission covers an issue or pull request. */
export const POLITE_REPLY_SECONDS = 3600;

/**
 * Whether chant-bot may answer someone without permission on this issue or
 * pull request now: at most once per POLITE_REPLY_SECONDS per issue, whoever
 * asks and whatever they ask (`/chant help`, `/chant implement`, a typo), so
 * strangers cannot make the app edit its comment and notify the issue's
 * subscribers at will. The first asker takes the slot (Redis SET NX).
 */
export async function takePoliteReply(
  queues: ChantQueues,
  repoId: number,
  target: number,
): Promise<boolean> {
  const key = queues.key("polite-reply", repoId, target);
  const set = await withinTimeout(
    "record the reply",
    queues.redis.set(key, "1", "EX", POLITE_REPLY_SECONDS, "NX"),
  );
  return set === "OK";
}
