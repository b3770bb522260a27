import type { Sandbox } from "../sandbox/sandbox.js";

/**
 * The port every coding agent implements (claude.ts, codex.ts, command.ts;
 * agent-from-env.ts picks one): run on a spec in a workspace, in the sandbox,
 * and say how it went.
 */

export interface AgentRun {
  /** The clone the agent works in (its cwd): the only directory it can change. */
  workspace: string;
  /** Where it runs: it sees the workspace, the prompt file and the system, nothing of the worker. */
  sandbox: Sandbox;
  /** A directory of the job for the sandbox's own use (the agent's private HOME). */
  privateDir: string;
  prompt: string;
  /** Absolute path of a file holding the prompt (CHANT_PROMPT_FILE), written by the caller. */
  promptFile: string;
  /** Spec path relative to the workspace (CHANT_SPEC_PATH) and its id (CHANT_SPEC_ID). */
  specPath: string;
  specId: string;
  model?: string | undefined;
  maxTurns: number;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Progress for the status comment: "turn 3", "Edit src/store.js"… (short, already plain text). */
  onProgress?: (line: string) => void;
  /**
   * Redaction of the worker's own secrets (the agent's credentials are redacted anyway),
   * applied to the whole output before any of it is cut to a summary, an error or a tail:
   * a secret cut in half would no longer be recognised.
   */
  redact?: ((text: string) => string) | undefined;
}

export type AgentOutcome =
  "done" | "failed" | "timed_out" | "cancelled" | "needs_research" | "not_started";

export interface AgentResult {
  outcome: AgentOutcome;
  exitCode: number | null;
  /** The agent's final message (claude's `result`, codex's last agent message, or the command's last lines). */
  summary: string;
  /** Why it failed / did not start, in one sentence for the status comment. */
  error?: string;
  turns?: number;
  costUsd?: number;
  model?: string;
  durationMs: number;
  /** Bounded tail of the output (redacted of known token shapes). */
  outputTail: string;
}

export interface Agent {
  readonly name: "claude" | "codex" | "command";
  /** The program it starts and the files it names (checked to be visible inside the sandbox before jobs are taken). */
  readonly programs: readonly string[];
  run(run: AgentRun): Promise<AgentResult>;
}
