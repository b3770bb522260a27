/**
 * Where the forge remembers each status comment it keeps: its id and the
 * body it last wrote. With the record at hand an update is one PATCH (no
 * GET, no listing of the comments); the comment is only looked for
 * again when the PATCH finds it gone, or when a writer died between creating
 * it and recording it.
 */

export interface StatusCommentRecord {
  commentId: number;
  /** The body as last written (its hidden marker holds the status state). */
  body: string;
  url: string;
}

export type StoredStatus =
  | { kind: "known"; record: StatusCommentRecord }
  /** A writer said it was creating one and has not recorded it (it may have died after creating it). */
  | { kind: "creating" }
  | { kind: "none" };

export interface StatusCommentStore {
  /**
   * Whether the absence of a record means there is no comment (the store
   * outlives processes and holds every comment made). When false, a miss is
   * looked up by listing the comments.
   */
  readonly authoritative: boolean;
  get(key: string): Promise<StoredStatus>;
  /** Before creating: a later writer that finds this without a record lists the comments. */
  markCreating(key: string): Promise<void>;
  set(key: string, record: StatusCommentRecord): Promise<void>;
  forget(key: string): Promise<void>;
}

/** Per forge instance: enough for one job, and how a forge without Redis behaves. */
export class MemoryStatusCommentStore implements StatusCommentStore {
  readonly authoritative = false;
  private readonly records = new Map<string, StatusCommentRecord>();

  async get(key: string): Promise<StoredStatus> {
    const record = this.records.get(key);
    return record ? { kind: "known", record } : { kind: "none" };
  }

  async markCreating(): Promise<void> {}

  async set(key: string, record: StatusCommentRecord): Promise<void> {
    this.records.set(key, record);
  }

  async forget(key: string): Promise<void> {
    this.records.delete(key);
  }
}

/** Serializes writers of one key across processes (a Redis lock in production). */
export interface Mutex {
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export const noMutex: Mutex = { run: (_key, fn) => fn() };
