import { childEnv } from "./command-line.js";
import { runProcess } from "./run-process.js";

export class GitError extends Error {
  override readonly name = "GitError";
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    /** Redacted. */
    readonly output: string,
  ) {
    super(
      `git ${args[0]} failed${exitCode === null ? "" : ` (exit ${exitCode})`}: ${output.trim().split("\n").slice(-5).join("\n")}`,
    );
  }
}

export interface GitOptions {
  cwd: string;
  /** Extra environment: the forge's auth (GIT_CONFIG_*), never written to .git/config. */
  env?: Record<string, string>;
  redact: (text: string) => string;
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
  /** Bound on the output kept (default 4 MiB). */
  maxOutputBytes?: number;
  /** Written to git's stdin. */
  input?: string;
  /** `latin1` keeps one character per byte (binary output such as `cat-file --batch`). */
  encoding?: "utf8" | "latin1";
}

/**
 * Settings every git the worker runs gets, whatever a repository's files say:
 * no hooks, no fsmonitor command, no `ext::` transport (it runs commands), no
 * replace refs. Together with no system or global config (below), nothing a
 * repository, an agent or a fork wrote can make the worker's git run a
 * program. The worker only ever runs git on clones it made and no sandboxed
 * command has written to (src/pipeline/workspace/prepare-workspace.ts).
 */
export const HARDENED_GIT_CONFIG: readonly (readonly [string, string])[] = [
  ["core.hooksPath", "/dev/null"],
  ["core.fsmonitor", "false"],
  ["core.sshCommand", "false"],
  ["protocol.ext.allow", "never"],
  ["diff.external", ""],
  // The clone's own commit graph could name commits the scan before a push did not read.
  ["core.commitGraph", "false"],
];

/**
 * The environment of a worker's git: the allow-listed basics, no system or
 * global config, no prompts, no replace objects, and HARDENED_GIT_CONFIG
 * followed by the caller's own GIT_CONFIG_* pairs (the forge's auth header).
 */
export function gitEnv(extra: Record<string, string> = {}): Record<string, string> {
  const pairs: [string, string][] = HARDENED_GIT_CONFIG.map(([k, v]) => [k, v]);
  const rest: Record<string, string> = {};
  const count = Number(extra.GIT_CONFIG_COUNT ?? 0);
  for (let i = 0; i < count; i += 1) {
    const key = extra[`GIT_CONFIG_KEY_${i}`];
    const value = extra[`GIT_CONFIG_VALUE_${i}`];
    if (key !== undefined && value !== undefined) pairs.push([key, value]);
  }
  for (const [name, value] of Object.entries(extra)) {
    if (!/^GIT_CONFIG_(COUNT|KEY_\d+|VALUE_\d+)$/.test(name)) rest[name] = value;
  }
  const config: Record<string, string> = { GIT_CONFIG_COUNT: String(pairs.length) };
  pairs.forEach(([key, value], i) => {
    config[`GIT_CONFIG_KEY_${i}`] = key;
    config[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return childEnv({
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_ATTR_NOSYSTEM: "1",
    GIT_NO_REPLACE_OBJECTS: "1",
    // No "(hint: ...)" advice or translations in what is parsed and shown.
    LC_ALL: "C",
    ...rest,
    ...config,
  });
}

/**
 * Run git with an argument array, hardened (gitEnv), and what it prints
 * redacted before anyone sees it.
 */
export async function git(args: readonly string[], options: GitOptions): Promise<string> {
  const result = await runProcess(["git", ...args], {
    cwd: options.cwd,
    env: gitEnv(options.env),
    timeoutMs: options.timeoutMs ?? 10 * 60_000,
    signal: options.signal,
    maxOutputBytes: options.maxOutputBytes ?? 4 * 1024 * 1024,
    ...(options.input === undefined ? {} : { input: options.input }),
    ...(options.encoding === undefined ? {} : { encoding: options.encoding }),
  });
  if (result.startError) throw new GitError(args, null, options.redact(result.startError));
  if (result.exitCode !== 0) {
    const why = result.timedOut ? "timed out" : result.cancelled ? "cancelled" : "";
    throw new GitError(args, result.exitCode, options.redact(`${why}\n${result.output}`));
  }
  return result.stdout;
}
