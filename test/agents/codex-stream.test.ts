import { describe, expect, it } from "vitest";
import { CodexStreamParser } from "../../src/agents/codex-stream.js";
import { randomChunks, readStream } from "./agent-test-support.js";

const WORKSPACE = "/tmp/chant-ws-9Lp4/kv-store";
const FINAL =
  "Fixed the lost write: `set()` in src/store.js now waits for the pending flush before swapping the buffer. The reproduction test and the full suite pass; I ticked the acceptance criteria and wrote the release notes in the spec.";

function parse(text: string, chunks: string[] = [text]) {
  const progress: string[] = [];
  const parser = new CodexStreamParser({
    workspace: WORKSPACE,
    model: "gpt-5-codex",
    onProgress: (line) => progress.push(line),
  });
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return { parser, progress };
}

describe("CodexStreamParser", () => {
  it("reads a successful run: turns, last agent message, commands and file changes", () => {
    const { parser, progress } = parse(readStream("codex-success.jsonl"));
    expect(parser.report()).toMatchObject({
      summary: FINAL,
      failed: false,
      reason: undefined,
      turns: 1,
      model: "gpt-5-codex",
    });
    expect(progress).toEqual([
      "turn 1",
      "Bash cat .chant/research/issue-42-rca.md",
      "Edit src/store.js",
      "Bash npm test",
      "Edit .chant/specs/2026-01-29-004-k7m.md",
      "Add test/store-edge.test.js",
    ]);
    expect(parser.current).toEqual({
      threadId: "0199b1c2-6f0e-7d43-9a51-3c7e2f8a1b64",
      turns: 1,
      lastAgentMessage: FINAL,
      failure: undefined,
      lastError: undefined,
      commands: 2,
      filesChanged: [
        "src/store.js",
        ".chant/specs/2026-01-29-004-k7m.md",
        "test/store-edge.test.js",
      ],
      usage: { inputTokens: 48211, cachedInputTokens: 40960, outputTokens: 2310 },
      ignoredLines: 0,
    });
  });

  it("gives the same answer however the stream is chunked", () => {
    for (const name of ["codex-success.jsonl", "codex-turn-failed.jsonl", "codex-garbage.jsonl"]) {
      const text = readStream(name);
      const whole = parse(text);
      for (const seed of [3, 11, 2024, 65537]) {
        const chunked = parse(text, randomChunks(text, seed));
        expect(chunked.parser.report(), `${name} seed ${seed}`).toEqual(whole.parser.report());
        expect(chunked.progress).toEqual(whole.progress);
        expect(chunked.parser.current).toEqual(whole.parser.current);
      }
    }
  });

  it("reports turn.failed with its message", () => {
    const { parser, progress } = parse(readStream("codex-turn-failed.jsonl"));
    expect(parser.report()).toMatchObject({
      summary: undefined,
      failed: true,
      reason:
        "stream disconnected before completion: error sending request for url (https://api.openai.com/v1/responses)",
      turns: 1,
      model: "gpt-5-codex",
    });
    // Its retries are progress too.
    expect(progress).toEqual(["turn 1", "Bash npm test", "model API: Reconnecting... 1/5"]);
  });

  it("skips garbage, unknown events, malformed items, failed patches and a cut-off last line", () => {
    const { parser, progress } = parse(readStream("codex-garbage.jsonl"));
    expect(parser.report()).toMatchObject({
      summary: "Patched src/store.js; tests pass.",
      failed: false,
      reason: undefined,
      turns: 1,
      model: "gpt-5-codex",
    });
    expect(progress).toEqual(["turn 1", "MCP docs.search", "WebSearch node fs flush ordering"]);
    expect(parser.current.filesChanged).toEqual([]);
    expect(parser.current.usage).toEqual({
      inputTokens: 1000,
      cachedInputTokens: 0,
      outputTokens: 50,
    });
    // "Reading prompt...", "WARN ...", ["array"], the cut-off last line.
    expect(parser.current.ignoredLines).toBe(4);
  });

  it("a later completed turn clears an earlier failure", () => {
    const { parser } = parse(
      [
        '{"type":"turn.started"}',
        '{"type":"turn.failed","error":{"message":"rate limited"}}',
        '{"type":"turn.started"}',
        '{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"ok"}}',
        '{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":1}}',
        "",
      ].join("\n"),
    );
    expect(parser.report()).toMatchObject({ failed: false, turns: 2, summary: "ok" });
  });
});
