/**
 * Fixture repositories for the checks, built with real git: kv-store (a small
 * store with a real concurrency bug and its reproduction test) committed as
 * the "before", then changed and committed as the "after".
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { childEnv } from "../../src/process/command-line.js";
import { runProcess } from "../../src/process/run-process.js";
import { FIXTURE_REPOS } from "../support/memory-files.js";

export const KV_STORE = join(FIXTURE_REPOS, "kv-store");
export const REPRODUCTION_TEST = "test/regression/issue-42.test.js";

/** No global or system git config of the machine running the tests; a fixed identity. */
export const GIT_ENV = childEnv({
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "Fixture",
  GIT_AUTHOR_EMAIL: "fixture@example.com",
  GIT_COMMITTER_NAME: "Fixture",
  GIT_COMMITTER_EMAIL: "fixture@example.com",
});

/** kv-store's src/store.js with writes serialized: the fix of issue #42 (the scripted agent's too). */
export const FIXED_STORE = readFileSync(
  join(import.meta.dirname, "..", "fixtures", "kv-store-fix", "src", "store.js"),
  "utf8",
);

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const result = await runProcess(["git", ...args], { cwd, env: GIT_ENV, timeoutMs: 20_000 });
  if (result.exitCode !== 0) {
    throw new Error(`git ${args.join(" ")} failed (${result.exitCode}): ${result.output}`);
  }
  return result.stdout.trim();
}

/** Path -> new content, or null to delete the file. */
export type FileChanges = Record<string, string | null>;

export interface CheckRepo {
  dir: string;
  baseSha: string;
  headSha: string;
}

const made: string[] = [];

/** Removes every directory made by checkRepo/tempDir (call in afterAll). */
export function removeCheckRepos(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function tempDir(prefix = "chant-checks-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function writeFiles(dir: string, changes: FileChanges): void {
  for (const [path, content] of Object.entries(changes)) {
    const full = join(dir, path);
    if (content === null) {
      rmSync(full, { force: true, recursive: true });
    } else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
  }
}

/**
 * kv-store with `before` applied, committed on `main` (the base); then, on
 * `branch`, `after` applied and committed (the head, checked out).
 */
export async function checkRepo(
  options: { before?: FileChanges; after?: FileChanges; branch?: string } = {},
): Promise<CheckRepo> {
  const dir = tempDir("chant-check-repo-");
  cpSync(KV_STORE, dir, { recursive: true });
  writeFiles(dir, options.before ?? {});
  await git(dir, "init", "--quiet", "--initial-branch=main");
  await git(dir, "add", "--all");
  await git(dir, "commit", "--quiet", "-m", "before");
  const baseSha = await git(dir, "rev-parse", "HEAD");
  await git(dir, "checkout", "--quiet", "-b", options.branch ?? "chant/2026-02-01-001-imp");
  writeFiles(dir, options.after ?? {});
  await git(dir, "add", "--all");
  await git(dir, "commit", "--quiet", "--allow-empty", "-m", "after");
  const headSha = await git(dir, "rev-parse", "HEAD");
  return { dir, baseSha, headSha };
}
