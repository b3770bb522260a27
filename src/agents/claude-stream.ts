/**
 * Claude Code's `--output-format stream-json --verbose` stream, one event per
 * line (the Agent SDK's SDKMessage types; checked against 2.1.197's real
 * output in test/fixtures/agent-streams/):
 *
 * - `{"type":"system","subtype":"init","cwd","session_id","model","tools",...}` first; its
 *   `model` may carry a context-window suffix (`claude-opus-4-8[1m]`), the assistant
 *   events carry the plain id;
 * - `{"type":"system","subtype":"api_retry","attempt","max_retries","retry_delay_ms",
 *   "error_status","error"}` each time a model API call failed and is retried (claude
 *   retries 10 times, about 3 minutes, on a refused key or connection too);
 * - `{"type":"assistant","message":{"id","model","content":[text | tool_use]},"parent_tool_use_id"}`:
 *   one event per content block in recent versions, so a turn is a distinct
 *   message id; subagent messages carry a parent_tool_use_id and are not turns; a
 *   message whose model is `<synthetic>` is claude's own error text ("Not logged in",
 *   "API Error: ..."), not a model's answer, and is not a turn either;
 * - `{"type":"user",...}` tool results, `stream_event`, `rate_limit_event`... (ignored);
 * - `{"type":"result","subtype":"success"|"error_max_turns"|"error_during_execution"|...,
 *   "is_error","num_turns","total_cost_usd","duration_ms","result"?}` last (`result` only
 *   on success; a failed API call is a "success" with is_error true and the message in result).
 *
 * Unknown events and fields are ignored, so a newer CLI does not break us.
 *
 * The parser also stops a run that cannot succeed (StreamHooks.stop): a refused
 * credential (HTTP 401/403) at the first retry, and a model API that could not
 * be reached CONNECT_ATTEMPTS times in a row before it ever answered (no
 * connection: no status; through the sandbox's egress proxy: 502).
 */
import { z } from "zod";
import { JsonLineReader } from "./json-lines.js";
import { describeToolUse } from "./progress.js";
import { CONNECT_ATTEMPTS, type StreamParser, type StreamReport } from "./run-agent.js";
import { Transcript } from "./transcript.js";

/**
 * HTTP statuses that mean "could not connect": what the sandbox's egress proxy
 * answers when it cannot reach the host (502), and a gateway's timeout (504).
 * Overload (429, 503, 529) is not: claude's own backoff is right for it.
 */
const CANNOT_CONNECT_STATUSES = [502, 504];

/** claude's placeholder model for messages it writes itself (errors), not a model's answer. */
const SYNTHETIC_MODEL = "<synthetic>";

const SystemInit = z.object({
  type: z.literal("system"),
  subtype: z.literal("init"),
  model: z.string().optional(),
  cwd: z.string().optional(),
  session_id: z.string().optional(),
});

const ApiRetry = z.object({
  type: z.literal("system"),
  subtype: z.literal("api_retry"),
  attempt: z.number().optional(),
  max_retries: z.number().optional(),
  retry_delay_ms: z.number().optional(),
  error_status: z.number().nullish(),
  error: z.string().nullish(),
});

const Assistant = z.object({
  type: z.literal("assistant"),
  parent_tool_use_id: z.string().nullish(),
  message: z.object({
    id: z.string().optional(),
    model: z.string().optional(),
    content: z.array(z.unknown()),
  }),
});

const TextBlock = z.object({ type: z.literal("text"), text: z.string() });
const ToolUseBlock = z.object({
  type: z.literal("tool_use"),
  name: z.string(),
  input: z.record(z.string(), z.unknown()).optional(),
});

const Result = z.object({
  type: z.literal("result"),
  subtype: z.string(),
  is_error: z.boolean().optional(),
  num_turns: z.number().optional(),
  total_cost_usd: z.number().optional(),
  duration_ms: z.number().optional(),
  result: z.string().optional(),
  errors: z.array(z.unknown()).optional(),
});

export interface ClaudeResultEvent {
  subtype: string;
  isError: boolean;
  numTurns?: number | undefined;
  costUsd?: number | undefined;
  durationMs?: number | undefined;
  text?: string | undefined;
  errors: string[];
}

export interface ClaudeStreamState {
  model?: string | undefined;
  cwd?: string | undefined;
  sessionId?: string | undefined;
  /** Top-level assistant messages of a model seen so far. */
  turns: number;
  /** The text of the last top-level assistant message. */
  lastText?: string | undefined;
  /** The last `result` event (a woken background task can print more than one). */
  result?: ClaudeResultEvent | undefined;
  /** api_retry events seen. */
  retries: number;
  ignoredLines: number;
}

export interface ClaudeStreamOptions {
  /** The clone, to show tool paths relative to it (init's `cwd` is tried first). */
  workspace?: string | undefined;
  /** The --max-turns we passed, to say so when it is hit. */
  maxTurns?: number | undefined;
  onProgress?: ((line: string) => void) | undefined;
  /** Stop the run: it cannot succeed (see StreamHooks.stop). */
  onStop?: ((reason: string) => void) | undefined;
  /** Where the model API is (ANTHROPIC_BASE_URL or the default), for messages. */
  apiUrl?: string | undefined;
  /** The credential variables to name when they are refused. */
  credentialHint?: string | undefined;
}

/** `claude-opus-4-8[1m]` → `claude-opus-4-8`: the model id, without claude's context-window suffix. */
export function plainModelId(model: string): string {
  return model.replace(/\[[^\]]*\]$/, "").trim();
}

export class ClaudeStreamParser implements StreamParser {
  private readonly reader = new JsonLineReader((event) => this.event(event));
  private readonly state: Omit<ClaudeStreamState, "ignoredLines"> = { turns: 0, retries: 0 };
  private readonly transcript = new Transcript();
  private lastMessageId: string | undefined;
  private lastTextMessageId: string | undefined;
  /** The model named by an answer (plain id), which wins over init's. */
  private answerModel: string | undefined;
  private answered = false;
  /** Consecutive failed attempts to connect (no HTTP status) since the last answer. */
  private connectFailures = 0;
  private stopped = false;

  constructor(private readonly options: ClaudeStreamOptions = {}) {}

  push(chunk: string): void {
    this.reader.push(chunk);
  }

  end(): void {
    this.reader.end();
  }

  get current(): ClaudeStreamState {
    return { ...this.state, ignoredLines: this.reader.ignoredLines };
  }

  report(): StreamReport {
    const { result } = this.state;
    const failed = result !== undefined && (result.isError || result.subtype !== "success");
    // A run in which no model ever answered (claude's own error message only) had no turn.
    const turns = this.answered
      ? (result?.numTurns ?? (this.state.turns > 0 ? this.state.turns : undefined))
      : undefined;
    return {
      summary: (result?.isError ? undefined : result?.text) ?? this.state.lastText,
      failed,
      reason: failed ? this.failureReason(result) : undefined,
      turns,
      costUsd: result?.costUsd,
      model: this.answerModel ?? this.state.model,
      answered: this.answered,
      transcript: this.transcript.all,
    };
  }

  private failureReason(result: ClaudeResultEvent): string {
    const detail = result.errors[0] ?? (result.isError ? result.text : undefined);
    switch (result.subtype) {
      case "error_max_turns": {
        const limit =
          this.options.maxTurns !== undefined ? ` (--max-turns ${this.options.maxTurns})` : "";
        return `claude stopped at its turn limit${limit} before finishing`;
      }
      case "error_max_budget_usd":
        return "claude stopped at its cost budget before finishing";
      case "error_during_execution":
        return `claude hit an error during execution${detail ? `: ${detail}` : ""}`;
      default:
        return detail ?? `claude ended with ${result.subtype}`;
    }
  }

  private event(event: Record<string, unknown>): void {
    switch (event.type) {
      case "system": {
        if (event.subtype === "api_retry") {
          const retry = ApiRetry.safeParse(event);
          if (retry.success) this.retry(retry.data);
          return;
        }
        const init = SystemInit.safeParse(event);
        if (!init.success) return;
        if (init.data.model !== undefined) this.state.model = plainModelId(init.data.model);
        this.state.cwd = init.data.cwd ?? this.state.cwd;
        this.state.sessionId = init.data.session_id ?? this.state.sessionId;
        this.transcript.add(
          `claude started${this.state.model ? ` (model ${this.state.model})` : ""}`,
        );
        return;
      }
      case "assistant": {
        const parsed = Assistant.safeParse(event);
        if (parsed.success) this.assistant(parsed.data);
        return;
      }
      case "result": {
        const parsed = Result.safeParse(event);
        if (!parsed.success) return;
        const r = parsed.data;
        this.state.result = {
          subtype: r.subtype,
          isError: r.is_error ?? r.subtype !== "success",
          numTurns: r.num_turns,
          costUsd: r.total_cost_usd,
          durationMs: r.duration_ms,
          text: r.result,
          errors: (r.errors ?? []).filter((e): e is string => typeof e === "string"),
        };
        const error = this.state.result.isError || r.subtype !== "success";
        this.transcript.add(
          `result: ${r.subtype}${error ? " (error)" : ""}${r.num_turns !== undefined ? `, ${r.num_turns} turn${r.num_turns === 1 ? "" : "s"}` : ""}${error && r.result ? `: ${r.result}` : ""}${this.state.result.errors[0] ? `: ${this.state.result.errors[0]}` : ""}`,
        );
        return;
      }
      default:
        return;
    }
  }

  private retry(retry: z.infer<typeof ApiRetry>): void {
    this.state.retries += 1;
    const status = retry.error_status ?? undefined;
    const error = retry.error ?? "unknown error";
    const of = retry.max_retries !== undefined ? `/${retry.max_retries}` : "";
    const attempt = retry.attempt ?? this.state.retries;
    const what = status !== undefined ? `HTTP ${status} ${error}` : `no connection (${error})`;
    const line = `model API retry ${attempt}${of}: ${what}`;
    this.progress(line);
    this.transcript.add(line);

    const at = this.options.apiUrl ? ` at ${this.options.apiUrl}` : "";
    const instead =
      retry.max_retries !== undefined ? ` instead of retrying ${retry.max_retries} times` : "";
    if (status === 401 || error === "authentication_failed") {
      this.stop(
        `claude cannot authenticate: its model API${at} answered HTTP ${status ?? 401} (${error}); stopped${instead}. ${this.options.credentialHint ?? "Check its API key"}`,
      );
      return;
    }
    if (status === 403) {
      this.stop(
        `claude's request was refused: HTTP 403 (${error}) from its model API${at} or the sandbox's egress proxy; stopped${instead}. Check the key's permissions, ANTHROPIC_BASE_URL and CHANT_SANDBOX_EGRESS`,
      );
      return;
    }
    if (status === undefined || CANNOT_CONNECT_STATUSES.includes(status)) {
      this.connectFailures += 1;
      // Before any answer a connection that keeps failing is a setting, not a blip:
      // a wrong base URL, a host the sandbox may not reach, a gateway that is down.
      if (!this.answered && this.connectFailures >= CONNECT_ATTEMPTS) {
        this.stop(
          `claude cannot reach its model API${at}: ${this.connectFailures} attempts in a row failed (${what}) and it never answered; stopped${instead}. Check ANTHROPIC_BASE_URL, that the API is up, and CHANT_SANDBOX_EGRESS`,
        );
      }
    }
  }

  private stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.transcript.add(
      "stopped by chant-bot: the run cannot succeed (the reason is in the error)",
    );
    try {
      this.options.onStop?.(reason);
    } catch {
      // Stopping is best effort; the timeout still bounds the run.
    }
  }

  private assistant(event: z.infer<typeof Assistant>): void {
    const topLevel = event.parent_tool_use_id == null;
    const { message } = event;
    const synthetic = message.model === SYNTHETIC_MODEL;
    const texts: string[] = [];
    for (const block of message.content) {
      const text = TextBlock.safeParse(block);
      if (text.success && text.data.text.trim() !== "") texts.push(text.data.text);
    }
    if (synthetic) {
      // claude's own words ("Not logged in · Please run /login", "API Error: ..."): no turn.
      if (texts.length > 0) this.transcript.add(`claude: ${texts.join(" ")}`);
      return;
    }
    this.answered = true;
    this.connectFailures = 0;
    if (topLevel) {
      // Without an id every event is its own message; with one, content blocks
      // of the same message arrive as separate events and are one turn.
      if (message.id === undefined || message.id !== this.lastMessageId) {
        this.state.turns += 1;
        this.lastMessageId = message.id;
        this.progress(`turn ${this.state.turns}`);
        this.transcript.add(`turn ${this.state.turns}`);
      }
      if (message.model !== undefined) this.answerModel ??= plainModelId(message.model);
    }
    for (const block of message.content) {
      const tool = ToolUseBlock.safeParse(block);
      if (!tool.success) continue;
      const roots = [this.state.cwd, this.options.workspace];
      const line = describeToolUse(tool.data.name, tool.data.input, roots);
      this.progress(line);
      this.transcript.add(topLevel ? line : `(subagent) ${line}`);
    }
    if (topLevel && texts.length > 0) {
      const text = texts.join("\n").trim();
      this.transcript.add(`claude: ${text}`);
      // Text blocks of one message may arrive as separate events: keep them together.
      const sameMessage = message.id !== undefined && message.id === this.lastTextMessageId;
      this.state.lastText =
        sameMessage && this.state.lastText ? `${this.state.lastText}\n${text}` : text;
      this.lastTextMessageId = message.id;
    }
  }

  private progress(line: string): void {
    try {
      this.options.onProgress?.(line);
    } catch {
      // Progress is best effort.
    }
  }
}
