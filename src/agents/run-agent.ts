/**
 * What every adapter shares: start the agent with runProcess (own process
 * group, timeout, abort, bounded output), feed its stdout to a stream parser
 * as it arrives, and map the end of the process to one AgentOutcome with a
 * one-sentence error for the status comment. Everything that leaves here is
 * redacted of the agent's credentials and of known token shapes.
 */
import { cp, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { SANDBOX_HOME } from "../sandbox/bubblewrap.js";
import type { NetworkPolicy, SandboxResult } from "../sandbox/sandbox.js";
import { formatDuration } from "../util/format-duration.js";
import { createRedactor, redactKnownTokens } from "../util/redact.js";
import type { AgentName } from "./agent-env.js";
import type { AgentResult, AgentRun } from "./agent.js";
import { progressLine } from "./progress.js";

/** Exit code an agent uses to say "the recommended approach does not work: back to research". */
export const NEEDS_RESEARCH_EXIT_CODE = 3;

// The tail is for a human reading a failure; the parsers see every byte.
const MAX_CAPTURE_BYTES = 512 * 1024;
export const OUTPUT_TAIL_CHARS = 8 * 1024;
const SUMMARY_LINES = 20;
const SUMMARY_CHARS = 4000;
const REASON_CHARS = 300;
const STOP_REASON_CHARS = 600;

/** What a stream parser learned from the agent's output. */
export interface StreamReport {
  /** The agent's final message. */
  summary?: string | undefined;
  /** The stream itself says the run failed (claude's error result, codex's turn.failed). */
  failed?: boolean;
  /** Why, in a few words, when the stream says so. */
  reason?: string | undefined;
  turns?: number | undefined;
  costUsd?: number | undefined;
  model?: string | undefined;
  /** The model API has answered at least once (a real message, not a CLI's own error text). */
  answered?: boolean;
  /**
   * What happened, one short readable line per event that matters ("turn 2",
   * "Bash npm test", "model API retry 3/10: HTTP 529", the final message):
   * the output tail of a JSON-streaming agent, instead of its raw events.
   */
  transcript?: readonly string[];
}

/** What a stream parser may do while the agent runs. */
export interface StreamHooks {
  /** A progress line for the status comment (cleaned and redacted by the caller). */
  progress(line: string): void;
  /**
   * Stop the run now: the stream shows it cannot succeed (its credentials are
   * refused, it cannot reach its model API and would retry for minutes or
   * forever). `reason`, in the agent's own words where it has any, becomes the
   * failure's error.
   */
  stop(reason: string): void;
}

export interface StreamParser {
  push(chunk: string): void;
  end(): void;
  report(): StreamReport;
}

/** What agentFromEnv gives each adapter. */
export interface AgentOptions {
  /** Where credentials and PATH come from (process.env in production). */
  env: NodeJS.ProcessEnv;
  /** Validated names from CHANT_AGENT_ENV. */
  extraEnvNames: readonly string[];
  /** Where its network may go (agentNetwork). */
  network: NetworkPolicy;
  /**
   * A JSON-streaming agent (claude, codex) that prints nothing for this long
   * is stopped as stalled (CHANT_AGENT_IDLE_SECONDS; default 15 minutes).
   */
  idleMs: number;
}

/**
 * Failed attempts in a row to reach a model API that has not answered once in
 * this run, after which a claude or codex run is stopped: before any answer, a
 * connection that keeps failing is a setting (a wrong base URL, a host the
 * sandbox may not reach, a gateway that is down), not a blip, and both CLIs
 * would retry for minutes (claude 10 times, about 3 minutes; codex, when it
 * finds no network at all, forever).
 */
export const CONNECT_ATTEMPTS = 3;

/** CHANT_AGENT_IDLE_SECONDS's default: longer than a model call or a tool call (10 min each at most) takes. */
export const DEFAULT_IDLE_MS = 15 * 60_000;

/** A run that could not even be set up, e.g. a passed variable holds a GitHub token. */
export function configFailure(error: unknown): AgentResult {
  return {
    outcome: "not_started",
    exitCode: null,
    summary: "",
    error: redactKnownTokens(error instanceof Error ? error.message : String(error)),
    durationMs: 0,
    outputTail: "",
  };
}

export interface AgentProcess {
  name: AgentName;
  argv: string[];
  env: Record<string, string>;
  network: NetworkPolicy;
  /** Values to redact from all output. */
  secrets: readonly string[];
  /** The not_started error when the program does not exist. */
  notInstalled: string;
  /** A parser for stdout; progress lines it emits are cleaned and redacted here. */
  parser?: (hooks: StreamHooks) => StreamParser;
  /** With a parser: stop the run when the agent prints nothing for this long. */
  idleMs?: number;
}

export async function runAgentProcess(run: AgentRun, agent: AgentProcess): Promise<AgentResult> {
  const own = createRedactor(agent.secrets);
  const more = run.redact;
  const redact = more ? (text: string) => more(own(text)) : own;
  const progress = (line: string): void => {
    if (!run.onProgress) return;
    const text = progressLine(redact(line));
    if (text === "") return;
    try {
      run.onProgress(text);
    } catch {
      // A failing status update must not stop the agent.
    }
  };
  // A stream that shows the run cannot succeed, or an agent gone silent, stops it early
  // with the reason, instead of letting it retry until the timeout.
  const stopper = new AbortController();
  let stopReason: string | undefined;
  const stop = (reason: string): void => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    stopper.abort(new Error(reason));
  };
  const parser = agent.parser?.({ progress, stop });
  const idleMs = parser ? agent.idleMs : undefined;
  let idle: NodeJS.Timeout | undefined;
  const quiet = (): void => {
    if (idleMs === undefined) return;
    clearTimeout(idle);
    idle = setTimeout(() => {
      const answered = parser?.report().answered === true;
      stop(
        `${agent.name} printed nothing for ${formatDuration(idleMs)}${answered ? "" : " and its model API never answered"}: stopped as stalled (CHANT_AGENT_IDLE_SECONDS)`,
      );
    }, idleMs);
    idle.unref();
  };
  const signal = run.signal ? AbortSignal.any([run.signal, stopper.signal]) : stopper.signal;

  quiet();
  let result: SandboxResult;
  try {
    result = await run.sandbox.run(
      agent.argv,
      {
        cwd: run.workspace,
        writable: [run.workspace],
        readOnly: [run.promptFile],
        privateDir: run.privateDir,
        network: agent.network,
        env: await withPrivateConfigDirs(run, agent.env),
      },
      {
        input: run.prompt,
        timeoutMs: run.timeoutMs,
        signal,
        maxOutputBytes: MAX_CAPTURE_BYTES,
        ...(parser
          ? {
              onStdout: (chunk: string) => {
                quiet();
                parser.push(chunk);
              },
              onStderr: () => quiet(),
            }
          : {}),
      },
    );
  } finally {
    clearTimeout(idle);
  }
  parser?.end();
  // Stopped by us, not by the caller: a failure with the reason, not a cancellation.
  if (stopReason !== undefined && !run.signal?.aborted && result.cancelled) {
    result = { ...result, cancelled: false };
  }
  return agentResult(run, agent, result, parser?.report(), redact, stopReason);
}

function agentResult(
  run: AgentRun,
  agent: AgentProcess,
  result: SandboxResult,
  parsed: StreamReport | undefined,
  redact: (text: string) => string,
  stopReason: string | undefined,
): AgentResult {
  const name = agent.name;
  const report = parsed ?? {};
  // Redact before cutting: a tail that starts inside a secret would no longer match it.
  const output = redact(result.output);
  const stderr = redact(result.stderr);
  // Without a final message from the stream, the last lines a human can read:
  // stderr for a JSON-streaming agent (its stdout is events), all output otherwise.
  const fallback = lastLines(parsed ? stderr : output);
  const base = {
    exitCode: result.exitCode,
    summary: redact(report.summary?.trim() || fallback),
    durationMs: result.durationMs,
    outputTail: parsed
      ? readableTail(report.transcript ?? [], stderr, redact)
      : tail(output, OUTPUT_TAIL_CHARS),
    ...(report.turns !== undefined ? { turns: report.turns } : {}),
    ...(report.costUsd !== undefined ? { costUsd: report.costUsd } : {}),
    ...(report.model !== undefined || run.model ? { model: report.model ?? run.model } : {}),
  };
  const fail = (outcome: AgentResult["outcome"], error: string): AgentResult => ({
    outcome,
    ...base,
    error: redact(error),
  });

  if (result.startError !== undefined) {
    return fail(
      "not_started",
      result.startError.startsWith("command not found")
        ? agent.notInstalled
        : `${name} could not start: ${result.startError}`,
    );
  }
  if (result.limit !== undefined) return fail("failed", `${name} was stopped: ${result.limit}`);
  if (result.cancelled) return fail("cancelled", `${name} was cancelled`);
  if (stopReason !== undefined && !result.timedOut && result.exitCode !== 0) {
    return fail("failed", clip(stopReason, STOP_REASON_CHARS));
  }
  if (result.timedOut) {
    return fail(
      "timed_out",
      `${name} did not finish within ${formatDuration(run.timeoutMs)} and was stopped`,
    );
  }
  if (result.exitCode === NEEDS_RESEARCH_EXIT_CODE) {
    return fail(
      "needs_research",
      `${name} exited with code ${NEEDS_RESEARCH_EXIT_CODE}: the recommended approach does not work, back to research`,
    );
  }
  if (result.exitCode === 0 && !report.failed) return { outcome: "done", ...base };

  const how =
    result.exitCode === 0
      ? `${name} reported a failure`
      : result.exitCode !== null
        ? `${name} failed (exit code ${result.exitCode})`
        : `${name} was killed by ${result.signal ?? "a signal"}`;
  // Never a raw JSON event: the stream's own reason, else the last readable line.
  const reason =
    report.reason ?? lastReadableLine(stderr) ?? (parsed ? undefined : lastReadableLine(output));
  return fail("failed", reason !== undefined ? `${how}: ${clip(reason, REASON_CHARS)}` : how);
}

/** A JSON-streaming agent's tail: what happened, as readable lines, then what it said on stderr. */
function readableTail(
  transcript: readonly string[],
  stderr: string,
  redact: (text: string) => string,
): string {
  const lines = transcript.map((line) => redact(line));
  const said = lastLines(stderr, 15, 2000);
  if (said !== "") lines.push("stderr:", said);
  return tail(lines.join("\n"), OUTPUT_TAIL_CHARS);
}

/** Agent settings directories an operator may point at (a `claude`/`codex` login, settings). */
const CONFIG_DIR_VARS = ["CLAUDE_CONFIG_DIR", "CODEX_HOME"];

/**
 * In the bubblewrap sandbox the agent has a private HOME and sees nothing of
 * the worker's: a settings directory named by CLAUDE_CONFIG_DIR or CODEX_HOME
 * is copied into that HOME for this run (the agent may change its copy; the
 * next job starts from the operator's again).
 */
async function withPrivateConfigDirs(
  run: AgentRun,
  env: Record<string, string>,
): Promise<Record<string, string>> {
  if (run.sandbox.kind !== "bubblewrap") return env;
  const out = { ...env };
  for (const name of CONFIG_DIR_VARS) {
    const source = env[name];
    if (!source) continue;
    const copy = join(run.privateDir, "home", ".chant-agent", name);
    await mkdir(dirname(copy), { recursive: true });
    await cp(source, copy, { recursive: true, verbatimSymlinks: true, force: true }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      },
    );
    out[name] = `${SANDBOX_HOME}/.chant-agent/${name}`;
  }
  return out;
}

/** The last lines of the output, bounded: the summary of an agent that reports none. */
export function lastLines(text: string, lines = SUMMARY_LINES, chars = SUMMARY_CHARS): string {
  const kept = text.trimEnd().split("\n").slice(-lines).join("\n");
  return tail(kept, chars).trim();
}

/** The last line that is not empty and not a JSON event. */
function lastReadableLine(text: string): string | undefined {
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("{"));
  return lines.at(-1);
}

function tail(text: string, chars: number): string {
  if (text.length <= chars) return text;
  // Start at a line boundary where there is one close by.
  const cut = text.slice(text.length - chars);
  const newline = cut.indexOf("\n");
  return newline !== -1 && newline < 200 ? cut.slice(newline + 1) : cut;
}

function clip(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
