import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Forge, GitAccess } from "../../forge/forge.js";
import { parseSpec } from "../../chant-format/parse-spec.js";
import { createRedactor, createSecretFinder, type Redactor } from "../../util/redact.js";
import type { DraftedSpec } from "../draft-spec/draft-implementation-spec.js";
import { PipelineStop } from "../pipeline-stop.js";
import { git } from "../../process/git.js";
import { commitFileFromIndex, stageFile } from "./index-files.js";
import { makeWorkspaceDir, removeTree } from "./workspace-dir.js";

export const BOT_NAME = "chant-bot";
export const BOT_EMAIL = "chant-bot@users.noreply.github.com";

export interface Workspace {
  /**
   * The worker's own clone. Only the worker's hardened git (git.ts) ever
   * works in it, and no sandboxed command ever has it writable: the agent
   * works in a copy (`agentDir`) and its changes come back as a patch.
   */
  dir: string;
  /** The job's directory: the clone, the agent's copy, the sandbox's private files. */
  scratch: string;
  /** Where the agent works: a copy of the clone at the draft commit, handed to the sandbox. */
  agentDir: string;
  /** The sandbox's private directory for this job (a HOME of its own). */
  privateDir: string;
  branch: string;
  specPath: string;
  /** The default branch's head the branch starts from. */
  baseSha: string;
  /** The draft commit; the agent's work is what comes after it. */
  draftCommit: string;
  /** The branch's sha on the remote before this run (for a safe force push), if it existed. */
  remoteSha: string | undefined;
  /** An earlier run already pushed a finished spec to the branch: only publishing is left. */
  resumed: boolean;
  redact: Redactor;
  /** Whether text holds a secret of the process or the forge's token (see createSecretFinder). */
  holdsSecret: (text: string) => boolean;
  git(
    args: readonly string[],
    options?: {
      timeoutMs?: number;
      maxOutputBytes?: number;
      input?: string;
      encoding?: "utf8" | "latin1";
    },
  ): Promise<string>;
  /** git with the forge's credentials (fetch, push). */
  gitRemote(args: readonly string[]): Promise<string>;
  dispose(): Promise<void>;
}

export interface PrepareOptions {
  forge: Forge;
  draft: DraftedSpec;
  defaultBranch: string;
  workRoot: string;
  /** Secrets of the process to redact besides the forge's token. */
  secrets: readonly string[];
  signal?: AbortSignal | undefined;
}

/**
 * Step 3: a fresh shallow clone (credentials per command, never in
 * .git/config), branch `chant/<ID>` from the default branch, and the drafted
 * spec committed first (written through git's index, never through a path
 * of the checkout a repository could have made a symbolic link). Removed by
 * `dispose()`, also on failure.
 */
export async function prepareWorkspace(options: PrepareOptions): Promise<Workspace> {
  const { draft } = options;
  const clone = await openClone(options, draft.id);
  try {
    const { local, remote } = clone;
    const branch = `chant/${draft.id}`;
    const listed = (
      await remote(["ls-remote", "--heads", "origin", `refs/heads/${branch}`])
    ).trim();
    const remoteSha = listed ? listed.split(/\s+/)[0] : undefined;
    if (remoteSha && (await finishedOnRemote(local, remote, branch, draft.path))) {
      await local(["checkout", "-B", branch, `refs/remotes/origin/${branch}`]);
      return clone.workspace({ branch, specPath: draft.path, remoteSha, resumed: true });
    }

    await local(["checkout", "-b", branch]);
    await refuseLinkedPath(local, "HEAD", draft.path);
    // What chant needs to run the spec (its implement prompt, when the repository has none).
    const companions = draft.companionFiles ?? [];
    for (const file of companions) {
      await refuseLinkedPath(local, "HEAD", file.path);
      await stageFile(local, file.path, file.content);
    }
    await commitFileFromIndex(
      local,
      draft.path,
      draft.content,
      `chant(${draft.id}): draft implementation spec`,
    );
    // The working tree too: the agent's copy is made from it.
    await local(["checkout", "--", draft.path, ...companions.map((f) => f.path)]);
    return await clone.workspace({ branch, specPath: draft.path, remoteSha, resumed: false });
  } catch (error) {
    await clone.dispose();
    throw error;
  }
}

export interface PinnedBranchOptions extends Omit<PrepareOptions, "draft"> {
  specId: string;
  specPath: string;
  /** The commit a person approved: the branch must still be there. */
  sha: string;
}

export type PinnedBranch =
  /** The branch is at the pinned commit: checked out there, nothing written yet. */
  | { kind: "at_pin"; workspace: Workspace; specText: string }
  /** An earlier attempt finished the approved spec and pushed it: only publishing is left. */
  | { kind: "finished"; workspace: Workspace }
  /** The branch is somewhere else (or gone): someone pushed after the approval. */
  | { kind: "moved"; head: string | undefined };

/**
 * The plan's branch `chant/<ID>` cloned at the commit a person approved,
 * which must be the branch's head on the remote: a push after the approval
 * is not what was approved. The push later leases on that commit, so a push
 * during the run is refused too.
 */
export async function prepareBranchAt(options: PinnedBranchOptions): Promise<PinnedBranch> {
  const clone = await openClone(options, options.specId);
  try {
    const { local, remote } = clone;
    const branch = `chant/${options.specId}`;
    const listed = (
      await remote(["ls-remote", "--heads", "origin", `refs/heads/${branch}`])
    ).trim();
    const head = listed ? listed.split(/\s+/)[0] : undefined;
    if (head !== options.sha) {
      if (head && (await finishedOnRemote(local, remote, branch, options.specPath))) {
        await local(["checkout", "-B", branch, `refs/remotes/origin/${branch}`]);
        return {
          kind: "finished",
          workspace: await clone.workspace({
            branch,
            specPath: options.specPath,
            remoteSha: head,
            resumed: true,
          }),
        };
      }
      await clone.dispose();
      return { kind: "moved", head };
    }
    await remote([
      "fetch",
      "--depth",
      "50",
      "origin",
      `+refs/heads/${branch}:refs/remotes/origin/${branch}`,
    ]);
    await local(["checkout", "-B", branch, options.sha]);
    await refuseLinkedPath(local, "HEAD", options.specPath);
    let specText: string;
    try {
      specText = await local(["show", `${options.sha}:${options.specPath}`]);
    } catch {
      throw new PipelineStop(
        "spec_unreadable",
        `\`${options.specPath}\` is not on \`${branch}\` at \`${options.sha.slice(0, 7)}\``,
        ["The plan's spec was removed or renamed on the branch; nothing was run."],
        "refused",
      );
    }
    return {
      kind: "at_pin",
      specText,
      workspace: await clone.workspace({
        branch,
        specPath: options.specPath,
        remoteSha: head,
        resumed: false,
      }),
    };
  } catch (error) {
    await clone.dispose();
    throw error;
  }
}

/** A fresh shallow clone of the default branch in a new job directory, and how to make it a Workspace. */
async function openClone(options: Omit<PrepareOptions, "draft">, id: string) {
  const { signal } = options;
  const scratch = await makeWorkspaceDir(options.workRoot, `chant-${id}-`);
  const dir = join(scratch, "repo");
  const dispose = () => removeTree(scratch);
  try {
    const access: GitAccess = await options.forge.gitAccess();
    const redact = createRedactor([...options.secrets, ...access.secrets]);
    const holdsSecret = createSecretFinder([...options.secrets, ...access.secrets]);
    const local = (
      args: readonly string[],
      o: {
        timeoutMs?: number;
        maxOutputBytes?: number;
        input?: string;
        encoding?: "utf8" | "latin1";
      } = {},
    ) => git(args, { cwd: dir, redact, signal, ...o });
    const remote = (args: readonly string[]) =>
      git(args, { cwd: dir, redact, signal, env: access.env });

    const branchArgs = options.defaultBranch === "HEAD" ? [] : ["--branch", options.defaultBranch];
    await git(
      [
        "clone",
        "--depth",
        "50",
        "--no-tags",
        "--single-branch",
        ...branchArgs,
        "--",
        access.url,
        dir,
      ],
      { cwd: scratch, redact, signal, env: access.env },
    );
    await local(["config", "user.name", BOT_NAME]);
    await local(["config", "user.email", BOT_EMAIL]);
    const baseSha = (await local(["rev-parse", "HEAD"])).trim();
    const privateDir = join(scratch, "sandbox");
    await mkdir(privateDir);

    const workspace = async (at: {
      branch: string;
      specPath: string;
      remoteSha: string | undefined;
      resumed: boolean;
    }): Promise<Workspace> => ({
      dir,
      scratch,
      agentDir: join(scratch, "agent"),
      privateDir,
      branch: at.branch,
      specPath: at.specPath,
      baseSha,
      draftCommit: at.resumed ? "" : (await local(["rev-parse", "HEAD"])).trim(),
      remoteSha: at.remoteSha,
      resumed: at.resumed,
      redact,
      holdsSecret,
      git: local,
      gitRemote: remote,
      dispose,
    });
    return { local, remote, workspace, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/**
 * A spec is never written where the repository has a symbolic link on the
 * way (`.chant/specs -> /etc`): git would not follow it, but a reader of the
 * checkout would, and the repository would not be what chant expects.
 */
export async function refuseLinkedPath(
  local: (args: readonly string[]) => Promise<string>,
  ref: string,
  path: string,
): Promise<void> {
  const parts = path.split("/");
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  const listing = await local(["ls-tree", "-z", ref, "--", ...prefixes]);
  for (const entry of listing.split("\0")) {
    const match = /^(\d+) \w+ [0-9a-f]+\t(.*)$/s.exec(entry);
    if (match && match[1] === "120000") {
      throw new PipelineStop(
        "symlink_in_path",
        `\`${match[2]}\` is a symbolic link in the repository, so the spec is not written there`,
        [
          `chant keeps specs in \`.chant/specs/\` as plain files. Replace the link \`${match[2]}\` with a directory on the default branch.`,
        ],
      );
    }
  }
}

/** Whether the remote branch holds the spec already finalized by an earlier attempt of this job. */
async function finishedOnRemote(
  local: (args: readonly string[]) => Promise<string>,
  remote: (args: readonly string[]) => Promise<string>,
  branch: string,
  specPath: string,
): Promise<boolean> {
  await remote([
    "fetch",
    "--depth",
    "50",
    "origin",
    `+refs/heads/${branch}:refs/remotes/origin/${branch}`,
  ]);
  try {
    const text = await local(["show", `refs/remotes/origin/${branch}:${specPath}`]);
    return parseSpec(specPath, text).frontmatter.status === "completed";
  } catch {
    return false;
  }
}
