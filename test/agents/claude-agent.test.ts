/**
 * The claude adapter end to end: real processes, a fake `claude` on a private
 * PATH that records what it got and replays a recorded stream.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  AgentConfigError,
  NEEDS_RESEARCH_EXIT_CODE,
  agentFromEnv,
} from "../../src/agents/agent-from-env.js";
import type { Agent } from "../../src/agents/agent.js";
import { CLAUDE_NOT_INSTALLED } from "../../src/agents/claude.js";
import {
  ANTHROPIC_KEY,
  CANARY_GITHUB_TOKEN,
  CANARY_PRIVATE_KEY,
  CANARY_WEBHOOK_SECRET,
  OPENAI_KEY,
  PROMPT,
  SPEC_ID,
  SPEC_PATH,
  STORE_JS,
  agentRun,
  installFake,
  isAlive,
  makeSandbox,
  readRecord,
  streamPath,
  waitUntil,
} from "./agent-test-support.js";
import type { Sandbox } from "./agent-test-support.js";

let sandbox: Sandbox;

beforeEach(() => {
  sandbox = makeSandbox();
  // The worker's own secrets, in the parent's environment.
  vi.stubEnv("GITHUB_TOKEN", CANARY_GITHUB_TOKEN);
  vi.stubEnv("PRIVATE_KEY", CANARY_PRIVATE_KEY);
  vi.stubEnv("WEBHOOK_SECRET", CANARY_WEBHOOK_SECRET);
  vi.stubEnv("NODE_OPTIONS", "--max-old-space-size=4096");
});

afterEach(() => {
  vi.unstubAllEnvs();
  sandbox.cleanup();
});

function claude(extra: NodeJS.ProcessEnv = {}): Agent {
  return agentFromEnv({
    ...process.env,
    PATH: `${sandbox.bin}:${process.env.PATH ?? ""}`,
    CHANT_AGENT: "claude",
    ANTHROPIC_API_KEY: ANTHROPIC_KEY,
    OPENAI_API_KEY: OPENAI_KEY,
    ...extra,
  });
}

describe("claude agent", () => {
  it("runs claude in print mode with the prompt on stdin and a clean environment", async () => {
    installFake(sandbox, "claude", [
      "--stream",
      streamPath("claude-success.jsonl"),
      "--edit",
      "src/store.js",
    ]);
    const progress: string[] = [];
    const result = await claude().run(
      agentRun(sandbox, { model: "sonnet", maxTurns: 7, onProgress: (l) => progress.push(l) }),
    );

    const record = readRecord(sandbox);
    expect(record.argv).toEqual([
      "-p",
      "--output-format",
      "stream-json",
      "--verbose",
      "--model=sonnet",
      "--max-turns",
      "7",
      "--permission-mode",
      "bypassPermissions",
      "--no-session-persistence",
    ]);
    expect(record.stdin).toBe(PROMPT);
    expect(record.cwd).toBe(sandbox.workspace);
    expect(record.env).toMatchObject({
      CHANT_PROMPT_FILE: sandbox.promptFile,
      CHANT_SPEC_PATH: SPEC_PATH,
      CHANT_SPEC_ID: SPEC_ID,
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
    });
    for (const name of [
      "GITHUB_TOKEN",
      "PRIVATE_KEY",
      "WEBHOOK_SECRET",
      "OPENAI_API_KEY",
      "NODE_OPTIONS",
    ]) {
      expect(record.env[name], name).toBeUndefined();
    }
    const everything = JSON.stringify(record.env);
    expect(everything).not.toContain(CANARY_GITHUB_TOKEN);
    expect(everything).not.toContain("PRIVATE KEY");

    expect(readFileSync(join(sandbox.workspace, "src/store.js"), "utf8")).toBe(
      `${STORE_JS}// edited by the fake agent\n`,
    );
    expect(result).toMatchObject({
      outcome: "done",
      exitCode: 0,
      turns: 6,
      costUsd: 0.2137418,
      model: "claude-sonnet-4-5-20250929",
    });
    expect(result.error).toBeUndefined();
    expect(result.summary).toMatch(/^Fixed the lost write in `src\/store.js`/);
    expect(result.durationMs).toBeGreaterThan(0);
    // The tail is what happened, readable: no raw JSON events.
    expect(result.outputTail).toContain("result: success, 6 turns");
    expect(result.outputTail).toContain("Edit src/store.js");
    expect(result.outputTail).not.toContain('"type"');
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
  });

  it("fails with the stream's reason when claude stops at its turn limit", async () => {
    installFake(sandbox, "claude", [
      "--stream",
      streamPath("claude-max-turns.jsonl"),
      "--exit",
      "1",
    ]);
    const result = await claude().run(agentRun(sandbox, { maxTurns: 3 }));
    expect(result).toMatchObject({
      outcome: "failed",
      exitCode: 1,
      error:
        "claude failed (exit code 1): claude stopped at its turn limit (--max-turns 3) before finishing",
      summary: "Reading the RCA before I touch the store.",
      turns: 3,
      costUsd: 0.0841552,
    });
  });

  it("fails on an error result even when claude exits 0", async () => {
    installFake(sandbox, "claude", ["--stream", streamPath("claude-max-turns.jsonl")]);
    const result = await claude().run(agentRun(sandbox, { maxTurns: 3 }));
    expect(result.outcome).toBe("failed");
    expect(result.error).toBe(
      "claude reported a failure: claude stopped at its turn limit (--max-turns 3) before finishing",
    );
  });

  it("reports a stream cut off by a crash as failed, with what it had done", async () => {
    installFake(sandbox, "claude", [
      "--stream",
      streamPath("claude-cut-off.jsonl"),
      "--stderr",
      "Error: socket hang up",
      "--exit",
      "1",
    ]);
    const result = await claude().run(agentRun(sandbox));
    expect(result).toMatchObject({
      outcome: "failed",
      exitCode: 1,
      error: "claude failed (exit code 1): Error: socket hang up",
      summary: "Starting with the RCA.",
      turns: 1,
    });
  });

  it(`maps exit code ${NEEDS_RESEARCH_EXIT_CODE} to needs_research`, async () => {
    installFake(sandbox, "claude", [
      "--stream",
      streamPath("claude-success.jsonl"),
      "--exit",
      String(NEEDS_RESEARCH_EXIT_CODE),
    ]);
    const result = await claude().run(agentRun(sandbox));
    expect(result.outcome).toBe("needs_research");
    expect(result.exitCode).toBe(3);
    expect(result.error).toMatch(/back to research/);
  });

  it("kills claude and its children when the timeout passes", async () => {
    installFake(sandbox, "claude", ["--sleep"]);
    const started = Date.now();
    const result = await claude().run(agentRun(sandbox, { timeoutMs: 1000 }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.outcome).toBe("timed_out");
    expect(result.error).toBe("claude did not finish within 1 s and was stopped");
    const grandchild = Number(readFileSync(`${sandbox.record}.grandchild`, "utf8"));
    expect(await waitUntil(() => !isAlive(grandchild), 2000)).toBe(true);
    expect(isAlive(readRecord(sandbox).pid)).toBe(false);
  });

  it("is cancelled through its AbortSignal, children included", async () => {
    installFake(sandbox, "claude", ["--sleep"]);
    const controller = new AbortController();
    const result = await claude().run(
      agentRun(sandbox, {
        signal: controller.signal,
        // The fake reports a tool call once its grandchild is running.
        onProgress: (line) => {
          if (line.startsWith("Bash")) controller.abort();
        },
      }),
    );
    expect(result.outcome).toBe("cancelled");
    expect(result.error).toBe("claude was cancelled");
    const grandchild = Number(readFileSync(`${sandbox.record}.grandchild`, "utf8"));
    expect(await waitUntil(() => !isAlive(grandchild), 2000)).toBe(true);
  });

  it("stops at the first 401 retry, children included, naming the credentials to check", async () => {
    installFake(sandbox, "claude", [
      "--stream",
      streamPath("claude-2.1.197-401-after-10-retries.jsonl"),
      "--sleep",
    ]);
    const progress: string[] = [];
    const started = Date.now();
    const result = await claude({ ANTHROPIC_BASE_URL: "http://127.0.0.1:8788" }).run(
      agentRun(sandbox, { timeoutMs: 60_000, onProgress: (l) => progress.push(l) }),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.outcome).toBe("failed");
    expect(result.error).toBe(
      "claude cannot authenticate: its model API at http://127.0.0.1:8788 answered HTTP 401 (authentication_failed); stopped instead of retrying 10 times. Check ANTHROPIC_API_KEY (or CLAUDE_CODE_OAUTH_TOKEN from `claude setup-token`, or ANTHROPIC_AUTH_TOKEN with ANTHROPIC_BASE_URL, or the Bedrock or Vertex AI variables) in the worker's environment",
    );
    expect(progress[0]).toBe("model API retry 1/10: HTTP 401 authentication_failed");
    // Stopped mid-stream: the process (whose group holds anything it started) is gone.
    const pid = readRecord(sandbox).pid;
    expect(await waitUntil(() => !isAlive(pid), 2000)).toBe(true);
  });

  it("stops a claude that prints nothing for CHANT_AGENT_IDLE_SECONDS, as stalled, not timed out", async () => {
    installFake(sandbox, "claude", ["--sleep"]);
    const result = await claude({ CHANT_AGENT_IDLE_SECONDS: "1" }).run(
      agentRun(sandbox, { timeoutMs: 60_000 }),
    );
    expect(result.outcome).toBe("failed");
    expect(result.error).toBe(
      "claude printed nothing for 1 s: stopped as stalled (CHANT_AGENT_IDLE_SECONDS)",
    );
    const grandchild = Number(readFileSync(`${sandbox.record}.grandchild`, "utf8"));
    expect(await waitUntil(() => !isAlive(grandchild), 2000)).toBe(true);
    expect(() => claude({ CHANT_AGENT_IDLE_SECONDS: "soon" })).toThrow(
      /CHANT_AGENT_IDLE_SECONDS "soon" must be a whole number of seconds/,
    );
  });

  it("says which credentials to set when claude is not logged in", async () => {
    installFake(sandbox, "claude", [
      "--stream",
      streamPath("claude-2.1.197-not-logged-in.jsonl"),
      "--exit",
      "1",
    ]);
    const result = await claude().run(agentRun(sandbox));
    expect(result.outcome).toBe("failed");
    expect(result.turns).toBeUndefined();
    expect(result.error).toMatch(
      /^claude failed \(exit code 1\): Not logged in · Please run \/login \(claude found no credential: set ANTHROPIC_API_KEY \(or CLAUDE_CODE_OAUTH_TOKEN/,
    );
    expect(result.error).toContain("a `claude /login` of the worker's user is not visible");
  });

  it("says what to install when claude is not there", async () => {
    const agent = agentFromEnv({
      PATH: sandbox.emptyBin,
      HOME: sandbox.dir,
      CHANT_AGENT: "claude",
    });
    const result = await agent.run(agentRun(sandbox));
    expect(result).toMatchObject({ outcome: "not_started", exitCode: null });
    expect(result.error).toBe(CLAUDE_NOT_INSTALLED);
    expect(result.error).toContain("npm install -g @anthropic-ai/claude-code");
  });

  it("redacts its own credentials and token shapes from what it reports", async () => {
    installFake(sandbox, "claude", [
      "--stderr",
      `auth failed for ${ANTHROPIC_KEY} (also saw ${CANARY_GITHUB_TOKEN})`,
      "--exit",
      "1",
    ]);
    const result = await claude().run(agentRun(sandbox));
    expect(result.outcome).toBe("failed");
    for (const text of [result.error ?? "", result.summary, result.outputTail]) {
      expect(text).toContain("[REDACTED]");
      expect(text).not.toContain(ANTHROPIC_KEY);
      expect(text).not.toContain(CANARY_GITHUB_TOKEN);
    }
  });

  it("passes the names listed in CHANT_AGENT_ENV, and refuses GITHUB_TOKEN there", async () => {
    installFake(sandbox, "claude", ["--stream", streamPath("claude-success.jsonl")]);
    const result = await claude({
      CHANT_AGENT_ENV: "HTTPS_PROXY, NO_PROXY",
      HTTPS_PROXY: "http://proxy.internal:3128",
      NO_PROXY: "localhost",
    }).run(agentRun(sandbox));
    expect(result.outcome).toBe("done");
    expect(readRecord(sandbox).env).toMatchObject({
      HTTPS_PROXY: "http://proxy.internal:3128",
      NO_PROXY: "localhost",
    });

    expect(() => claude({ CHANT_AGENT_ENV: "HTTPS_PROXY,GITHUB_TOKEN" })).toThrow(AgentConfigError);
    expect(() => claude({ CHANT_AGENT_ENV: "GITHUB_TOKEN" })).toThrow(
      /CHANT_AGENT_ENV lists GITHUB_TOKEN, which is never passed to an agent/,
    );
  });

  it("does not start when a passed variable holds a GitHub token", async () => {
    installFake(sandbox, "claude", ["--stream", streamPath("claude-success.jsonl")]);
    const result = await claude({ ANTHROPIC_AUTH_TOKEN: CANARY_GITHUB_TOKEN }).run(
      agentRun(sandbox),
    );
    expect(result.outcome).toBe("not_started");
    expect(result.error).toMatch(/^ANTHROPIC_AUTH_TOKEN holds what looks like a GitHub token/);
    expect(existsSync(sandbox.record)).toBe(false);
  });
});

describe("claude agent as root", () => {
  let box: Sandbox;
  beforeEach(() => {
    box = makeSandbox();
  });
  afterEach(() => box.cleanup());

  it("says how to get past Claude Code's root guard", async () => {
    installFake(box, "claude", [
      "--stderr",
      "--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons",
      "--exit",
      "1",
    ]);
    const agent = agentFromEnv({
      PATH: `${box.bin}:${process.env.PATH ?? ""}`,
      CHANT_AGENT: "claude",
    });
    const result = await agent.run(agentRun(box));
    expect(result.outcome).toBe("failed");
    expect(result.error).toBe(
      "claude failed (exit code 1): --dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons (run the worker as a non-root user, or, in a disposable container, set IS_SANDBOX=1 and CHANT_AGENT_ENV=IS_SANDBOX)",
    );
  });
});
