import { join } from "node:path";
import type { NetworkPolicy, Sandbox } from "../sandbox/sandbox.js";
import { formatDuration } from "./check-text.js";
import { lstatIfPresent } from "../process/file-status.js";

/** What every command of one checks run shares. */
export interface CommandContext {
  /** Where the commands run: they are the maintainers' lines, but they run the branch's code. */
  sandbox: Sandbox;
  /** The job's directory for the sandbox's own files (a HOME shared by the checks of this job). */
  privateDir: string;
  /** The checkouts belong to this job (a clone the worker made), not to a person. */
  ownsCheckouts: boolean;
  env: Record<string, string>;
  redact: (text: string) => string;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  maxOutputBytes?: number | undefined;
}

export type CommandOutcome = "passed" | "failed" | "timed_out" | "cancelled" | "not_started";

export interface CommandRun {
  /** The command line as it ran (redacted). */
  command: string;
  outcome: CommandOutcome;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  startError: string | undefined;
  /** stdout and stderr interleaved, bounded, redacted as a whole. */
  output: string;
  droppedBytes: number;
  durationMs: number;
  /** The sandbox stopped it (disk, processes). */
  limit?: string | undefined;
}

/**
 * Runs one of the maintainers' configured command lines with `sh -c` (they
 * come from the default branch's config, never from the pull request) in the
 * sandbox: the checkout writable but its `.git` read-only, no network unless
 * `network` says so, a timeout and bounded output.
 */
export async function runShellCommand(
  context: CommandContext,
  command: string,
  cwd: string,
  network: NetworkPolicy = { kind: "none" },
): Promise<CommandRun> {
  const dotGit = join(cwd, ".git");
  const hasGit = (await lstatIfPresent(dotGit)) !== undefined;
  const result = await context.sandbox.run(
    ["sh", "-c", command],
    {
      cwd,
      writable: [cwd],
      readOnly: hasGit ? [dotGit] : [],
      privateDir: context.privateDir,
      network,
      env: context.env,
      ownsWritable: context.ownsCheckouts,
    },
    {
      timeoutMs: context.timeoutMs,
      ...(context.signal === undefined ? {} : { signal: context.signal }),
      ...(context.maxOutputBytes === undefined ? {} : { maxOutputBytes: context.maxOutputBytes }),
    },
  );
  const outcome: CommandOutcome = result.limit
    ? "failed"
    : result.cancelled
      ? "cancelled"
      : result.timedOut
        ? "timed_out"
        : result.startError !== undefined
          ? "not_started"
          : result.exitCode === 0
            ? "passed"
            : "failed";
  return {
    command: context.redact(command),
    outcome,
    exitCode: result.exitCode,
    signal: result.signal,
    startError: result.startError === undefined ? undefined : context.redact(result.startError),
    limit: result.limit,
    // Redacted whole, before it goes anywhere (a secret split across chunks is still found).
    output: context.redact(result.output),
    droppedBytes: result.droppedBytes,
    durationMs: result.durationMs,
  };
}

/** `exit code 1`, `killed by SIGKILL`, `timed out after 15 min`, ... */
export function describeExit(run: CommandRun, timeoutMs: number): string {
  switch (run.outcome) {
    case "timed_out":
      return `timed out after ${formatDuration(timeoutMs)} (its processes were killed)`;
    case "cancelled":
      return "cancelled (its processes were killed)";
    case "not_started":
      return `could not start: ${run.startError ?? "unknown error"}`;
    default:
      if (run.limit !== undefined) return `stopped by the sandbox: ${run.limit}`;
      if (run.exitCode !== null) return `exit code ${run.exitCode}`;
      return `killed by ${run.signal ?? "a signal"}`;
  }
}
