/**
 * The agent's side of the wall. The agent works in a COPY of the worker's
 * clone (the worker's clone is never handed to a sandbox writable), and what
 * it did comes back as data: a patch, computed inside the sandbox by a git
 * that uses the worker's pristine repository read-only and ignores the
 * copy's own `.git` (its config, hooks and objects are the agent's), then
 * applied by the worker's hardened git to its own clone. The worker never
 * runs git in, or reads through a link of, a tree the agent controlled.
 */
import { constants } from "node:fs";
import { cp, mkdir, open } from "node:fs/promises";
import { join } from "node:path";
import { childEnv } from "../../process/command-line.js";
import type { Sandbox } from "../../sandbox/sandbox.js";
import { GitError } from "../../process/git.js";
import { PipelineStop } from "../pipeline-stop.js";
import type { Workspace } from "../workspace/prepare-workspace.js";
import { lstatIfPresent } from "../../process/file-status.js";

/** A larger patch is refused rather than read (an agent that committed its node_modules). */
export const MAX_PATCH_BYTES = 64 * 1024 * 1024;

/** The agent's copy of the clone, at the draft commit. */
export async function copyForAgent(ws: Workspace): Promise<void> {
  await cp(ws.dir, ws.agentDir, {
    recursive: true,
    verbatimSymlinks: true,
    errorOnExist: true,
    force: false,
  });
}

// Run by `sh` inside the sandbox with the draft commit and the output path as
// $1 and $2 (our own script; nothing from the agent is interpolated).
const DIFF_SCRIPT = [
  "set -e",
  'mkdir -p "$GIT_OBJECT_DIRECTORY"',
  'git read-tree "$1"',
  "git add --all -- .",
  'git diff --cached --binary --full-index --no-color --no-ext-diff --no-textconv --no-renames --src-prefix=a/ --dst-prefix=b/ --output="$2" "$1" --',
].join("\n");

/**
 * Step 5a: take the agent's changes into the worker's clone (its index and
 * working tree), as one patch against the draft commit. Files the agent
 * committed or left uncommitted count alike; its own commits and their
 * messages do not leave the sandbox.
 */
export async function takeAgentChanges(
  ws: Workspace,
  sandbox: Sandbox,
  signal?: AbortSignal,
): Promise<{ patchBytes: number }> {
  const out = join(ws.scratch, "out");
  await mkdir(out, { recursive: true });
  const patchFile = join(out, "agent.patch");
  const gitDir = join(ws.dir, ".git");
  const result = await sandbox.run(
    ["sh", "-c", DIFF_SCRIPT, "sh", ws.draftCommit, patchFile],
    {
      cwd: ws.agentDir,
      writable: [out],
      readOnly: [ws.agentDir, gitDir],
      privateDir: join(ws.scratch, "sandbox-diff"),
      network: { kind: "none" },
      env: childEnv({
        GIT_DIR: gitDir,
        GIT_WORK_TREE: ws.agentDir,
        GIT_INDEX_FILE: "/tmp/chant-index",
        GIT_OBJECT_DIRECTORY: "/tmp/chant-objects",
        GIT_ALTERNATE_OBJECT_DIRECTORIES: join(gitDir, "objects"),
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_TERMINAL_PROMPT: "0",
        GIT_CONFIG_COUNT: "3",
        // The repository belongs to the worker's user, not the sandbox's.
        GIT_CONFIG_KEY_0: "safe.directory",
        GIT_CONFIG_VALUE_0: "*",
        GIT_CONFIG_KEY_1: "core.hooksPath",
        GIT_CONFIG_VALUE_1: "/dev/null",
        GIT_CONFIG_KEY_2: "core.fsmonitor",
        GIT_CONFIG_VALUE_2: "false",
      }),
    },
    { timeoutMs: 10 * 60_000, signal, maxOutputBytes: 64 * 1024 },
  );
  if (result.cancelled) {
    throw new PipelineStop(
      "cancelled",
      "cancelled while reading the agent's changes",
      [],
      "cancelled",
    );
  }
  if (result.exitCode !== 0) {
    throw new PipelineStop("agent_changes_unusable", "the agent's changes could not be read", [
      "```text",
      ws
        .redact(result.startError ?? result.limit ?? result.output)
        .trim()
        .slice(-2000),
      "```",
    ]);
  }

  const patch = await readPatch(patchFile);
  if (patch.length === 0) return { patchBytes: 0 };
  const ownCopy = join(ws.scratch, "agent.patch");
  const handle = await open(ownCopy, "wx", 0o600);
  try {
    await handle.writeFile(patch);
  } finally {
    await handle.close();
  }
  try {
    // git apply refuses paths with `..`, absolute paths, `.git/` and writes
    // beyond a symbolic link: the patch cannot reach outside the clone.
    await ws.git(["apply", "--index", "--binary", "--whitespace=nowarn", "--", ownCopy]);
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    throw new PipelineStop(
      "agent_changes_unusable",
      "the agent's changes could not be applied to a clean clone",
      ["```text", error.output.trim().slice(-2000), "```"],
    );
  }
  const raw = await ws.git(["diff", "--cached", "--raw", "-z", "--no-renames", ws.draftCommit]);
  const nested = rawEntries(raw).filter((e) => e.newMode === "160000" || e.oldMode === "160000");
  if (nested.length > 0) {
    throw new PipelineStop(
      "agent_changes_unusable",
      "the agent added a nested git repository, which is not pushed",
      [`At: ${nested.map((e) => `\`${e.path.replace(/`/g, "'")}\``).join(", ")}.`],
    );
  }
  return { patchBytes: patch.length };
}

async function readPatch(path: string): Promise<Buffer> {
  const stat = await lstatIfPresent(path);
  if (!stat) return Buffer.alloc(0);
  if (!stat.isFile()) {
    throw new PipelineStop("agent_changes_unusable", "the agent's changes could not be read", [
      "The patch is not a regular file.",
    ]);
  }
  if (stat.size > MAX_PATCH_BYTES) {
    throw new PipelineStop(
      "agent_changes_unusable",
      `the agent's changes are larger than ${MAX_PATCH_BYTES / 1024 / 1024} MiB, so they are not pushed`,
      ["Large generated files (dependencies, build output) belong in `.gitignore`."],
    );
  }
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

interface RawEntry {
  oldMode: string;
  newMode: string;
  path: string;
}

/** `git diff --raw -z`: `:old new oldsha newsha status\0path\0` per file. */
export function rawEntries(raw: string): RawEntry[] {
  const parts = raw.split("\0");
  const entries: RawEntry[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const meta = parts[i]!.replace(/^\n/, "");
    if (!meta.startsWith(":")) break;
    const [oldMode = "", newMode = ""] = meta.slice(1).split(" ");
    entries.push({ oldMode, newMode, path: parts[i + 1]! });
  }
  return entries;
}
