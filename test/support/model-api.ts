/**
 * A stand-in for the coding agents' model APIs on 127.0.0.1, enough for the
 * real CLIs to run a short job: Anthropic's Messages API (`POST /v1/messages`,
 * streamed as server-sent events, for Claude Code) and OpenAI's Responses API
 * (`POST /v1/responses`, streamed, for Codex). Written from the public API
 * references; no model answers, a script does:
 *
 * - `edit`: the first request gets a tool call that runs one shell command
 *   (claude's `Bash` tool, codex's shell tool, whatever the request offers),
 *   the next one (which carries the command's result) a final message;
 * - `unauthorized`: every request gets 401 with an authentication error;
 * - `hang`: requests are accepted and never answered.
 *
 * With `key`, a request that does not carry it (`x-api-key: KEY` or
 * `Authorization: Bearer KEY`) gets 401 whatever the scenario, as the real
 * APIs answer. "Connection refused" needs no stand-in: a port nothing listens
 * on (`closedPort()`). Every request is recorded (method, path, the credential
 * it carried, which tools it offered) for the tests to look at.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type Scenario = "edit" | "unauthorized" | "hang";

export interface RecordedRequest {
  method: string;
  path: string;
  /** x-api-key or Authorization, as the CLI sent it. */
  credential: string | undefined;
  /** A WebSocket upgrade (codex tries one first). */
  upgrade: boolean;
  /** The tool names the request offered the model. */
  tools: string[];
  stream: boolean;
  /** Messages / input items in the request (1 on a first turn). */
  items: number;
  /** The model the CLI asked for. */
  model: string | undefined;
  body: Record<string, unknown> | undefined;
}

export interface ModelApiOptions {
  scenario: Scenario;
  /** The API key requests must carry; others get 401. */
  key?: string;
  /** The shell command the `edit` scenario's tool call runs (in the agent's working directory). */
  command?: string;
  /** The final message of the `edit` scenario. */
  finalText?: string;
}

export interface ModelApi {
  /** `http://127.0.0.1:PORT` (an IP literal: the sandbox's egress proxy allows it when a base URL names it). */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export const DEFAULT_COMMAND =
  "printf '// fixed by the stand-in model\\n' >> src/store.js && echo edited";
export const DEFAULT_FINAL_TEXT = "Done: src/store.js edited by the stand-in model.";

export async function startModelApi(options: ModelApiOptions): Promise<ModelApi> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    void handle(req, res, options, requests).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  // Codex asks for a WebSocket first; a plain 404 sends it to HTTPS (server-sent events).
  server.on("upgrade", (req: IncomingMessage, socket: Socket) => {
    requests.push({
      method: req.method ?? "",
      path: req.url ?? "",
      credential: credentialOf(req),
      upgrade: true,
      tools: [],
      stream: false,
      items: 0,
      model: undefined,
      body: undefined,
    });
    socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (connection refused). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function credentialOf(req: IncomingMessage): string | undefined {
  const key = req.headers["x-api-key"];
  if (typeof key === "string" && key !== "") return key;
  const auth = req.headers.authorization;
  return typeof auth === "string" && auth !== "" ? auth : undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  options: ModelApiOptions,
  requests: RecordedRequest[],
): Promise<void> {
  const raw = await readBody(req);
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = raw === "" ? undefined : JSON.parse(raw);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
      body = parsed as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  const path = (req.url ?? "").split("?")[0] ?? "";
  const tools = Array.isArray(body?.tools)
    ? (body.tools as unknown[]).map(toolName).filter((n): n is string => n !== undefined)
    : [];
  const items = Array.isArray(body?.messages)
    ? body.messages.length
    : Array.isArray(body?.input)
      ? body.input.length
      : 0;
  requests.push({
    method: req.method ?? "",
    path: req.url ?? "",
    credential: credentialOf(req),
    upgrade: false,
    tools,
    stream: body?.stream === true,
    items,
    model: typeof body?.model === "string" ? body.model : undefined,
    body,
  });

  if (options.scenario === "hang") return; // never answered; closed with the server
  const anthropic = path === "/v1/messages";
  const openai = path === "/v1/responses";
  if (!anthropic && !openai) {
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { type: "not_found", message: `no ${path} here` } }));
    return;
  }
  const credential = credentialOf(req);
  const keyMissing =
    options.key !== undefined &&
    credential !== options.key &&
    credential !== `Bearer ${options.key}`;
  if (options.scenario === "unauthorized" || keyMissing) {
    res.writeHead(401, { "content-type": "application/json" });
    res.end(
      JSON.stringify(
        anthropic
          ? {
              type: "error",
              error: { type: "authentication_error", message: "stand-in: invalid x-api-key" },
            }
          : {
              error: {
                type: "invalid_request_error",
                code: "invalid_api_key",
                message: "stand-in: Incorrect API key provided",
              },
            },
      ),
    );
    return;
  }
  const command = options.command ?? DEFAULT_COMMAND;
  const finalText = options.finalText ?? DEFAULT_FINAL_TEXT;
  if (anthropic) anthropicAnswer(res, body, tools, command, finalText);
  else openaiAnswer(res, body, tools, command, finalText);
}

function toolName(tool: unknown): string | undefined {
  if (!tool || typeof tool !== "object") return undefined;
  const t = tool as { name?: unknown; type?: unknown; function?: { name?: unknown } };
  if (typeof t.name === "string") return t.name;
  if (typeof t.function?.name === "string") return t.function.name;
  return typeof t.type === "string" ? t.type : undefined;
}

// --- Anthropic Messages -------------------------------------------------

let counter = 0;
const nextId = (prefix: string) => `${prefix}_standin_${(counter += 1)}`;

/** Whether the conversation already holds a tool result (the command ran). */
function anthropicHasToolResult(body: Record<string, unknown> | undefined): boolean {
  const messages = Array.isArray(body?.messages) ? (body.messages as unknown[]) : [];
  return messages.some((m) => {
    const content = (m as { content?: unknown }).content;
    return (
      Array.isArray(content) &&
      content.some((c) => (c as { type?: unknown }).type === "tool_result")
    );
  });
}

function anthropicAnswer(
  res: ServerResponse,
  body: Record<string, unknown> | undefined,
  tools: string[],
  command: string,
  finalText: string,
): void {
  const model = typeof body?.model === "string" ? body.model : "claude-stand-in";
  // The main conversation offers Bash; side requests (titles, summaries) offer no tools.
  const useTool = tools.includes("Bash") && !anthropicHasToolResult(body);
  const content = useTool
    ? [
        { type: "text", text: "Running the fix." },
        {
          type: "tool_use",
          id: nextId("toolu"),
          name: "Bash",
          input: { command, description: "Apply the fix" },
        },
      ]
    : [{ type: "text", text: tools.length > 0 ? finalText : "Stand-in" }];
  const stopReason = useTool ? "tool_use" : "end_turn";
  const usage = { input_tokens: 1000, output_tokens: 50 };
  const id = nextId("msg");
  if (body?.stream !== true) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id,
        type: "message",
        role: "assistant",
        model,
        content,
        stop_reason: stopReason,
        stop_sequence: null,
        usage,
      }),
    );
    return;
  }
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  const send = (event: string, data: Record<string, unknown>) =>
    res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
  send("message_start", {
    message: {
      id,
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: usage.input_tokens, output_tokens: 1 },
    },
  });
  content.forEach((block, index) => {
    if (block.type === "text") {
      send("content_block_start", { index, content_block: { type: "text", text: "" } });
      send("content_block_delta", { index, delta: { type: "text_delta", text: block.text } });
    } else {
      send("content_block_start", {
        index,
        content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
      });
      send("content_block_delta", {
        index,
        delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) },
      });
    }
    send("content_block_stop", { index });
  });
  send("message_delta", {
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: usage.output_tokens },
  });
  send("message_stop", {});
  res.end();
}

// --- OpenAI Responses ----------------------------------------------------

function openaiHasToolResult(body: Record<string, unknown> | undefined): boolean {
  const input = Array.isArray(body?.input) ? (body.input as unknown[]) : [];
  return input.some((item) => {
    const type = (item as { type?: unknown }).type;
    return type === "function_call_output" || type === "custom_tool_call_output";
  });
}

/** The arguments of a shell tool call, in the shape of the tool codex offered. */
function shellCall(
  tools: string[],
  command: string,
): { name: string; arguments: string } | undefined {
  if (tools.includes("exec_command")) {
    return { name: "exec_command", arguments: JSON.stringify({ cmd: command }) };
  }
  if (tools.includes("shell_command")) {
    return { name: "shell_command", arguments: JSON.stringify({ command }) };
  }
  if (tools.includes("shell")) {
    return { name: "shell", arguments: JSON.stringify({ command: ["bash", "-lc", command] }) };
  }
  return undefined;
}

function openaiAnswer(
  res: ServerResponse,
  body: Record<string, unknown> | undefined,
  tools: string[],
  command: string,
  finalText: string,
): void {
  const model = typeof body?.model === "string" ? body.model : "gpt-stand-in";
  const call = openaiHasToolResult(body) ? undefined : shellCall(tools, command);
  const responseId = nextId("resp");
  const item = call
    ? {
        type: "function_call",
        id: nextId("fc"),
        call_id: nextId("call"),
        name: call.name,
        arguments: call.arguments,
        status: "completed",
      }
    : {
        type: "message",
        id: nextId("msg"),
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: finalText, annotations: [] }],
      };
  const usage = {
    input_tokens: 1000,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 50,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 1050,
  };
  const response = (status: string, output: unknown[]) => ({
    id: responseId,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status,
    model,
    output,
    ...(status === "completed" ? { usage } : {}),
  });
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  let sequence = 0;
  const send = (event: string, data: Record<string, unknown>) =>
    res.write(
      `event: ${event}\ndata: ${JSON.stringify({ type: event, sequence_number: sequence++, ...data })}\n\n`,
    );
  send("response.created", { response: response("in_progress", []) });
  send("response.in_progress", { response: response("in_progress", []) });
  if (item.type === "message") {
    send("response.output_item.added", {
      output_index: 0,
      item: { ...item, status: "in_progress", content: [] },
    });
    send("response.content_part.added", {
      item_id: item.id,
      output_index: 0,
      content_index: 0,
      part: { type: "output_text", text: "", annotations: [] },
    });
    send("response.output_text.delta", {
      item_id: item.id,
      output_index: 0,
      content_index: 0,
      delta: finalText,
    });
    send("response.output_text.done", {
      item_id: item.id,
      output_index: 0,
      content_index: 0,
      text: finalText,
    });
    send("response.content_part.done", {
      item_id: item.id,
      output_index: 0,
      content_index: 0,
      part: { type: "output_text", text: finalText, annotations: [] },
    });
  } else {
    send("response.output_item.added", {
      output_index: 0,
      item: { ...item, status: "in_progress", arguments: "" },
    });
    send("response.function_call_arguments.delta", {
      item_id: item.id,
      output_index: 0,
      delta: item.arguments,
    });
    send("response.function_call_arguments.done", {
      item_id: item.id,
      output_index: 0,
      arguments: item.arguments,
    });
  }
  send("response.output_item.done", { output_index: 0, item });
  send("response.completed", { response: response("completed", [item]) });
  res.end();
}
