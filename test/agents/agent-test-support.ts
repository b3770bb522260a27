/**
 * Shared by the agent tests: temporary workspaces, fake agent executables on
 * a private PATH (a wrapper named `claude` or `codex` that runs
 * test/fixtures/agents/fake-agent.mjs), recorded streams, random chunking.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AgentRun } from "../../src/agents/agent.js";
import { UnsandboxedSandbox } from "../../src/sandbox/direct.js";
import { shellQuote } from "../../src/process/command-line.js";

export const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));
export const FAKE_AGENT = join(FIXTURES, "agents", "fake-agent.mjs");
export const NODE = process.execPath;

export function streamPath(name: string): string {
  return join(FIXTURES, "agent-streams", name);
}

export function readStream(name: string): string {
  return readFileSync(streamPath(name), "utf8");
}

/** `text` cut into chunks of random sizes (1..max), reproducibly for a seed. */
export function randomChunks(text: string, seed: number, max = 64): string[] {
  let state = seed >>> 0;
  const random = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const chunks: string[] = [];
  for (let i = 0; i < text.length;) {
    const size = 1 + Math.floor(random() * max);
    chunks.push(text.slice(i, i + size));
    i += size;
  }
  return chunks;
}

export const SPEC_ID = "2026-01-29-004-k7m";
export const SPEC_PATH = `.chant/specs/${SPEC_ID}.md`;
export const PROMPT = "Fix issue #42 as the RCA says.\nSpec: .chant/specs/2026-01-29-004-k7m.md\n";

export const STORE_JS = [
  "export class Store {",
  "  async set(key, value) {",
  "    this.buffer = new Map(this.buffer);",
  "    this.buffer.set(key, value);",
  "  }",
  "}",
  "",
].join("\n");

export const SPEC_MD = [
  "---",
  "type: code",
  "status: in_progress",
  "---",
  "# Fix issue #42: lost writes",
  "",
  "## Acceptance Criteria",
  "",
  "- [ ] The reproduction test passes",
  "- [ ] All tests pass",
  "",
].join("\n");

export interface Sandbox {
  dir: string;
  /** A directory to put on PATH, for fake executables. */
  bin: string;
  /** An empty directory: a PATH where nothing is found. */
  emptyBin: string;
  workspace: string;
  promptFile: string;
  /** Where a fake agent writes what it received. */
  record: string;
  cleanup(): void;
}

export function makeSandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), "chant-agents-"));
  const bin = join(dir, "bin");
  const emptyBin = join(dir, "empty-bin");
  const workspace = join(dir, "workspace");
  mkdirSync(bin);
  mkdirSync(emptyBin);
  mkdirSync(join(workspace, "src"), { recursive: true });
  mkdirSync(join(workspace, ".chant", "specs"), { recursive: true });
  writeFileSync(join(workspace, "src", "store.js"), STORE_JS);
  writeFileSync(join(workspace, SPEC_PATH), SPEC_MD);
  const promptFile = join(dir, "prompt.md");
  writeFileSync(promptFile, PROMPT);
  return {
    dir,
    bin,
    emptyBin,
    workspace,
    promptFile,
    record: join(dir, "record.json"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** An executable `bin/<program>` that runs the fake agent with `options`, then the real argv. */
export function installFake(sandbox: Sandbox, program: string, options: string[]): void {
  const path = join(sandbox.bin, program);
  const words = [NODE, FAKE_AGENT, "--record", sandbox.record, ...options, "--"];
  writeFileSync(path, `#!/bin/sh\nexec ${words.map(shellQuote).join(" ")} "$@"\n`);
  chmodSync(path, 0o755);
}

export interface FakeRecord {
  argv: string[];
  stdin: string;
  env: { [name: string]: string | undefined };
  cwd: string;
  pid: number;
}

export function readRecord(sandbox: Sandbox): FakeRecord {
  return JSON.parse(readFileSync(sandbox.record, "utf8")) as FakeRecord;
}

export function agentRun(sandbox: Sandbox, extra: Partial<AgentRun> = {}): AgentRun {
  return {
    workspace: sandbox.workspace,
    // The adapters' own logic (argv, environment, streams) is tested without isolation; the
    // sandbox has tests of its own (test/sandbox/) and the pipeline's run the agents inside it.
    sandbox: new UnsandboxedSandbox(),
    privateDir: join(sandbox.dir, "private"),
    prompt: PROMPT,
    promptFile: sandbox.promptFile,
    specPath: SPEC_PATH,
    specId: SPEC_ID,
    maxTurns: 60,
    timeoutMs: 20_000,
    ...extra,
  };
}

export async function waitUntil(condition: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return condition();
}

// Canaries: present in the parent's environment, never in an agent's.
export const CANARY_GITHUB_TOKEN = `ghs_${"C4nary".repeat(6)}`;
export const CANARY_PRIVATE_KEY =
  "-----BEGIN RSA PRIVATE KEY-----\nMIIcanary\n-----END RSA PRIVATE KEY-----\n";
export const CANARY_WEBHOOK_SECRET = "webhook-secret-canary";
export const ANTHROPIC_KEY = "sk-ant-api03-test-key-0123456789abcdef";
export const OPENAI_KEY = "sk-proj-test-key-0123456789abcdef";

export { isAlive } from "../support/processes.js";
