/** Largest file read as text; larger ones answer `too_large` unread. */
export const MAX_READ_BYTES = 1024 * 1024;

/**
 * Read-only access to a repository's files at one ref. The GitHub forge
 * answers from the API (one tree listing, batched blob reads); the local forge
 * from a checkout on disk. Research linking is written against this only.
 */

export interface RepoFileEntry {
  path: string;
  /** Bytes, as the listing reports it; lets a caller skip giant files unread. */
  size: number;
  /** The blob's id, where the listing gives it (GitHub's tree). */
  sha?: string | undefined;
}

export type FileRead =
  | { kind: "text"; path: string; text: string }
  | { kind: "missing"; path: string }
  | { kind: "binary"; path: string }
  | { kind: "too_large"; path: string; size: number };

export interface RepoFiles {
  /** Where these files come from, for messages: `owner/repo@main`, a directory. */
  readonly label: string;
  /** Every regular file below the given directories (recursive, one listing). */
  list(dirs: readonly string[]): Promise<RepoFileEntry[]>;
  /** Read several files at once; a missing, binary or oversized file says so instead of failing. */
  read(paths: readonly string[]): Promise<Map<string, FileRead>>;
}

/** Read one file's text, or undefined when it is not there as text. */
export async function readText(files: RepoFiles, path: string): Promise<string | undefined> {
  const read = (await files.read([path])).get(path);
  return read?.kind === "text" ? read.text : undefined;
}
