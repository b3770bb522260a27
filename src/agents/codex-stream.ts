/**
 * Codex's `codex exec --json` stream (codex-rs/exec/src/exec_events.rs), one
 * event per line:
 *
 * - `{"type":"thread.started","thread_id"}`, `{"type":"turn.started"}`;
 * - `{"type":"item.started"|"item.updated"|"item.completed","item":{"id","type",...}}` with
 *   item types `agent_message {text}`, `reasoning {text}`, `command_execution {command,
 *   aggregated_output, exit_code, status}`, `file_change {changes:[{path, kind}], status}`,
 *   `mcp_tool_call {server, tool}`, `web_search {query}`, `todo_list`, `error {message}`;
 * - `{"type":"turn.completed","usage":{input_tokens, cached_input_tokens, output_tokens}}`
 *   or `{"type":"turn.failed","error":{"message"}}`;
 * - `{"type":"error","message"}` for a stream-level error.
 *
 * A codex "turn" is one prompt-to-answer cycle: `codex exec` with one prompt
 * usually runs one turn, however many commands it runs inside it. Codex
 * reports tokens, not cost.
 */
import { z } from "zod";
import { JsonLineReader } from "./json-lines.js";
import { describeShellCommand, workspacePath } from "./progress.js";
import type { StreamParser, StreamReport } from "./run-agent.js";

const Item = z.object({ id: z.string().optional(), type: z.string() });
const ItemEvent = z.object({
  type: z.enum(["item.started", "item.updated", "item.completed"]),
  item: z.record(z.string(), z.unknown()),
});
const AgentMessage = z.object({ type: z.literal("agent_message"), text: z.string() });
const CommandExecution = z.object({
  type: z.literal("command_execution"),
  command: z.string(),
  exit_code: z.number().nullish(),
  status: z.string().optional(),
});
const FileChange = z.object({
  type: z.literal("file_change"),
  changes: z.array(z.object({ path: z.string(), kind: z.string().optional() })),
  status: z.string().optional(),
});
const McpToolCall = z.object({
  type: z.literal("mcp_tool_call"),
  server: z.string(),
  tool: z.string(),
});
const WebSearch = z.object({ type: z.literal("web_search"), query: z.string() });
const ErrorItem = z.object({ type: z.literal("error"), message: z.string() });

const Usage = z.object({
  input_tokens: z.number().optional(),
  cached_input_tokens: z.number().optional(),
  output_tokens: z.number().optional(),
});
const TurnCompleted = z.object({ type: z.literal("turn.completed"), usage: Usage.optional() });
const TurnFailed = z.object({
  type: z.literal("turn.failed"),
  error: z.object({ message: z.string() }).optional(),
});
const StreamError = z.object({ type: z.literal("error"), message: z.string() });
const ThreadStarted = z.object({ type: z.literal("thread.started"), thread_id: z.string() });

export interface CodexStreamState {
  threadId?: string | undefined;
  /** turn.started events. */
  turns: number;
  lastAgentMessage?: string | undefined;
  /** The message of a turn.failed not followed by a completed turn. */
  failure?: string | undefined;
  /** The last stream-level `error` event or error item. */
  lastError?: string | undefined;
  commands: number;
  filesChanged: string[];
  usage: { inputTokens: number; cachedInputTokens: number; outputTokens: number };
  ignoredLines: number;
}

export interface CodexStreamOptions {
  /** The clone: codex reports changed files by absolute path. */
  workspace?: string | undefined;
  model?: string | undefined;
  onProgress?: ((line: string) => void) | undefined;
}

const KIND_VERB: Record<string, string> = { add: "Add", delete: "Delete", update: "Edit" };

export class CodexStreamParser implements StreamParser {
  private readonly reader = new JsonLineReader((event) => this.event(event));
  private readonly state: Omit<CodexStreamState, "ignoredLines"> = {
    turns: 0,
    commands: 0,
    filesChanged: [],
    usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
  };
  /** Items already shown as progress (a command is shown when it starts, not again when it ends). */
  private readonly announced = new Set<string>();

  constructor(private readonly options: CodexStreamOptions = {}) {}

  push(chunk: string): void {
    this.reader.push(chunk);
  }

  end(): void {
    this.reader.end();
  }

  get current(): CodexStreamState {
    return {
      ...this.state,
      filesChanged: [...this.state.filesChanged],
      usage: { ...this.state.usage },
      ignoredLines: this.reader.ignoredLines,
    };
  }

  report(): StreamReport {
    const { failure, lastError } = this.state;
    return {
      summary: this.state.lastAgentMessage,
      failed: failure !== undefined,
      reason: failure ?? lastError,
      turns: this.state.turns > 0 ? this.state.turns : undefined,
      model: this.options.model,
    };
  }

  private event(event: Record<string, unknown>): void {
    switch (event.type) {
      case "thread.started": {
        const parsed = ThreadStarted.safeParse(event);
        if (parsed.success) this.state.threadId = parsed.data.thread_id;
        return;
      }
      case "turn.started":
        this.state.turns += 1;
        this.progress(`turn ${this.state.turns}`);
        return;
      case "turn.completed": {
        const parsed = TurnCompleted.safeParse(event);
        if (!parsed.success) return;
        this.state.failure = undefined;
        const usage = parsed.data.usage;
        this.state.usage.inputTokens += usage?.input_tokens ?? 0;
        this.state.usage.cachedInputTokens += usage?.cached_input_tokens ?? 0;
        this.state.usage.outputTokens += usage?.output_tokens ?? 0;
        return;
      }
      case "turn.failed": {
        const parsed = TurnFailed.safeParse(event);
        if (!parsed.success) return;
        this.state.failure =
          parsed.data.error?.message ?? this.state.lastError ?? "codex reported a failed turn";
        return;
      }
      case "error": {
        const parsed = StreamError.safeParse(event);
        if (parsed.success) this.state.lastError = parsed.data.message;
        return;
      }
      case "item.started":
      case "item.updated":
      case "item.completed": {
        const parsed = ItemEvent.safeParse(event);
        if (parsed.success) this.item(parsed.data.type, parsed.data.item);
        return;
      }
      default:
        return;
    }
  }

  private item(phase: z.infer<typeof ItemEvent>["type"], item: Record<string, unknown>): void {
    const base = Item.safeParse(item);
    if (!base.success) return;
    const id = base.data.id;
    const completed = phase === "item.completed";
    const once = (line: string): void => {
      if (id !== undefined && this.announced.has(id)) return;
      if (id !== undefined) this.announced.add(id);
      this.progress(line);
    };

    switch (base.data.type) {
      case "agent_message": {
        const parsed = AgentMessage.safeParse(item);
        if (parsed.success && completed && parsed.data.text.trim() !== "") {
          this.state.lastAgentMessage = parsed.data.text.trim();
        }
        return;
      }
      case "command_execution": {
        const parsed = CommandExecution.safeParse(item);
        if (!parsed.success) return;
        if (completed) this.state.commands += 1;
        once(`Bash ${describeShellCommand(parsed.data.command)}`);
        return;
      }
      case "file_change": {
        const parsed = FileChange.safeParse(item);
        // Emitted once the patch is applied (or failed): only applied changes count.
        if (!parsed.success || !completed || parsed.data.status === "failed") return;
        const lines: string[] = [];
        for (const change of parsed.data.changes) {
          const path = workspacePath(change.path, [this.options.workspace]);
          if (!this.state.filesChanged.includes(path)) this.state.filesChanged.push(path);
          lines.push(`${KIND_VERB[change.kind ?? "update"] ?? "Edit"} ${path}`);
        }
        if (id !== undefined) this.announced.add(id);
        for (const line of lines) this.progress(line);
        return;
      }
      case "mcp_tool_call": {
        const parsed = McpToolCall.safeParse(item);
        if (parsed.success) once(`MCP ${parsed.data.server}.${parsed.data.tool}`);
        return;
      }
      case "web_search": {
        const parsed = WebSearch.safeParse(item);
        if (parsed.success) once(`WebSearch ${parsed.data.query}`);
        return;
      }
      case "error": {
        const parsed = ErrorItem.safeParse(item);
        if (parsed.success && completed) this.state.lastError = parsed.data.message;
        return;
      }
      default:
        return;
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
