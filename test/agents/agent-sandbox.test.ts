/**
 * An agent adapter in the real sandbox: the settings directory an operator
 * names (CLAUDE_CONFIG_DIR) is a per-run copy in the agent's private HOME,
 * so the agent reads it and may change its copy, never the operator's.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { agentFromEnv } from "../../src/agents/agent-from-env.js";
import { sandboxFromEnv } from "../../src/sandbox/sandbox-from-env.js";

const base = mkdtempSync(join(tmpdir(), "chant-agent-sandbox-"));
chmodSync(base, 0o755);
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe("claude in the bubblewrap sandbox", () => {
  it("gets a per-run copy of CLAUDE_CONFIG_DIR in its own HOME", async () => {
    // A stand-in `claude` that shows what it sees, then changes its settings.
    const bin = join(base, "bin");
    mkdirSync(bin);
    writeFileSync(
      join(bin, "claude"),
      '#!/bin/sh\necho "dir=$CLAUDE_CONFIG_DIR" >&2\ncat "$CLAUDE_CONFIG_DIR/settings.json" >&2\necho changed > "$CLAUDE_CONFIG_DIR/settings.json"\n',
      { mode: 0o755 },
    );
    const config = join(base, "claude-config");
    mkdirSync(config);
    writeFileSync(join(config, "settings.json"), '{"theme":"operator"}\n');
    const env = {
      PATH: `${bin}:${process.env.PATH}`,
      CHANT_SANDBOX_READ: bin,
      CHANT_AGENT: "claude",
      ANTHROPIC_API_KEY: "sk-ant-test-key-0123456789",
      CLAUDE_CONFIG_DIR: config,
    };
    const workRoot = join(base, "work");
    mkdirSync(workRoot);
    const sandbox = await sandboxFromEnv(env, { workRoot });
    const job = mkdtempSync(join(workRoot, "job-"));
    const workspace = join(job, "agent");
    mkdirSync(workspace);
    const promptFile = join(job, "prompt.md");
    writeFileSync(promptFile, "p");
    const result = await agentFromEnv(env).run({
      workspace,
      sandbox,
      privateDir: join(job, "sandbox"),
      prompt: "p",
      promptFile,
      specPath: "s.md",
      specId: "2026-01-01-001-abc",
      maxTurns: 1,
      timeoutMs: 20_000,
    });
    expect(result.summary).toContain("dir=/home/chant/.chant-agent/CLAUDE_CONFIG_DIR");
    expect(result.summary).toContain('{"theme":"operator"}');
    // The operator's directory is untouched; the run changed its own copy.
    expect(readFileSync(join(config, "settings.json"), "utf8")).toBe('{"theme":"operator"}\n');
    expect(
      readFileSync(
        join(job, "sandbox", "home", ".chant-agent", "CLAUDE_CONFIG_DIR", "settings.json"),
        "utf8",
      ),
    ).toBe("changed\n");
  });
});
