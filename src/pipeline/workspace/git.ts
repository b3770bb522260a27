import { childEnv } from "../../process/command-line.js";
import { runProcess } from "../../process/run-process.js";

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
}

/**
 * Run git with an argument array. The host's global and system git config
 * are not read (no credential helpers, no hooks paths of the worker's user),
 * git never prompts, and what it prints is redacted before anyone sees it.
 */
export async function git(args: readonly string[], options: GitOptions): Promise<string> {
  const result = await runProcess(["git", ...args], {
    cwd: options.cwd,
    env: childEnv({
      GIT_TERMINAL_PROMPT: "0",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
      ...options.env,
    }),
    timeoutMs: options.timeoutMs ?? 10 * 60_000,
    signal: options.signal,
    maxOutputBytes: options.maxOutputBytes ?? 4 * 1024 * 1024,
  });
  if (result.startError) throw new GitError(args, null, options.redact(result.startError));
  if (result.exitCode !== 0) {
    const why = result.timedOut ? "timed out" : result.cancelled ? "cancelled" : "";
    throw new GitError(args, result.exitCode, options.redact(`${why}\n${result.output}`));
  }
  return result.stdout;
}
