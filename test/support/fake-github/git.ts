/**
 * Git plumbing for the stand-in: every read of a repository goes to the bare
 * repository on disk, so what the API reports is what a clone would see.
 * Processes start with argument arrays, never a shell.
 */
import { spawn } from "node:child_process";

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface GitOptions {
  gitDir?: string;
  cwd?: string;
  env?: Record<string, string>;
  input?: string | Buffer;
}

/** Git must not pick up the machine's own configuration (signing, hooks, aliases). */
export function isolatedGitEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ["PATH", "HOME", "TMPDIR", "SystemRoot"]) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    LC_ALL: "C",
    ...extra,
  };
}

export function runGit(args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  const fullArgs = options.gitDir ? ["--git-dir", options.gitDir, ...args] : [...args];
  return new Promise((resolve, reject) => {
    const child = spawn("git", fullArgs, {
      cwd: options.cwd,
      env: isolatedGitEnv(options.env),
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
    // A child that exits before reading all of stdin must not crash the server.
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}

/** Runs git and returns stdout as text; throws with git's message on failure. */
export async function git(args: readonly string[], options: GitOptions = {}): Promise<string> {
  const result = await runGit(args, options);
  if (result.code !== 0) {
    throw new Error(`git ${args.join(" ")} failed (${result.code}): ${result.stderr.trim()}`);
  }
  return result.stdout.toString("utf8");
}

/** A ref or sha as a caller may send it; anything that could read as an option is refused. */
export function isSafeRef(ref: string): boolean {
  return ref.length > 0 && ref.length < 256 && !ref.startsWith("-") && !/[\0\s~^:?*[\\]/.test(ref);
}

/** The commit sha `ref` names in the bare repository, or null. */
export async function resolveCommit(gitDir: string, ref: string): Promise<string | null> {
  if (!isSafeRef(ref)) return null;
  const result = await runGit(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { gitDir });
  return result.code === 0 ? result.stdout.toString("utf8").trim() : null;
}

export async function branchSha(gitDir: string, branch: string): Promise<string | null> {
  if (!isSafeRef(branch)) return null;
  const result = await runGit(
    ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`],
    {
      gitDir,
    },
  );
  return result.code === 0 ? result.stdout.toString("utf8").trim() : null;
}

export async function listRefs(
  gitDir: string,
  prefix = "refs/heads/",
): Promise<{ ref: string; sha: string }[]> {
  const out = await git(["for-each-ref", "--format=%(objectname) %(refname)", prefix], { gitDir });
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const space = line.indexOf(" ");
      return { sha: line.slice(0, space), ref: line.slice(space + 1) };
    });
}

export interface TreeEntry {
  mode: string;
  type: "blob" | "tree" | "commit";
  sha: string;
  /** Absent for trees and submodules, as in GitHub's tree API. */
  size?: number;
  path: string;
}

/** `git ls-tree -l` parsed (NUL-separated, so any path survives). */
export async function lsTree(
  gitDir: string,
  treeish: string,
  options: { recursive?: boolean; paths?: string[] } = {},
): Promise<TreeEntry[]> {
  const args = ["ls-tree", "-l", "-z"];
  if (options.recursive) args.push("-r", "-t");
  args.push(treeish);
  if (options.paths) args.push("--", ...options.paths);
  const out = await git(args, { gitDir });
  return out
    .split("\0")
    .filter(Boolean)
    .map((record) => {
      const tab = record.indexOf("\t");
      const [mode = "", type = "", sha = "", size = ""] = record.slice(0, tab).split(/\s+/);
      const entry: TreeEntry = {
        mode,
        type: type as TreeEntry["type"],
        sha,
        path: record.slice(tab + 1),
      };
      if (type === "blob") entry.size = Number(size);
      return entry;
    });
}

export interface CatFileObject {
  sha: string;
  type: string;
  content: Buffer;
}

/**
 * Many objects in one process (`git cat-file --batch`): the GraphQL blob query
 * may name dozens of files and must not cost a process each.
 */
export async function catFileBatch(
  gitDir: string,
  names: readonly string[],
): Promise<(CatFileObject | null)[]> {
  if (names.length === 0) return [];
  // A name with a newline would desynchronise the batch protocol.
  const safe = names.map((name) => (/[\n\r]/.test(name) ? "0000000000" : name));
  const result = await runGit(["cat-file", "--batch"], { gitDir, input: `${safe.join("\n")}\n` });
  if (result.code !== 0) throw new Error(`git cat-file --batch failed: ${result.stderr}`);
  const out = result.stdout;
  const objects: (CatFileObject | null)[] = [];
  let pos = 0;
  for (let i = 0; i < safe.length; i++) {
    const eol = out.indexOf(10, pos);
    if (eol < 0) throw new Error("git cat-file --batch: truncated output");
    const header = out.subarray(pos, eol).toString("utf8");
    pos = eol + 1;
    const match = /^([0-9a-f]{40,64}) (\w+) (\d+)$/.exec(header);
    if (!match) {
      objects.push(null); // "<name> missing" or "<name> ambiguous"
      continue;
    }
    const size = Number(match[3]);
    objects.push({ sha: match[1]!, type: match[2]!, content: out.subarray(pos, pos + size) });
    pos += size + 1;
  }
  return objects;
}

export async function readBlob(gitDir: string, sha: string): Promise<Buffer | null> {
  const [object] = await catFileBatch(gitDir, [sha]);
  return object && object.type === "blob" ? object.content : null;
}

export interface FileChange {
  status: "added" | "modified" | "removed" | "renamed" | "copied" | "changed";
  filename: string;
  previousFilename?: string;
  sha: string;
  additions: number;
  deletions: number;
}

const STATUS_NAMES: Record<string, FileChange["status"]> = {
  A: "added",
  M: "modified",
  D: "removed",
  R: "renamed",
  C: "copied",
  T: "changed",
};

/** What a pull request changes: `git diff base...head` (from the merge base, like GitHub). */
export async function diffFiles(gitDir: string, base: string, head: string): Promise<FileChange[]> {
  const range = `${base}...${head}`;
  const raw = (await git(["diff", "--raw", "--no-abbrev", "-z", "-M", range], { gitDir })).split(
    "\0",
  );
  const changes: FileChange[] = [];
  for (let i = 0; i < raw.length;) {
    const meta = raw[i++];
    if (!meta) continue;
    const [, , , newSha = "", statusField = ""] = meta.slice(1).split(" ");
    const letter = statusField.charAt(0);
    const status = STATUS_NAMES[letter] ?? "modified";
    if (letter === "R" || letter === "C") {
      const from = raw[i++] ?? "";
      const to = raw[i++] ?? "";
      changes.push({
        status,
        filename: to,
        previousFilename: from,
        sha: newSha,
        additions: 0,
        deletions: 0,
      });
    } else {
      changes.push({ status, filename: raw[i++] ?? "", sha: newSha, additions: 0, deletions: 0 });
    }
  }
  const numstat = (await git(["diff", "--numstat", "-z", "-M", range], { gitDir })).split("\0");
  const byName = new Map(changes.map((c) => [c.filename, c]));
  for (let i = 0; i < numstat.length;) {
    const record = numstat[i++];
    if (!record) continue;
    const [added = "0", deleted = "0", path = ""] = record.split("\t");
    // A rename has an empty path here, then the old and the new path as records.
    const name = path === "" ? (i++, numstat[i++] ?? "") : path;
    const change = byName.get(name);
    if (change) {
      change.additions = added === "-" ? 0 : Number(added);
      change.deletions = deleted === "-" ? 0 : Number(deleted);
    }
  }
  return changes;
}

export interface CommitAuthor {
  name: string;
  email: string;
  date?: string;
}

/** The fixed author of seeded commits, so that fixture shas are reproducible. */
export const FIXTURE_AUTHOR: Required<CommitAuthor> = {
  name: "Fixture Author",
  email: "fixture@example.com",
  date: "2026-01-01T00:00:00Z",
};

export function authorEnv(author: CommitAuthor): Record<string, string> {
  const date = author.date ?? FIXTURE_AUTHOR.date;
  return {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
    GIT_COMMITTER_DATE: date,
  };
}

/**
 * Writes a commit straight into a bare repository, without a work tree: start
 * from `parent`'s tree (or an empty one), apply `files` (null deletes), commit.
 * Returns the new commit sha; the caller moves the ref.
 */
export async function writeCommit(
  gitDir: string,
  options: {
    parent: string | null;
    files: Record<string, string | Buffer | null>;
    message: string;
    author: CommitAuthor;
    indexFile: string;
  },
): Promise<string> {
  const env = { GIT_INDEX_FILE: options.indexFile };
  if (options.parent) await git(["read-tree", options.parent], { gitDir, env });
  else await git(["read-tree", "--empty"], { gitDir, env });
  for (const [path, content] of Object.entries(options.files)) {
    if (content === null) {
      // Mode 0 removes the entry; `--force-remove` would want a work tree.
      await git(["update-index", "--index-info"], {
        gitDir,
        env,
        input: `0 ${"0".repeat(40)}\t${path}\n`,
      });
      continue;
    }
    const sha = (await git(["hash-object", "-w", "--stdin"], { gitDir, input: content })).trim();
    await git(["update-index", "--add", "--cacheinfo", `100644,${sha},${path}`], { gitDir, env });
  }
  const tree = (await git(["write-tree"], { gitDir, env })).trim();
  const parentArgs = options.parent ? ["-p", options.parent] : [];
  return (
    await git(["commit-tree", tree, ...parentArgs, "-m", options.message], {
      gitDir,
      env: authorEnv(options.author),
    })
  ).trim();
}

export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  author: Required<CommitAuthor>;
  committer: Required<CommitAuthor>;
  message: string;
}

export async function commitInfo(gitDir: string, sha: string): Promise<CommitInfo | null> {
  const result = await runGit(
    [
      "log",
      "-1",
      "--format=%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B",
      sha,
      "--",
    ],
    { gitDir },
  );
  if (result.code !== 0) return null;
  const [
    full = "",
    tree = "",
    parents = "",
    an = "",
    ae = "",
    ad = "",
    cn = "",
    ce = "",
    cd = "",
    ...rest
  ] = result.stdout.toString("utf8").split("\0");
  return {
    sha: full,
    tree,
    parents: parents.split(" ").filter(Boolean),
    author: { name: an, email: ae, date: ad },
    committer: { name: cn, email: ce, date: cd },
    message: rest.join("\0").replace(/\n+$/, ""),
  };
}
