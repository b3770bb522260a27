import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { FileRead, RepoFileEntry, RepoFiles } from "../../src/domain/repo-files.js";
import { MAX_READ_BYTES } from "../../src/domain/repo-files.js";

/** RepoFiles over a map of path -> content, counting calls like API requests. */
export class MemoryFiles implements RepoFiles {
  listCalls = 0;
  readCalls = 0;
  readPaths: string[] = [];
  readonly label = "test/repo@main";

  constructor(readonly files: Record<string, string | Buffer>) {}

  async list(dirs: readonly string[]): Promise<RepoFileEntry[]> {
    this.listCalls++;
    return Object.keys(this.files)
      .filter((p) => dirs.some((d) => p.startsWith(`${d}/`)))
      .sort()
      .map((path) => ({ path, size: Buffer.byteLength(this.files[path]!) }));
  }

  async read(paths: readonly string[]): Promise<Map<string, FileRead>> {
    this.readCalls++;
    this.readPaths.push(...paths);
    const out = new Map<string, FileRead>();
    for (const path of paths) {
      const content = this.files[path];
      if (content === undefined) out.set(path, { kind: "missing", path });
      else if (Buffer.byteLength(content) > MAX_READ_BYTES) {
        out.set(path, { kind: "too_large", path, size: Buffer.byteLength(content) });
      } else if (Buffer.isBuffer(content) && content.includes(0))
        out.set(path, { kind: "binary", path });
      else out.set(path, { kind: "text", path, text: content.toString() });
    }
    return out;
  }
}

export const FIXTURE_REPOS = join(import.meta.dirname, "..", "fixtures", "repos");

/** Every file of a fixture repository, as path -> text. */
export function loadFixtureRepo(name: string): Record<string, string> {
  const root = join(FIXTURE_REPOS, name);
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else files[relative(root, full).split(sep).join("/")] = readFileSync(full, "utf8");
    }
  };
  walk(root);
  return files;
}
