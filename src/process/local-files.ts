import { lstat, open, readdir, realpath } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { isSafeRepoPath } from "../util/repo-path.js";
import {
  MAX_READ_BYTES,
  type FileRead,
  type RepoFileEntry,
  type RepoFiles,
} from "../domain/repo-files.js";

/**
 * RepoFiles over a directory on disk (a checkout). Symbolic links are neither
 * followed nor read, and no path may leave the directory.
 */
export class LocalFiles implements RepoFiles {
  private readonly listings = new Map<string, Promise<RepoFileEntry[]>>();

  constructor(
    readonly root: string,
    readonly label: string = root,
  ) {}

  async list(dirs: readonly string[]): Promise<RepoFileEntry[]> {
    const all = await Promise.all(dirs.map((dir) => this.listDir(dir)));
    return all.flat();
  }

  private listDir(dir: string): Promise<RepoFileEntry[]> {
    let listing = this.listings.get(dir);
    if (!listing) {
      listing = isSafeRepoPath(dir) ? walk(this.root, join(this.root, dir)) : Promise.resolve([]);
      this.listings.set(dir, listing);
    }
    return listing;
  }

  async read(paths: readonly string[]): Promise<Map<string, FileRead>> {
    const reads = await Promise.all(paths.map((path) => readLocalFile(this.root, path)));
    return new Map(reads.map((r) => [r.path, r]));
  }
}

async function walk(root: string, dir: string): Promise<RepoFileEntry[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const found: RepoFileEntry[] = [];
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      found.push(...(await walk(root, full)));
    } else if (entry.isFile()) {
      const stat = await lstat(full);
      found.push({ path: relative(root, full).split(sep).join("/"), size: stat.size });
    }
  }
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

export async function readLocalFile(root: string, path: string): Promise<FileRead> {
  if (!isSafeRepoPath(path)) return { kind: "missing", path };
  const full = join(root, path);
  let stat;
  try {
    stat = await lstat(full);
  } catch {
    return { kind: "missing", path };
  }
  if (!stat.isFile()) return { kind: "missing", path };
  // A symlinked directory on the way must not lead outside the checkout.
  const [realRoot, realFile] = await Promise.all([realpath(root), realpath(full)]);
  if (!realFile.startsWith(realRoot + sep)) return { kind: "missing", path };
  if (stat.size > MAX_READ_BYTES) return { kind: "too_large", path, size: stat.size };
  const handle = await open(full, "r");
  try {
    const bytes = await handle.readFile();
    if (bytes.subarray(0, 8000).includes(0)) return { kind: "binary", path };
    return { kind: "text", path, text: bytes.toString("utf8") };
  } finally {
    await handle.close();
  }
}
