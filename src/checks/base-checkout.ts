/**
 * The "before" of the reproduction check: a separate clone at the base
 * commit, with the head's reproduction tests written in (a test the change
 * adds is not in the base). Made by the worker's hardened git BEFORE any
 * check command runs, so no git ever runs where a command has written.
 */
import { constants } from "node:fs";
import { mkdir, open, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { git, GitError } from "../process/git.js";
import { lstatIfPresent } from "../process/file-status.js";

/** A commit id as the checks accept it for the base: hex only, so it cannot read as an option. */
export const COMMIT_ID = /^[0-9a-f]{7,64}$/i;

/** git commands here are quick; this bounds them even when the checks' own limit is hours. */
const GIT_TIMEOUT_MS = 5 * 60_000;

export interface TestFile {
  /** A safe relative path (checked by checkTestPaths). */
  path: string;
  content: Buffer;
}

export type BaseCheckoutResult =
  { ok: true; dir: string } | { ok: false; reason: string; output: string };

/**
 * `dest`: a clone of `source` (a local repository: the head's clone or a
 * person's checkout) detached at `baseSha`, with `tests` written in.
 */
export async function prepareBaseCheckout(options: {
  source: string;
  baseSha: string;
  dest: string;
  tests: readonly TestFile[];
  redact: (text: string) => string;
  signal?: AbortSignal | undefined;
}): Promise<BaseCheckoutResult> {
  const { baseSha, dest } = options;
  if (!COMMIT_ID.test(baseSha))
    return { ok: false, reason: "the base is not a commit id", output: "" };
  const run = (args: readonly string[], cwd: string) =>
    git(args, { cwd, redact: options.redact, signal: options.signal, timeoutMs: GIT_TIMEOUT_MS });
  try {
    await mkdir(dirname(dest), { recursive: true });
    await run(
      ["clone", "--quiet", "--no-checkout", "--no-hardlinks", "--", options.source, dest],
      dirname(dest),
    );
    await run(["checkout", "--quiet", "--detach", baseSha], dest);
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    return {
      ok: false,
      reason: options.signal?.aborted
        ? "cancelled"
        : `the base commit could not be checked out (\`git ${error.args[0]}\` exit ${error.exitCode ?? "?"})`,
      output: error.output,
    };
  }
  try {
    for (const test of options.tests) await writeInside(dest, test.path, test.content);
  } catch (error) {
    return {
      ok: false,
      reason: `the reproduction tests could not be copied into the base checkout: ${options.redact((error as Error).message)}`,
      output: "",
    };
  }
  return { ok: true, dir: dest };
}

/**
 * Write `content` at `path` under `root`, refusing a symbolic link anywhere
 * on the way (the base commit is the repository's, hence hostile) and
 * replacing, not writing through, a link at the file itself.
 */
export async function writeInside(
  root: string,
  path: string,
  content: Buffer | string,
): Promise<void> {
  const parts = path.split("/");
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    dir = join(dir, part);
    const stat = await lstatIfPresent(dir);
    if (!stat) await mkdir(dir);
    else if (stat.isSymbolicLink())
      throw new Error(`${path}: \`${part}\` is a symbolic link in the base commit`);
    else if (!stat.isDirectory())
      throw new Error(`${path}: \`${part}\` is not a directory in the base commit`);
  }
  const target = join(root, path);
  const existing = await lstatIfPresent(target);
  if (existing?.isDirectory()) throw new Error(`${path} is a directory in the base commit`);
  if (existing) await unlink(target);
  const handle = await open(
    target,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o644,
  );
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
}

/** A test file's bytes, read without following a link (the caller checked it is a regular file). */
export async function readTestFile(root: string, path: string): Promise<Buffer> {
  const handle = await open(join(root, path), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
