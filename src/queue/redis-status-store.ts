import type { Redis } from "ioredis";
import type {
  StatusCommentRecord,
  StatusCommentStore,
  StoredStatus,
} from "../forge/status-comment-store.js";

/** A status comment is looked for again (listing the comments) once its record is this old. */
const RECORD_TTL_SECONDS = 90 * 24 * 3600;

/**
 * Status comment records in Redis, shared by the web process and every
 * worker (the state the app already keeps there: jobs, delivery records,
 * locks). Authoritative: Redis holds every comment the app made, so a miss
 * means none was made (or it was made more than 90 days ago).
 */
export class RedisStatusCommentStore implements StatusCommentStore {
  readonly authoritative = true;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(key: string): string {
    return `${this.prefix}:status-comment:${key}`;
  }

  async get(key: string): Promise<StoredStatus> {
    const raw = await this.redis.get(this.key(key));
    if (raw === null) return { kind: "none" };
    if (raw === "creating") return { kind: "creating" };
    try {
      const record = JSON.parse(raw) as StatusCommentRecord;
      if (typeof record.commentId === "number" && typeof record.body === "string") {
        return { kind: "known", record };
      }
    } catch {
      // Not ours to read: look for the comment again, as after a crash.
    }
    return { kind: "creating" };
  }

  async markCreating(key: string): Promise<void> {
    // Kept as long as a record: whoever comes next looks for the comment a dead writer made.
    await this.redis.set(this.key(key), "creating", "EX", RECORD_TTL_SECONDS);
  }

  async set(key: string, record: StatusCommentRecord): Promise<void> {
    await this.redis.set(this.key(key), JSON.stringify(record), "EX", RECORD_TTL_SECONDS);
  }

  async forget(key: string): Promise<void> {
    await this.redis.del(this.key(key));
  }
}
