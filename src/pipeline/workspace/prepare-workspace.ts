import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Forge, GitAccess } from "../../forge/forge.js";
import { parseSpec } from "../../spec/parse-spec.js";
import { createRedactor, createSecretFinder, type Redactor } from "../../util/redact.js";
import type { DraftedSpec } from "../draft-spec/draft-implementation-spec.js";
import { git } from "./git.js";
import { makeWorkspaceDir } from "./workspace-dir.js";

export const BOT_NAME = "chant-bot";
export const BOT_EMAIL = "chant-bot@users.noreply.github.com";

export interface Workspace {
  /** The clone. */
  dir: string;
  /** Scratch space next to the clone (the prompt file): never committed. */
  scratch: string;
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
    options?: { timeoutMs?: number; maxOutputBytes?: number },
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
 * spec committed first. Removed by `dispose()`, also on failure.
 */
export async function prepareWorkspace(options: PrepareOptions): Promise<Workspace> {
  const { draft, signal } = options;
  const scratch = await makeWorkspaceDir(options.workRoot, `chant-${draft.id}-`);
  const dir = join(scratch, "repo");
  const dispose = () => rm(scratch, { recursive: true, force: true });
  try {
    const access: GitAccess = await options.forge.gitAccess();
    const redact = createRedactor([...options.secrets, ...access.secrets]);
    const holdsSecret = createSecretFinder([...options.secrets, ...access.secrets]);
    const local = (
      args: readonly string[],
      o: { timeoutMs?: number; maxOutputBytes?: number } = {},
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
      {
        cwd: scratch,
        redact,
        signal,
        env: access.env,
      },
    );
    await local(["config", "user.name", BOT_NAME]);
    await local(["config", "user.email", BOT_EMAIL]);
    const baseSha = (await local(["rev-parse", "HEAD"])).trim();
    const branch = `chant/${draft.id}`;

    const listed = (
      await remote(["ls-remote", "--heads", "origin", `refs/heads/${branch}`])
    ).trim();
    const remoteSha = listed ? listed.split(/\s+/)[0] : undefined;
    if (remoteSha && (await finishedOnRemote(local, remote, branch, draft.path))) {
      await local(["checkout", "-B", branch, `refs/remotes/origin/${branch}`]);
      return workspace(true);
    }

    await local(["checkout", "-b", branch]);
    await mkdir(dirname(join(dir, draft.path)), { recursive: true });
    await writeFile(join(dir, draft.path), draft.content);
    await local(["add", "--", draft.path]);
    await local(["commit", "--no-verify", "-m", `chant(${draft.id}): draft implementation spec`]);
    return workspace(false);

    async function workspace(resumed: boolean): Promise<Workspace> {
      const draftCommit = resumed ? "" : (await local(["rev-parse", "HEAD"])).trim();
      return {
        dir,
        scratch,
        branch,
        specPath: draft.path,
        baseSha,
        draftCommit,
        remoteSha,
        resumed,
        redact,
        holdsSecret,
        git: local,
        gitRemote: remote,
        dispose,
      };
    }
  } catch (error) {
    await dispose();
    throw error;
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
