/** The codex adapter end to end, with a fake `codex` on a private PATH. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { agentFromEnv } from "../../src/agents/agent-from-env.js";
import type { Agent } from "../../src/agents/agent.js";
import { CODEX_NOT_INSTALLED } from "../../src/agents/codex.js";
import {
  ANTHROPIC_KEY,
  CANARY_GITHUB_TOKEN,
  CANARY_PRIVATE_KEY,
  OPENAI_KEY,
  PROMPT,
  SPEC_ID,
  SPEC_PATH,
  agentRun,
  installFake,
  isAlive,
  makeSandbox,
  readRecord,
  streamPath,
  waitUntil,
} from "./agent-test-support.js";
import type { Sandbox } from "./agent-test-support.js";
import { readFileSync } from "node:fs";

let sandbox: Sandbox;

beforeEach(() => {
  sandbox = makeSandbox();
  vi.stubEnv("GITHUB_TOKEN", CANARY_GITHUB_TOKEN);
  vi.stubEnv("PRIVATE_KEY", CANARY_PRIVATE_KEY);
});

afterEach(() => {
  vi.unstubAllEnvs();
  sandbox.cleanup();
});

function codex(extra: NodeJS.ProcessEnv = {}): Agent {
  return agentFromEnv({
    ...process.env,
    PATH: `${sandbox.bin}:${process.env.PATH ?? ""}`,
    CHANT_AGENT: "codex",
    OPENAI_API_KEY: OPENAI_KEY,
    CODEX_HOME: `${sandbox.dir}/codex-home`,
    ANTHROPIC_API_KEY: ANTHROPIC_KEY,
    ...extra,
  });
}

describe("codex agent", () => {
  it("runs codex exec with JSON events, the prompt on stdin and a clean environment", async () => {
    installFake(sandbox, "codex", [
      "--stream",
      streamPath("codex-success.jsonl"),
      "--edit",
      "src/store.js",
    ]);
    const progress: string[] = [];
    const result = await codex().run(
      agentRun(sandbox, { model: "gpt-5-codex", onProgress: (l) => progress.push(l) }),
    );

    const record = readRecord(sandbox);
    expect(record.argv).toEqual([
      "exec",
      "--json",
      "--sandbox",
      "workspace-write",
      "--skip-git-repo-check",
      "--ephemeral",
      "--model=gpt-5-codex",
      "-",
    ]);
    expect(record.stdin).toBe(PROMPT);
    expect(record.cwd).toBe(sandbox.workspace);
    expect(record.env).toMatchObject({
      CHANT_PROMPT_FILE: sandbox.promptFile,
      CHANT_SPEC_PATH: SPEC_PATH,
      CHANT_SPEC_ID: SPEC_ID,
      OPENAI_API_KEY: OPENAI_KEY,
      // codex exec reads its key from CODEX_API_KEY only.
      CODEX_API_KEY: OPENAI_KEY,
      CODEX_HOME: `${sandbox.dir}/codex-home`,
    });
    for (const name of ["GITHUB_TOKEN", "PRIVATE_KEY", "ANTHROPIC_API_KEY"]) {
      expect(record.env[name], name).toBeUndefined();
    }
    expect(readFileSync(`${sandbox.workspace}/src/store.js`, "utf8")).toContain(
      "// edited by the fake agent",
    );

    expect(result).toMatchObject({ outcome: "done", exitCode: 0, turns: 1, model: "gpt-5-codex" });
    expect(result.costUsd).toBeUndefined();
    expect(result.summary).toMatch(/^Fixed the lost write: `set\(\)` in src\/store.js/);
    expect(progress[0]).toBe("turn 1");
    expect(progress).toContain("Bash npm test");
    expect(progress.some((line) => line.startsWith("Edit ") && line.endsWith("src/store.js"))).toBe(
      true,
    );
  });

  it("fails with turn.failed's message", async () => {
    installFake(sandbox, "codex", [
      "--stream",
      streamPath("codex-turn-failed.jsonl"),
      "--exit",
      "1",
    ]);
    const result = await codex().run(agentRun(sandbox));
    expect(result).toMatchObject({ outcome: "failed", exitCode: 1, turns: 1 });
    expect(result.error).toBe(
      "codex failed (exit code 1): stream disconnected before completion: error sending request for url (https://api.openai.com/v1/responses)",
    );
  });

  it("times out, killing codex and its children", async () => {
    installFake(sandbox, "codex", ["--sleep"]);
    const result = await codex().run(agentRun(sandbox, { timeoutMs: 1000 }));
    expect(result.outcome).toBe("timed_out");
    const grandchild = Number(readFileSync(`${sandbox.record}.grandchild`, "utf8"));
    expect(await waitUntil(() => !isAlive(grandchild), 2000)).toBe(true);
  });

  it("stops a codex that cannot reach its model API instead of letting it wait forever", async () => {
    installFake(sandbox, "codex", [
      "--stream",
      streamPath("codex-0.171.0-connection-refused-hangs.jsonl"),
      "--sleep",
    ]);
    const started = Date.now();
    const result = await codex({ OPENAI_BASE_URL: "http://127.0.0.1:8788/v1" }).run(
      agentRun(sandbox, { timeoutMs: 60_000 }),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.outcome).toBe("failed");
    expect(result.error).toMatch(
      /^codex cannot reach its model API at http:\/\/127\.0\.0\.1:8788\/v1: 3 attempts in a row failed and it never answered \(Reconnecting\.\.\. 4\/5 \(stream disconnected before completion: Connection refused \(os error 111\)\)\); stopped\. Check OPENAI_BASE_URL/,
    );
    // The tail is readable, and says what happened.
    expect(result.outputTail).toContain("error: Reconnecting... 2/5");
    expect(result.outputTail).not.toContain('"type"');
    // Stopped mid-stream: the process (whose group holds anything it started) is gone.
    const pid = readRecord(sandbox).pid;
    expect(await waitUntil(() => !isAlive(pid), 2000)).toBe(true);
  });

  it("tells codex its base URL the way it reads it (-c openai_base_url)", async () => {
    installFake(sandbox, "codex", ["--stream", streamPath("codex-success.jsonl")]);
    await codex({ OPENAI_BASE_URL: "https://gateway.example.com/v1", CODEX_API_KEY: "sk-own" }).run(
      agentRun(sandbox),
    );
    const record = readRecord(sandbox);
    expect(record.argv).toContain('openai_base_url="https://gateway.example.com/v1"');
    // An explicit CODEX_API_KEY wins.
    expect(record.env.CODEX_API_KEY).toBe("sk-own");
  });

  it("says what to install when codex is not there", async () => {
    const agent = agentFromEnv({ PATH: sandbox.emptyBin, CHANT_AGENT: "codex" });
    const result = await agent.run(agentRun(sandbox));
    expect(result.outcome).toBe("not_started");
    expect(result.error).toBe(CODEX_NOT_INSTALLED);
    expect(result.error).toContain("npm install -g @openai/codex");
  });
});
