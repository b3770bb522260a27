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
 *
 * Model API trouble arrives as `error` events (checked against 0.171.0's real
 * output in test/fixtures/agent-streams/): `Reconnecting... 2/5 (...)` while it
 * retries (first over a WebSocket, then "Falling back from WebSockets to HTTPS
 * transport", which a gateway without WebSockets always causes and which is
 * harmless), and, when the API cannot be reached at all, `Reconnecting...
 * waiting for network (...)` forever: codex never exits by itself then. The
 * parser stops such a run (StreamHooks.stop): at once when the API refuses the
 * credential (401/403); after CONNECT_ATTEMPTS failures to connect in a row
 * before the API ever answered (through the sandbox's egress proxy a refused
 * connection is "CONNECT failed with status 502" or "502 Bad Gateway"); and
 * after WAITING_FOR_NETWORK_LIMIT "waiting for network" events in a row.
 */
import { z } from "zod";
import { JsonLineReader } from "./json-lines.js";
import { describeShellCommand, workspacePath } from "./progress.js";
import { CONNECT_ATTEMPTS, type StreamParser, type StreamReport } from "./run-agent.js";
import { Transcript } from "./transcript.js";

/** codex's "Reconnecting... waiting for network" events in a row before the run is stopped (one about every 20 s). */
export const WAITING_FOR_NETWORK_LIMIT = 3;

const AUTH_REFUSED = /\b401\b|\bUnauthorized\b|invalid_api_key|Incorrect API key/i;
const FORBIDDEN = /\b403\b|\bForbidden\b/;
const WAITING_FOR_NETWORK = /waiting for network/i;
/** No connection: refused, no name, the sandbox's egress proxy could not connect (502), a gateway timeout. */
const CANNOT_CONNECT =
  /Connection refused|os error 111|CONNECT failed with status 50[24]|\b50[24] (?:Bad Gateway|Gateway Timeout)\b|failed to lookup address|Name does not resolve|dns error|Connection failed|error sending request|waiting for network/i;

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
  /** Stop the run: it cannot succeed (see StreamHooks.stop). */
  onStop?: ((reason: string) => void) | undefined;
  /** Where the model API is (OPENAI_BASE_URL or the default), for messages. */
  apiUrl?: string | undefined;
  /** The credential variables to name when they are refused. */
  credentialHint?: string | undefined;
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
  private readonly transcript = new Transcript();
  private answered = false;
  /** "waiting for network" events since the last event that was not an error. */
  private waitingForNetwork = 0;
  /** Failures to connect since the last answer. */
  private connectFailures = 0;
  private stopped = false;

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
      answered: this.answered,
      transcript: this.transcript.all,
    };
  }

  private event(event: Record<string, unknown>): void {
    const isError =
      event.type === "error" ||
      (typeof event.item === "object" &&
        event.item !== null &&
        (event.item as { type?: unknown }).type === "error");
    if (!isError) this.waitingForNetwork = 0;
    if (this.answered) this.connectFailures = 0;
    switch (event.type) {
      case "thread.started": {
        const parsed = ThreadStarted.safeParse(event);
        if (parsed.success) this.state.threadId = parsed.data.thread_id;
        return;
      }
      case "turn.started":
        this.state.turns += 1;
        this.progress(`turn ${this.state.turns}`);
        this.transcript.add(`turn ${this.state.turns}`);
        return;
      case "turn.completed": {
        const parsed = TurnCompleted.safeParse(event);
        if (!parsed.success) return;
        this.answered = true;
        this.transcript.add("turn completed");
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
        this.transcript.add(`turn failed: ${this.state.failure}`);
        return;
      }
      case "error": {
        const parsed = StreamError.safeParse(event);
        if (parsed.success) this.streamError(parsed.data.message);
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

    // Anything but an error item comes from a model's answer.
    if (base.data.type !== "error") this.answered = true;
    switch (base.data.type) {
      case "agent_message": {
        const parsed = AgentMessage.safeParse(item);
        if (parsed.success && completed && parsed.data.text.trim() !== "") {
          this.state.lastAgentMessage = parsed.data.text.trim();
          this.transcript.add(`codex: ${this.state.lastAgentMessage}`);
        }
        return;
      }
      case "command_execution": {
        const parsed = CommandExecution.safeParse(item);
        if (!parsed.success) return;
        const line = `Bash ${describeShellCommand(parsed.data.command)}`;
        if (completed) {
          this.state.commands += 1;
          const code = parsed.data.exit_code;
          this.transcript.add(
            `${line}${code !== undefined && code !== null ? ` (exit ${code})` : ""}`,
          );
        }
        once(line);
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
        for (const line of lines) {
          this.progress(line);
          this.transcript.add(line);
        }
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
        if (parsed.success && completed) {
          this.state.lastError = parsed.data.message;
          this.transcript.add(`error: ${parsed.data.message}`);
        }
        return;
      }
      default:
        return;
    }
  }

  /** A stream-level `error` event: mostly codex's retries, said as progress; some mean stop. */
  private streamError(message: string): void {
    this.state.lastError = message;
    this.transcript.add(`error: ${message}`);
    const reconnecting = /^Reconnecting\b/i.test(message);
    if (reconnecting) this.progress(`model API: ${message}`);
    const at = this.options.apiUrl ? ` at ${this.options.apiUrl}` : "";
    if (AUTH_REFUSED.test(message)) {
      this.stop(
        `codex cannot authenticate to its model API${at}: ${message}; stopped instead of retrying. ${this.options.credentialHint ?? "Check its API key"}`,
      );
      return;
    }
    if (FORBIDDEN.test(message)) {
      this.stop(
        `codex's request was refused by its model API${at} or the sandbox's egress proxy: ${message}; stopped. Check the key's permissions, OPENAI_BASE_URL and CHANT_SANDBOX_EGRESS`,
      );
      return;
    }
    if (CANNOT_CONNECT.test(message)) {
      this.connectFailures += 1;
      if (!this.answered && this.connectFailures >= CONNECT_ATTEMPTS) {
        this.stop(
          `codex cannot reach its model API${at}: ${this.connectFailures} attempts in a row failed and it never answered (${message}); stopped. Check OPENAI_BASE_URL, that the API is up, and CHANT_SANDBOX_EGRESS`,
        );
        return;
      }
    }
    if (WAITING_FOR_NETWORK.test(message)) {
      this.waitingForNetwork += 1;
      if (this.waitingForNetwork >= WAITING_FOR_NETWORK_LIMIT) {
        this.stop(
          `codex cannot reach its model API${at}: "${message}" ${this.waitingForNetwork} times in a row, and it would wait forever; stopped. Check OPENAI_BASE_URL, that the API is up, and CHANT_SANDBOX_EGRESS`,
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

  private progress(line: string): void {
    try {
      this.options.onProgress?.(line);
    } catch {
      // Progress is best effort.
    }
  }
}
