/** The command agent end to end: a scripted agent that really fixes the bug. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { agentFromEnv } from "../../src/agents/agent-from-env.js";
import { shellQuote } from "../../src/process/command-line.js";
import {
  ANTHROPIC_KEY,
  CANARY_GITHUB_TOKEN,
  FIXTURES,
  NODE,
  SPEC_ID,
  SPEC_PATH,
  agentRun,
  makeSandbox,
} from "./agent-test-support.js";
import type { Sandbox } from "./agent-test-support.js";

let sandbox: Sandbox;

beforeEach(() => {
  sandbox = makeSandbox();
  vi.stubEnv("GITHUB_TOKEN", CANARY_GITHUB_TOKEN);
  vi.stubEnv("ANTHROPIC_API_KEY", ANTHROPIC_KEY);
});

afterEach(() => {
  vi.unstubAllEnvs();
  sandbox.cleanup();
});

function command(line: string, extra: NodeJS.ProcessEnv = {}) {
  return agentFromEnv({
    ...process.env,
    CHANT_AGENT: "command",
    CHANT_AGENT_COMMAND: line,
    ...extra,
  });
}

const node = (script: string): string => `${shellQuote(NODE)} -e ${shellQuote(script)}`;

describe("command agent", () => {
  it("runs a scripted agent that fixes the bug in the workspace", async () => {
    const script = join(FIXTURES, "agents", "fix-store.mjs");
    const agent = command(`${shellQuote(NODE)} ${shellQuote(script)}`);
    expect(agent.name).toBe("command");
    const progress: string[] = [];
    const result = await agent.run(agentRun(sandbox, { onProgress: (l) => progress.push(l) }));

    expect(result).toMatchObject({ outcome: "done", exitCode: 0 });
    expect(result.error).toBeUndefined();
    expect(result.summary).toBe(
      [
        `working on ${SPEC_ID}`,
        "patched src/store.js: set() waits for the pending flush",
        "ticked the acceptance criteria",
      ].join("\n"),
    );
    expect(readFileSync(join(sandbox.workspace, "src/store.js"), "utf8")).toContain(
      "    await this.pendingFlush;\n    this.buffer = new Map(this.buffer);",
    );
    const spec = readFileSync(join(sandbox.workspace, SPEC_PATH), "utf8");
    expect(spec).toContain("- [x] The reproduction test passes");
    expect(spec).not.toContain("- [ ]");
    expect(result.turns).toBeUndefined();
    expect(progress).toEqual([]);
  });

  it("gets only the allow-listed environment, the run variables and what CHANT_AGENT_ENV lists", async () => {
    const agent = command(node("process.stdout.write(JSON.stringify(process.env))"), {
      CHANT_AGENT_ENV: "MY_AGENT_KEY",
      MY_AGENT_KEY: "agent-key-1234567890",
    });
    const result = await agent.run(agentRun(sandbox));
    expect(result.outcome).toBe("done");
    // The listed value is redacted from the output, so read the names only.
    const env = JSON.parse(result.summary.replaceAll("[REDACTED]", "x")) as Record<string, string>;
    expect(env).toMatchObject({
      CHANT_SPEC_ID: SPEC_ID,
      CHANT_SPEC_PATH: SPEC_PATH,
      MY_AGENT_KEY: "x",
    });
    expect(env.GITHUB_TOKEN).toBeUndefined();
    expect(env.ANTHROPIC_API_KEY).toBeUndefined();
  });

  it("maps exit code 3 to needs_research, keeping what it said", async () => {
    const result = await command(
      node(
        "console.log('The RCA approach cannot work: the flush is synchronous.'); process.exit(3)",
      ),
    ).run(agentRun(sandbox));
    expect(result.outcome).toBe("needs_research");
    expect(result.summary).toBe("The RCA approach cannot work: the flush is synchronous.");
  });

  it("reports another exit code as failed, with its last line", async () => {
    const result = await command(
      node("console.log('trying'); console.error('cannot parse the spec'); process.exit(2)"),
    ).run(agentRun(sandbox));
    expect(result).toMatchObject({
      outcome: "failed",
      exitCode: 2,
      error: "command failed (exit code 2): cannot parse the spec",
    });
    expect(result.summary).toBe("trying\ncannot parse the spec");
  });

  it("names the missing program", async () => {
    const result = await command("no-such-agent-for-chant --fix").run(agentRun(sandbox));
    expect(result.outcome).toBe("not_started");
    expect(result.error).toBe(
      "CHANT_AGENT_COMMAND's program no-such-agent-for-chant was not found on PATH",
    );
  });

  it("splits the command line without a shell", async () => {
    const result = await command(
      `${node("console.log(process.argv.slice(1).join('|'))")} '$HOME' "a b" ;ls`,
    ).run(agentRun(sandbox));
    expect(result.outcome).toBe("done");
    expect(result.summary).toBe("$HOME|a b|;ls");
  });
});
