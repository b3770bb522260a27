import { copyFile, lstat, mkdir, mkdtemp, realpath, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, sep } from "node:path";
import { runProcess } from "../process/run-process.js";

/** A commit id as the checks accept it for the base: hex only, so it cannot read as an option. */
export const COMMIT_ID = /^[0-9a-f]{7,64}$/i;

/** git commands here are quick; this bounds them even when the checks' own limit is hours. */
const GIT_TIMEOUT_MS = 5 * 60_000;

export interface BaseWorktree {
  path: string;
  /** Removes the worktree and its directory; never throws. */
  remove(): Promise<void>;
}

export type AddWorktreeResult =
  { ok: true; worktree: BaseWorktree } | { ok: false; reason: string; output: string };

/**
 * A detached worktree of `workspace`'s repository at `baseSha`, in a fresh
 * temporary directory (named like the workspace: some tools look at it).
 */
export async function addBaseWorktree(
  workspace: string,
  baseSha: string,
  env: Record<string, string>,
  signal?: AbortSignal,
): Promise<AddWorktreeResult> {
  if (!COMMIT_ID.test(baseSha)) {
    return { ok: false, reason: "the base is not a commit id", output: "" };
  }
  const parent = await mkdtemp(join(tmpdir(), "chant-base-"));
  const path = join(parent, basename(workspace) || "base");
  const worktree: BaseWorktree = {
    path,
    remove: async () => {
      await git(workspace, env, ["worktree", "remove", "--force", "--force", path]);
      await rm(parent, { recursive: true, force: true }).catch(() => {});
      // Forget the worktree even when `remove` failed (e.g. the directory was already gone).
      await git(workspace, env, ["worktree", "prune"]);
    },
  };
  const added = await git(workspace, env, ["worktree", "add", "--detach", path, baseSha], signal);
  if (added.exitCode !== 0) {
    await worktree.remove();
    const reason = added.cancelled
      ? "cancelled"
      : `\`git worktree add\` could not check out the base commit (${
          added.startError ?? `exit code ${added.exitCode ?? added.signal ?? "?"}`
        })`;
    return { ok: false, reason, output: added.output };
  }
  return { ok: true, worktree };
}

/**
 * Copies the reproduction tests from the head checkout into the base worktree
 * (a test added by the change is not in the base). The paths are already
 * validated; a symbolic link in the base must still not lead the copy outside.
 */
export async function copyTestsIntoBase(
  headRoot: string,
  baseRoot: string,
  paths: readonly string[],
): Promise<void> {
  const realBase = await realpath(baseRoot);
  for (const path of paths) {
    const target = join(baseRoot, path);
    await mkdir(dirname(target), { recursive: true });
    const realDir = await realpath(dirname(target));
    if (realDir !== realBase && !realDir.startsWith(realBase + sep)) {
      throw new Error(`${path}: its directory in the base commit leads outside the checkout`);
    }
    const existing = await lstat(target).catch(() => undefined);
    if (existing?.isDirectory()) throw new Error(`${path} is a directory in the base commit`);
    // copyFile would write through a symbolic link: replace the link itself.
    if (existing?.isSymbolicLink()) await unlink(target);
    await copyFile(join(headRoot, path), target);
  }
}

interface GitResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  cancelled: boolean;
  startError: string | undefined;
  output: string;
}

async function git(
  cwd: string,
  env: Record<string, string>,
  args: readonly string[],
  signal?: AbortSignal,
): Promise<GitResult> {
  // No hooks (a post-checkout hook would run code nobody configured for the checks), no prompts.
  const result = await runProcess(["git", "-c", "core.hooksPath=/dev/null", ...args], {
    cwd,
    env: { ...env, GIT_TERMINAL_PROMPT: "0" },
    timeoutMs: GIT_TIMEOUT_MS,
    maxOutputBytes: 64 * 1024,
    ...(signal === undefined ? {} : { signal }),
  });
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    cancelled: result.cancelled,
    startError: result.startError,
    output: result.output,
  };
}
