import { describe, expect, it } from "vitest";
import { ClaudeStreamParser } from "../../src/agents/claude-stream.js";
import { JsonLineReader } from "../../src/agents/json-lines.js";
import { progressLine } from "../../src/agents/progress.js";
import { randomChunks, readStream } from "./agent-test-support.js";

const FINAL =
  "Fixed the lost write in `src/store.js`: `set()` now awaits the pending flush before it swaps the write buffer, as the RCA recommends. The reproduction test `test/store.test.js` passes, the full suite passes, and the spec's acceptance criteria and release notes are filled in.";

function parse(
  text: string,
  chunks: string[] = [text],
  options: { maxTurns?: number } = {},
): { parser: ClaudeStreamParser; progress: string[] } {
  const progress: string[] = [];
  const parser = new ClaudeStreamParser({ ...options, onProgress: (line) => progress.push(line) });
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return { parser, progress };
}

describe("ClaudeStreamParser", () => {
  it("reads a successful run: turns, cost, model, summary and tool progress", () => {
    const { parser, progress } = parse(readStream("claude-success.jsonl"));
    expect(parser.report()).toMatchObject({
      summary: FINAL,
      failed: false,
      reason: undefined,
      turns: 6,
      costUsd: 0.2137418,
      model: "claude-sonnet-4-5-20250929",
    });
    expect(progress).toEqual([
      "turn 1",
      "Read .chant/research/issue-42-rca.md",
      "turn 2",
      "Read src/store.js",
      "turn 3",
      "Edit src/store.js",
      "turn 4",
      "Bash npm test -- test/store.test.js",
      "turn 5",
      "Edit .chant/specs/2026-01-29-004-k7m.md",
      "turn 6",
    ]);
    const state = parser.current;
    expect(state).toMatchObject({
      cwd: "/tmp/chant-ws-7Qx2/kv-store",
      sessionId: "3f0c2a8e-5b1d-4c7e-9a61-2d8f0b7e4c19",
      turns: 6,
      ignoredLines: 0,
      result: { subtype: "success", isError: false, numTurns: 6, durationMs: 48213 },
    });
  });

  it("gives the same answer however the stream is chunked", () => {
    for (const name of ["claude-success.jsonl", "claude-max-turns.jsonl", "claude-garbage.jsonl"]) {
      const text = readStream(name);
      const whole = parse(text);
      for (const seed of [1, 7, 42, 1234, 99991]) {
        const chunked = parse(text, randomChunks(text, seed));
        expect(chunked.parser.report(), `${name} seed ${seed}`).toEqual(whole.parser.report());
        expect(chunked.progress).toEqual(whole.progress);
        expect(chunked.parser.current).toEqual(whole.parser.current);
      }
      // One character at a time too.
      expect(parse(text, [...text]).parser.report()).toEqual(whole.parser.report());
    }
  });

  it("reports error_max_turns as a failure, with the last assistant text as summary", () => {
    const { parser, progress } = parse(readStream("claude-max-turns.jsonl"), undefined, {
      maxTurns: 3,
    });
    expect(parser.report()).toMatchObject({
      summary: "Reading the RCA before I touch the store.",
      failed: true,
      reason: "claude stopped at its turn limit (--max-turns 3) before finishing",
      turns: 3,
      costUsd: 0.0841552,
      model: "claude-sonnet-4-5-20250929",
    });
    expect(progress).toEqual([
      "turn 1",
      "Read .chant/research/issue-42-rca.md",
      "turn 2",
      "Grep pendingFlush in src",
      "turn 3",
      "Bash npm test",
    ]);
  });

  it("survives a stream cut off mid-line: what came before counts, the half line does not", () => {
    const { parser, progress } = parse(readStream("claude-cut-off.jsonl"));
    expect(parser.report()).toMatchObject({
      summary: "Starting with the RCA.",
      failed: false,
      reason: undefined,
      turns: 1,
      costUsd: undefined,
      model: "claude-sonnet-4-5-20250929",
    });
    expect(parser.current.result).toBeUndefined();
    expect(parser.current.ignoredLines).toBe(1);
    expect(progress).toEqual(["turn 1", "Read .chant/research/issue-42-rca.md"]);
  });

  it("skips banners, garbage and unknown events; subagent messages are not turns", () => {
    const { parser, progress } = parse(readStream("claude-garbage.jsonl"));
    expect(parser.report()).toMatchObject({
      summary: "Done: the store keeps every write now.",
      failed: false,
      reason: undefined,
      turns: 2,
      costUsd: 0.0312,
      model: "claude-sonnet-4-5-20250929",
    });
    expect(progress).toEqual(["turn 1", "Glob src/**/*.js", "Read README.md", "turn 2"]);
    // npm WARN, "not json {", [1,2,3], "just a string", "{ truncated", "Warning: ...".
    expect(parser.current.ignoredLines).toBe(6);
  });

  it("treats a success result with is_error (a failed API call) as a failure", () => {
    const { parser } = parse(
      [
        '{"type":"system","subtype":"init","cwd":"/w","session_id":"s","model":"claude-opus-4-1"}',
        '{"type":"result","subtype":"success","is_error":true,"duration_ms":412,"duration_api_ms":0,"num_turns":1,"result":"Invalid API key · Please run /login","session_id":"s","total_cost_usd":0}',
        "",
      ].join("\n"),
    );
    expect(parser.report()).toMatchObject({
      failed: true,
      reason: "Invalid API key · Please run /login",
      summary: undefined,
      // num_turns says 1, but no model answered: no turn happened.
      turns: undefined,
      answered: false,
      costUsd: 0,
      model: "claude-opus-4-1",
    });
  });

  it("describes a tool call by its first line; run-agent redacts, then cuts it short", () => {
    const long = "x".repeat(500);
    const { progress } = parse(
      `${JSON.stringify({
        type: "assistant",
        parent_tool_use_id: null,
        message: {
          id: "m1",
          content: [
            { type: "tool_use", name: "Bash", input: { command: `echo ${long}\nrm -rf /` } },
            { type: "tool_use", name: "TodoWrite", input: { todos: [] } },
            { type: "tool_use", name: "WebFetch", input: { url: "https://example.com/a" } },
          ],
        },
      })}\n`,
    );
    expect(progress[0]).toBe("turn 1");
    expect(progress[1]).toBe(`Bash echo ${long} …`);
    const line = progressLine(progress[1]!);
    expect(line.length).toBeLessThanOrEqual(100);
    expect(line).toMatch(/^Bash echo x+…$/);
    expect(progress.slice(2)).toEqual(["TodoWrite", "WebFetch https://example.com/a"]);
  });
});

describe("JsonLineReader", () => {
  it("drops an overlong line without holding it in memory, then reads on", () => {
    const seen: unknown[] = [];
    const reader = new JsonLineReader((value) => seen.push(value), 50);
    reader.push('{"a":1}\n{"long":"');
    reader.push("y".repeat(100));
    reader.push('"}\n{"b":2}');
    reader.end();
    expect(seen).toEqual([{ a: 1 }, { b: 2 }]);
    expect(reader.ignoredLines).toBe(1);
  });
});
