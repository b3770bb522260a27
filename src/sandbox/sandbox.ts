/**
 * Where code that a repository, an agent or a fork wrote runs: the agent, every
 * check command (setup included), and git over a tree the agent controlled.
 * The worker holds the App's private key and mints tokens; nothing started
 * through a Sandbox can see either. docs/deployment.md ("Containment") has
 * the threat model and what each kind guarantees.
 */
import type { RunOptions, RunResult } from "../process/run-process.js";

/** Hosts the egress proxy lets a sandboxed process reach (see egress-rules.ts). */
export interface EgressRule {
  /** `api.anthropic.com`, `*.example.com`, or an IP literal (which may be private: the operator chose it). */
  host: string;
  /** undefined: 80 and 443. */
  port: number | undefined;
}

export type NetworkPolicy =
  /** No network at all: only the sandbox's own loopback. */
  | { kind: "none" }
  /**
   * Out through chant-bot's egress proxy only (HTTPS_PROXY): to the listed
   * hosts, or to any public address. Never the host's loopback, private
   * networks or cloud metadata addresses, unless an IP literal rule names one.
   */
  | { kind: "egress"; allow: readonly EgressRule[] | "public" };

export interface SandboxRun {
  /** Where the command starts; inside one of `writable`. */
  cwd: string;
  /** Directories the command may change (bound read-write at the same path). */
  writable: readonly string[];
  /** Files or directories it may read (bound read-only at the same path), also inside `writable` (a checkout's `.git`). */
  readOnly?: readonly string[];
  /**
   * A directory of the job for the sandbox's own use (a private HOME, the
   * egress proxy's socket). Made by the caller, removed with the job.
   */
  privateDir: string;
  network: NetworkPolicy;
  /** The whole environment (allow-listed by the caller). HOME, TMPDIR and proxy variables are set by the sandbox. */
  env: Record<string, string>;
  /**
   * The writable directories belong to this job (a clone the worker made), so
   * the sandbox may hand them to its own user. False for a person's checkout
   * (`chant-bot check`): they keep their owner.
   */
  ownsWritable?: boolean;
}

export type SandboxRunOptions = Omit<RunOptions, "cwd" | "env" | "user">;

export interface SandboxResult extends RunResult {
  /** The sandbox stopped the command: a limit was reached (disk, processes), said in one sentence. */
  limit?: string | undefined;
}

export type SandboxKind = "bubblewrap" | "wrapper" | "off";

export interface Sandbox {
  readonly kind: SandboxKind;
  /** One line for the logs and the docs: what isolates the commands. */
  readonly description: string;
  run(
    argv: readonly string[],
    run: SandboxRun,
    options?: SandboxRunOptions,
  ): Promise<SandboxResult>;
}

/** A configuration problem of the sandbox, said in one line with what to set. */
export class SandboxConfigError extends Error {
  override readonly name = "SandboxConfigError";
}

/** What the sandbox logs through (pino's Logger, or the CLI's stderr). */
export interface SandboxLog {
  info(message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(message: string): void;
}
