/**
 * The parsers on real output of the CLIs (test/fixtures/agent-streams/*-2.1.197-*,
 * *-0.171.0-*: captured from `@anthropic-ai/claude-code` 2.1.197 and `@openai/codex`
 * 0.171.0 run the way the adapters run them, against a model-API stand-in):
 * what they report, the progress they give, and when they stop a run that
 * cannot succeed.
 */
import { describe, expect, it } from "vitest";
import { ClaudeStreamParser, plainModelId } from "../../src/agents/claude-stream.js";
import { CodexStreamParser } from "../../src/agents/codex-stream.js";
import { randomChunks, readStream } from "./agent-test-support.js";

function claude(name: string, chunks?: (text: string) => string[]) {
  const progress: string[] = [];
  const stops: string[] = [];
  const parser = new ClaudeStreamParser({
    maxTurns: 60,
    onProgress: (line) => progress.push(line),
    onStop: (reason) => stops.push(reason),
    apiUrl: "http://127.0.0.1:8788",
    credentialHint: "Check ANTHROPIC_API_KEY",
  });
  const text = readStream(name);
  for (const chunk of chunks ? chunks(text) : [text]) parser.push(chunk);
  parser.end();
  return { parser, report: parser.report(), progress, stops };
}

function codex(name: string, chunks?: (text: string) => string[]) {
  const progress: string[] = [];
  const stops: string[] = [];
  const parser = new CodexStreamParser({
    workspace: "/srv/chant-work/chant-bot-work/chant-2026-12-06-001-w5p-WXYXaf/repo",
    model: "gpt-5",
    onProgress: (line) => progress.push(line),
    onStop: (reason) => stops.push(reason),
    apiUrl: "http://127.0.0.1:8788/v1",
    credentialHint: "Check OPENAI_API_KEY",
  });
  const text = readStream(name);
  for (const chunk of chunks ? chunks(text) : [text]) parser.push(chunk);
  parser.end();
  return { parser, report: parser.report(), progress, stops };
}

describe("claude 2.1.197's real stream", () => {
  it("a full run: 4 turns, cost, the model id without its context suffix, readable tail", () => {
    const { report, progress, stops } = claude("claude-2.1.197-full-run.jsonl");
    expect(report).toMatchObject({
      failed: false,
      turns: 4,
      costUsd: 0.032,
      // init says claude-opus-4-8[1m]; the answers say claude-opus-4-8.
      model: "claude-opus-4-8",
      answered: true,
      summary:
        "Fixed issue #42: Store.add now serializes per key with a promise-chain lock; the reproduction test passes.",
    });
    expect(stops).toEqual([]);
    expect(progress).toEqual([
      "turn 1",
      "Read src/store.js",
      "turn 2",
      "Edit src/store.js",
      "turn 3",
      "Bash node --test test/",
      "turn 4",
    ]);
    expect(report.transcript?.at(-1)).toBe("result: success, 4 turns");
    expect(report.transcript?.join("\n")).not.toContain("{");
  });

  it("the init event's model alone is recorded without the suffix", () => {
    expect(plainModelId("claude-opus-4-8[1m]")).toBe("claude-opus-4-8");
    expect(plainModelId("claude-sonnet-5")).toBe("claude-sonnet-5");
    const { report, stops } = claude("claude-2.1.197-hang-killed-at-timeout.jsonl");
    expect(report).toMatchObject({ model: "claude-opus-4-8", answered: false, turns: undefined });
    expect(stops).toEqual([]);
  });

  it("error_max_turns: a failure that says so", () => {
    const { report } = claude("claude-2.1.197-error-max-turns.jsonl");
    expect(report).toMatchObject({
      failed: true,
      reason: "claude stopped at its turn limit (--max-turns 60) before finishing",
    });
  });

  it("not logged in: claude's own <synthetic> message is no turn and no model", () => {
    const { report, progress, stops } = claude("claude-2.1.197-not-logged-in.jsonl");
    expect(report).toMatchObject({
      failed: true,
      reason: "Not logged in · Please run /login",
      turns: undefined,
      answered: false,
      model: "claude-opus-4-8",
    });
    expect(progress).toEqual([]);
    expect(stops).toEqual([]);
    expect(report.transcript).toContain("claude: Not logged in · Please run /login");
  });

  it("401: retries are progress, and the first one stops the run with the credentials to check", () => {
    const { report, progress, stops } = claude("claude-2.1.197-401-after-10-retries.jsonl");
    expect(progress[0]).toBe("model API retry 1/10: HTTP 401 authentication_failed");
    expect(progress).toHaveLength(10);
    expect(stops).toEqual([
      "claude cannot authenticate: its model API at http://127.0.0.1:8788 answered HTTP 401 (authentication_failed); stopped instead of retrying 10 times. Check ANTHROPIC_API_KEY",
    ]);
    expect(report).toMatchObject({ failed: true, answered: false, turns: undefined });
  });

  it("connection refused: stopped at the third attempt in a row before any answer", () => {
    const { progress, stops } = claude("claude-2.1.197-connection-refused.jsonl");
    expect(progress.slice(0, 3)).toEqual([
      "model API retry 1/10: no connection (unknown)",
      "model API retry 2/10: no connection (unknown)",
      "model API retry 3/10: no connection (unknown)",
    ]);
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatch(
      /^claude cannot reach its model API at http:\/\/127\.0\.0\.1:8788: 3 attempts in a row failed \(no connection \(unknown\)\) and it never answered; stopped instead of retrying 10 times\./,
    );
  });

  it("through the sandbox's egress proxy a refused connection is a 502: the same stop", () => {
    const lines = [1, 2, 3, 4].map((attempt) =>
      JSON.stringify({
        type: "system",
        subtype: "api_retry",
        attempt,
        max_retries: 10,
        retry_delay_ms: 500,
        error_status: 502,
        error: "server_error",
      }),
    );
    const progress: string[] = [];
    const stops: string[] = [];
    const parser = new ClaudeStreamParser({
      onProgress: (l) => progress.push(l),
      onStop: (r) => stops.push(r),
    });
    parser.push(`${lines.join("\n")}\n`);
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatch(/3 attempts in a row failed \(HTTP 502 server_error\)/);
  });

  it("after a first answer, overload and blips are left to claude's own retries", () => {
    const answer = JSON.stringify({
      type: "assistant",
      parent_tool_use_id: null,
      message: { id: "m1", model: "claude-opus-4-8", content: [{ type: "text", text: "ok" }] },
    });
    const retries = [1, 2, 3, 4, 5].map((attempt) =>
      JSON.stringify({
        type: "system",
        subtype: "api_retry",
        attempt,
        max_retries: 10,
        error_status: attempt % 2 === 0 ? 529 : null,
        error: attempt % 2 === 0 ? "overloaded_error" : "unknown",
      }),
    );
    const stops: string[] = [];
    const parser = new ClaudeStreamParser({ onStop: (r) => stops.push(r) });
    parser.push(`${[answer, ...retries].join("\n")}\n`);
    expect(stops).toEqual([]);
  });

  it("the same answers however the real streams are chunked", () => {
    for (const name of [
      "claude-2.1.197-full-run.jsonl",
      "claude-2.1.197-401-after-10-retries.jsonl",
      "claude-2.1.197-connection-refused.jsonl",
      "claude-2.1.197-not-logged-in.jsonl",
    ]) {
      const whole = claude(name);
      for (const seed of [5, 77, 4242]) {
        const chunked = claude(name, (text) => randomChunks(text, seed));
        expect(chunked.report, `${name} ${seed}`).toEqual(whole.report);
        expect(chunked.progress).toEqual(whole.progress);
        expect(chunked.stops).toEqual(whole.stops);
      }
    }
  });
});

describe("codex 0.171.0's real stream", () => {
  it("a full run behind a gateway without WebSockets: the fallback is no reason to stop", () => {
    const { report, progress, stops } = codex("codex-0.171.0-full-run.jsonl");
    expect(stops).toEqual([]);
    expect(report).toMatchObject({
      failed: false,
      turns: 1,
      answered: true,
      summary:
        "Fixed issue #42: Store.add now serializes per key with a promise-chain lock; the reproduction test passes.",
    });
    expect(progress).toEqual([
      "turn 1",
      "model API: Reconnecting... 2/5 (unexpected status 404 Not Found: Unknown error, url: ws://127.0.0.1:8788/v1/responses)",
      "model API: Reconnecting... 3/5 (unexpected status 404 Not Found: Unknown error, url: ws://127.0.0.1:8788/v1/responses)",
      "model API: Reconnecting... 4/5 (unexpected status 404 Not Found: Unknown error, url: ws://127.0.0.1:8788/v1/responses)",
      "model API: Reconnecting... 5/5 (unexpected status 404 Not Found: Unknown error, url: ws://127.0.0.1:8788/v1/responses)",
      "Edit src/store.js",
      "Bash node --test test/",
    ]);
    expect(report.transcript).toContain("Bash node --test test/ (exit 0)");
  });

  it("code mode (the default model): the same item types", () => {
    const { report, stops } = codex("codex-0.171.0-codemode-default-model.jsonl");
    expect(stops).toEqual([]);
    expect(report).toMatchObject({ failed: false, answered: true });
    expect(report.summary).toMatch(/^Fixed issue #42 \(code mode\)/);
  });

  it("401: the first retry that says Unauthorized stops the run", () => {
    const { stops } = codex("codex-0.171.0-401.jsonl");
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatch(
      /^codex cannot authenticate to its model API at http:\/\/127\.0\.0\.1:8788\/v1: Reconnecting\.\.\. 1\/5 \(unexpected status 401 Unauthorized: .*\); stopped instead of retrying\. Check OPENAI_API_KEY$/,
    );
  });

  it("connection refused, which it would wait out forever: stopped at the third failure", () => {
    const { stops, report } = codex("codex-0.171.0-connection-refused-hangs.jsonl");
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatch(
      /^codex cannot reach its model API at http:\/\/127\.0\.0\.1:8788\/v1: 3 attempts in a row failed and it never answered \(Reconnecting\.\.\. 4\/5 \(stream disconnected before completion: Connection refused \(os error 111\)\)\)/,
    );
    expect(report.answered).toBe(false);
    // The repeated "waiting for network" lines are counted, not repeated, in the tail.
    expect(report.transcript?.at(-1)).toMatch(/waiting for network.*\(×5\)$/);
  });

  it("refused through the sandbox's egress proxy (502): stopped at the third failure", () => {
    const { stops } = codex("codex-0.171.0-refused-through-egress-proxy.jsonl");
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatch(/HTTP CONNECT failed with status 502/);
  });

  it("'waiting for network' after an answer: stopped at the third in a row", () => {
    const lines = [
      '{"type":"turn.started"}',
      '{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"Working on it."}}',
      ...[1, 2, 3].map(
        () =>
          '{"type":"error","message":"Reconnecting... waiting for network (Connection failed: error sending request)"}',
      ),
    ];
    const stops: string[] = [];
    const parser = new CodexStreamParser({ onStop: (r) => stops.push(r) });
    parser.push(`${lines.slice(0, 4).join("\n")}\n`);
    expect(stops).toEqual([]);
    parser.push(`${lines[4]}\n`);
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatch(/3 times in a row, and it would wait forever; stopped/);
  });

  it("the same answers however the real streams are chunked", () => {
    for (const name of [
      "codex-0.171.0-full-run.jsonl",
      "codex-0.171.0-401.jsonl",
      "codex-0.171.0-connection-refused-hangs.jsonl",
    ]) {
      const whole = codex(name);
      for (const seed of [9, 99, 999]) {
        const chunked = codex(name, (text) => randomChunks(text, seed));
        expect(chunked.report, `${name} ${seed}`).toEqual(whole.report);
        expect(chunked.progress).toEqual(whole.progress);
        expect(chunked.stops).toEqual(whole.stops);
      }
    }
  });
});
