/**
 * Claude Code's `--output-format stream-json --verbose` stream, one event per
 * line (the Agent SDK's SDKMessage types):
 *
 * - `{"type":"system","subtype":"init","cwd","session_id","model","tools",...}` first;
 * - `{"type":"assistant","message":{"id","model","content":[text | tool_use]},"parent_tool_use_id"}`:
 *   one event per content block in recent versions, so a turn is a distinct
 *   message id; subagent messages carry a parent_tool_use_id and are not turns;
 * - `{"type":"user",...}` tool results, `stream_event`, `rate_limit_event`... (ignored);
 * - `{"type":"result","subtype":"success"|"error_max_turns"|"error_during_execution"|...,
 *   "is_error","num_turns","total_cost_usd","duration_ms","result"?}` last (`result` only
 *   on success; a failed API call is a "success" with is_error true and the message in result).
 *
 * Unknown events and fields are ignored, so a newer CLI does not break us.
 */
import { z } from "zod";
import { JsonLineReader } from "./json-lines.js";
import { describeToolUse } from "./progress.js";
import type { StreamParser, StreamReport } from "./run-agent.js";

const SystemInit = z.object({
  type: z.literal("system"),
  subtype: z.literal("init"),
  model: z.string().optional(),
  cwd: z.string().optional(),
  session_id: z.string().optional(),
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
  /** Top-level assistant messages seen so far. */
  turns: number;
  /** The text of the last top-level assistant message. */
  lastText?: string | undefined;
  /** The last `result` event (a woken background task can print more than one). */
  result?: ClaudeResultEvent | undefined;
  ignoredLines: number;
}

export interface ClaudeStreamOptions {
  /** The clone, to show tool paths relative to it (init's `cwd` is tried first). */
  workspace?: string | undefined;
  /** The --max-turns we passed, to say so when it is hit. */
  maxTurns?: number | undefined;
  onProgress?: ((line: string) => void) | undefined;
}

export class ClaudeStreamParser implements StreamParser {
  private readonly reader = new JsonLineReader((event) => this.event(event));
  private readonly state: Omit<ClaudeStreamState, "ignoredLines"> = { turns: 0 };
  private lastMessageId: string | undefined;
  private lastTextMessageId: string | undefined;

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
    return {
      summary: (result?.isError ? undefined : result?.text) ?? this.state.lastText,
      failed,
      reason: failed ? this.failureReason(result) : undefined,
      turns: result?.numTurns ?? (this.state.turns > 0 ? this.state.turns : undefined),
      costUsd: result?.costUsd,
      model: this.state.model,
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
        const init = SystemInit.safeParse(event);
        if (!init.success) return;
        this.state.model = init.data.model ?? this.state.model;
        this.state.cwd = init.data.cwd ?? this.state.cwd;
        this.state.sessionId = init.data.session_id ?? this.state.sessionId;
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
        return;
      }
      default:
        return;
    }
  }

  private assistant(event: z.infer<typeof Assistant>): void {
    const topLevel = event.parent_tool_use_id == null;
    const { message } = event;
    if (topLevel) {
      // Without an id every event is its own message; with one, content blocks
      // of the same message arrive as separate events and are one turn.
      if (message.id === undefined || message.id !== this.lastMessageId) {
        this.state.turns += 1;
        this.lastMessageId = message.id;
        this.progress(`turn ${this.state.turns}`);
      }
      this.state.model ??= message.model;
    }
    const texts: string[] = [];
    for (const block of message.content) {
      const tool = ToolUseBlock.safeParse(block);
      if (tool.success) {
        const roots = [this.state.cwd, this.options.workspace];
        this.progress(describeToolUse(tool.data.name, tool.data.input, roots));
        continue;
      }
      const text = TextBlock.safeParse(block);
      if (text.success && text.data.text.trim() !== "") texts.push(text.data.text);
    }
    if (topLevel && texts.length > 0) {
      const text = texts.join("\n").trim();
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
