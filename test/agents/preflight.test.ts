/**
 * The agent check a worker (and `chant-bot implement`) runs before taking a
 * job: the program runs in the sandbox and says its version, knows the flags
 * chant-bot passes, and has a credential configured. Fake `claude`/`codex`
 * programs stand in for the real ones (test/agents/real-cli.test.ts checks the
 * real ones); the real bubblewrap sandbox runs them.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { agentFromEnv } from "../../src/agents/agent-from-env.js";
import { type AgentResult } from "../../src/agents/agent.js";
import {
  AgentHealth,
  checkAgent,
  missingCredential,
  watchedAgent,
} from "../../src/agents/preflight.js";
import { sandboxFromEnv } from "../../src/sandbox/sandbox-from-env.js";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { TEST_WORK_ROOT } from "../support/sandbox.js";

let dir: string;
let bin: string;
let workRoot: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "chant-preflight-"));
  // A root test run's sandboxes are uid 65534: they must reach the fake programs.
  chmodSync(dir, 0o755);
  bin = join(dir, "bin");
  mkdirSync(bin);
  workRoot = TEST_WORK_ROOT;
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A fake program: `--version` prints `version`, `--help` prints `help`. */
function fake(program: string, version: string, help: string, exit = 0): void {
  const path = join(bin, program);
  writeFileSync(
    path,
    [
      "#!/bin/sh",
      'for a in "$@"; do',
      `  if [ "$a" = --version ]; then echo '${version}'; exit ${exit}; fi`,
      `  if [ "$a" = --help ]; then echo '${help}'; exit 0; fi`,
      "done",
      "exit 1",
      "",
    ].join("\n"),
  );
  chmodSync(path, 0o755);
}

async function sandboxFor(): Promise<Sandbox> {
  return sandboxFromEnv(
    { PATH: `${bin}:${process.env.PATH ?? ""}`, CHANT_SANDBOX_READ: dir },
    { workRoot },
  );
}

const CLAUDE_HELP = "--output-format --permission-mode --no-session-persistence --verbose";
const CODEX_HELP = "--json --sandbox --ephemeral -c, --config";

describe("checkAgent, in the real sandbox", () => {
  it("describes a usable claude by its version", async () => {
    fake("claude", "2.1.197 (Claude Code)", CLAUDE_HELP);
    const env = { PATH: `${bin}:${process.env.PATH ?? ""}`, ANTHROPIC_API_KEY: "sk-x" };
    const agent = agentFromEnv({ ...env, CHANT_AGENT: "claude" });
    const check = await checkAgent(agent, await sandboxFor(), { env, workRoot });
    expect(check.description).toBe("claude 2.1.197 (Claude Code)");
  });

  it("describes codex by its version, without the codex-cli prefix", async () => {
    fake("codex", "codex-cli 0.171.0", CODEX_HELP);
    const env = { PATH: `${bin}:${process.env.PATH ?? ""}`, OPENAI_API_KEY: "sk-x" };
    const agent = agentFromEnv({ ...env, CHANT_AGENT: "codex" });
    const check = await checkAgent(agent, await sandboxFor(), { env, workRoot });
    expect(check.description).toBe("codex 0.171.0");
  });

  it("refuses a CLI too old for the flags chant-bot passes, naming them", async () => {
    fake("claude", "1.0.3 (Claude Code)", "--output-format --permission-mode");
    const env = { PATH: `${bin}:${process.env.PATH ?? ""}`, ANTHROPIC_API_KEY: "sk-x" };
    const agent = agentFromEnv({ ...env, CHANT_AGENT: "claude" });
    await expect(checkAgent(agent, await sandboxFor(), { env, workRoot })).rejects.toThrow(
      "claude 1.0.3 (Claude Code) does not know --no-session-persistence, which chant-bot passes: upgrade it (npm install -g @anthropic-ai/claude-code; tested with 2.1.197)",
    );
  });

  it("refuses a program that does not run, or says no version", async () => {
    fake("codex", "Segmentation fault", CODEX_HELP, 139);
    const env = { PATH: `${bin}:${process.env.PATH ?? ""}`, OPENAI_API_KEY: "sk-x" };
    const agent = agentFromEnv({ ...env, CHANT_AGENT: "codex" });
    await expect(checkAgent(agent, await sandboxFor(), { env, workRoot })).rejects.toThrow(
      /^codex does not run in the sandbox \(bubblewrap\): `codex --version` failed: Segmentation fault/,
    );
    fake("codex", "usage: codex", CODEX_HELP);
    await expect(checkAgent(agent, await sandboxFor(), { env, workRoot })).rejects.toThrow(
      "codex --version printed no version (usage: codex): is codex the codex CLI? (install: npm install -g @openai/codex)",
    );
  });

  it("refuses an agent without any credential before starting anything", async () => {
    const env = { PATH: `${bin}:${process.env.PATH ?? ""}` };
    const agent = agentFromEnv({ ...env, CHANT_AGENT: "claude" });
    await expect(checkAgent(agent, await sandboxFor(), { env, workRoot })).rejects.toThrow(
      /^claude has no credential: set ANTHROPIC_API_KEY \(or CLAUDE_CODE_OAUTH_TOKEN/,
    );
  });

  it("has nothing to check for a command agent", async () => {
    const env = { PATH: process.env.PATH, CHANT_AGENT_COMMAND: "my-agent --fix" };
    const check = await checkAgent(agentFromEnv(env), await sandboxFor(), { env, workRoot });
    expect(check.description).toBe("command (my-agent)");
  });
});

describe("missingCredential", () => {
  it("knows what each agent can use", async () => {
    expect(await missingCredential("claude", { ANTHROPIC_API_KEY: "k" })).toBeUndefined();
    expect(await missingCredential("claude", { CLAUDE_CODE_OAUTH_TOKEN: "t" })).toBeUndefined();
    expect(await missingCredential("claude", { CLAUDE_CODE_USE_BEDROCK: "1" })).toBeUndefined();
    expect(await missingCredential("claude", { CLAUDE_CONFIG_DIR: dir })).toBeUndefined();
    expect(await missingCredential("claude", { ANTHROPIC_API_KEY: " " })).toMatch(
      /^claude has no credential/,
    );
    expect(await missingCredential("claude", { CLAUDE_CONFIG_DIR: join(dir, "missing") })).toMatch(
      /^claude has no credential/,
    );
    expect(await missingCredential("codex", { CODEX_API_KEY: "k" })).toBeUndefined();
    expect(await missingCredential("codex", { OPENAI_API_KEY: "k" })).toBeUndefined();
    expect(await missingCredential("codex", { CODEX_HOME: dir })).toBeUndefined();
    expect(await missingCredential("codex", {})).toMatch(
      /^codex has no credential: set OPENAI_API_KEY \(or CODEX_API_KEY\)/,
    );
    expect(await missingCredential("command", {})).toBeUndefined();
  });
});

describe("AgentHealth", () => {
  const result = (outcome: AgentResult["outcome"], error?: string): AgentResult => ({
    outcome,
    exitCode: outcome === "done" ? 0 : 1,
    summary: "",
    durationMs: 1,
    outputTail: "",
    ...(error ? { error } : {}),
  });

  it("turns unready when a run finds its credentials refused, ready again after a run that worked", async () => {
    const health = new AgentHealth("claude 2.1.197 (Claude Code)");
    const runs: AgentResult[] = [
      result("failed", "claude cannot authenticate: its model API answered HTTP 401"),
      result("failed", "claude failed (exit code 1): tests failed"),
      result("done"),
    ];
    const agent = watchedAgent(
      { name: "claude", programs: ["claude"], run: async () => runs.shift()! },
      health,
    );
    expect(health.status).toEqual({ ready: true, agent: "claude 2.1.197 (Claude Code)" });
    await agent.run({} as never);
    expect(health.status).toMatchObject({
      ready: false,
      reason: expect.stringMatching(/HTTP 401/),
    });
    // Another kind of failure says nothing about the credentials.
    await agent.run({} as never);
    expect(health.status.ready).toBe(false);
    await agent.run({} as never);
    expect(health.status.ready).toBe(true);
  });
});
