import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { agentFromEnv } from "../../src/agents/agent-from-env.js";
import { bundledPrompt } from "../../src/agents/render-prompt.js";
import { DEFAULT_CONFIG, type RepoConfig } from "../../src/domain/repo-config.js";
import { LocalForge } from "../../src/forge/local/local-forge.js";
import { createLogger } from "../../src/observability/logger.js";
import { runImplementation } from "../../src/pipeline/run-implementation.js";
import { shellQuote } from "../../src/process/command-line.js";
import { runProcess } from "../../src/process/run-process.js";
import { AGENTS, FIX_AGENT } from "../support/e2e-stack.js";
import { FIXTURE_REPOS } from "../support/memory-files.js";
import { SANDBOX_TEST_ENV, testSandbox } from "../support/sandbox.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function kvStore(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "chant-run-"));
  dirs.push(dir);
  cpSync(join(FIXTURE_REPOS, "kv-store"), dir, { recursive: true });
  const env = { PATH: process.env.PATH ?? "", HOME: dir };
  for (const args of [
    ["init", "--quiet", "--initial-branch=main"],
    ["add", "--all"],
    ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "kv-store"],
  ]) {
    await runProcess(["git", ...args], { cwd: dir, env, timeoutMs: 20_000 });
  }
  return dir;
}

async function run(
  dir: string,
  script: string,
  config: RepoConfig,
  logLines: string[] = [],
  agentEnv: Record<string, string> = {},
) {
  const forge = new LocalForge({ dir, print: () => undefined });
  const agent = agentFromEnv({
    PATH: process.env.PATH,
    ...SANDBOX_TEST_ENV,
    CHANT_AGENT: "command",
    CHANT_AGENT_COMMAND: `${shellQuote(process.execPath)} ${shellQuote(script)}`,
    ...agentEnv,
  });
  const destination = new Writable({
    write(chunk: Buffer, _e, done) {
      logLines.push(...chunk.toString().trim().split("\n"));
      done();
    },
  });
  const workRoot = mkdtempSync(join(tmpdir(), "chant-run-work-"));
  dirs.push(workRoot);
  const outcome = runImplementation(
    { target: 42, issueNumber: 42, force: false },
    {
      forge,
      agent,
      sandbox: await testSandbox(),
      config,
      workRoot,
      secrets: [],
      lastAttempt: true,
      handOverChecks: async () => undefined,
      log: createLogger({ level: "info", format: "json", secrets: [], destination }),
    },
  );
  return { forge, outcome };
}

describe("runImplementation", () => {
  it("stops an agent that runs past agent.timeout_minutes and says how to allow more", async () => {
    const dir = await kvStore();
    const config = { ...DEFAULT_CONFIG, agent: { ...DEFAULT_CONFIG.agent, timeout_minutes: 0.01 } };
    const started = Date.now();
    const { forge, outcome } = await run(dir, join(AGENTS, "sleepy.mjs"), config);
    const result = await outcome;
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result).toMatchObject({
      kind: "stopped",
      phase: "failed",
      headline: "the agent did not finish within 0.01 minutes",
    });
    expect(forge.status?.details[0]).toMatch(/Raise `agent.timeout_minutes`/);
  });

  it("logs every step as JSON lines carrying the step's name", async () => {
    const dir = await kvStore();
    const lines: string[] = [];
    const { outcome } = await run(dir, FIX_AGENT, DEFAULT_CONFIG, lines);
    expect(await outcome).toMatchObject({ kind: "succeeded" });
    const steps = lines
      .map((l) => JSON.parse(l) as { step?: string; msg: string })
      .filter((l) => l.msg === "step done");
    expect(steps.map((l) => l.step)).toEqual([
      "find_research",
      "draft_spec",
      "prepare_workspace",
      "run_agent",
      "verify_result",
      "commit",
      "publish",
      "hand_over_checks",
    ]);
  });

  it("names the branch, not a pull request #0, when a local run sends the issue back to research; the draft brings chant's implement prompt", async () => {
    const dir = await kvStore();
    const { forge, outcome } = await run(dir, FIX_AGENT, DEFAULT_CONFIG, [], {
      CHANT_AGENT_ENV: "FIX_KV_STORE_MODE",
      FIX_KV_STORE_MODE: "needs-research",
    });
    const result = await outcome;
    expect(result).toMatchObject({ kind: "needs_research" });
    if (result.kind !== "needs_research") return;
    expect(forge.status?.headline).toBe(
      `the research's approach does not work: branch ${result.branch} holds the follow-up research spec for issue #42`,
    );
    expect(forge.status?.links).toEqual([]);
    // kv-store has no .chant/prompts/implement.md: the draft commit adds chant-bot's, so that
    // `chant work <id>` can run the spec (chant refuses a spec whose prompt file is missing).
    const env = { PATH: process.env.PATH ?? "", HOME: dir };
    const show = await runProcess(["git", "show", `${result.branch}:.chant/prompts/implement.md`], {
      cwd: dir,
      env,
      timeoutMs: 20_000,
    });
    expect(show.stdout).toBe(await bundledPrompt("implement"));
  });
});
