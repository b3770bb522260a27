/**
 * The whole app (app-main.ts: web + worker, real Redis) in a child process,
 * against the GitHub stand-in with kv-store as acme/kv-store (issue #42,
 * alice an admin, reporter read-only), a scripted agent, and whatever
 * environment a test gives it (canary secrets). Webhooks are delivered to
 * it signed, as GitHub would; its log (pino JSON on stdout) is kept whole.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shellQuote } from "../../src/process/command-line.js";
import { runProcess, type RunResult } from "../../src/process/run-process.js";
import { ChantQueues } from "../../src/queue/chant-queues.js";
import { drained } from "../support/e2e-stack.js";
import { FakeGitHub, type RepoHandle } from "../support/fake-github/index.js";
import type { DeliveryResult } from "../support/fake-github/index.js";
import { FIXTURE_REPOS } from "../support/memory-files.js";
import { deleteKeys, TEST_REDIS_URL, testQueueSettings } from "../support/redis.js";
import { SANDBOX_TEST_ENV } from "../support/sandbox.js";

const APP_MAIN = join(import.meta.dirname, "app-main.ts");
const TSX = import.meta.resolve("tsx");

export interface AppStackOptions {
  /** The scripted agent (a .mjs file), run with node as CHANT_AGENT_COMMAND. */
  agent: string;
  /** More environment for the app: canary secrets, CHANT_REDACT, CHANT_AGENT_ENV... */
  env?: Record<string, string>;
  /** Files added to kv-store's default branch (e.g. a `.github/chant.yml`). */
  files?: Record<string, string>;
  /** The private key in a file (PRIVATE_KEY_PATH, as an operator may keep it) instead of PRIVATE_KEY. */
  keyFile?: boolean;
}

export interface AppStack {
  fake: FakeGitHub;
  /** The app's port on 127.0.0.1, its working directory (where a `.env` would be), its work root. */
  port: number;
  cwd: string;
  workDir: string;
  /** PRIVATE_KEY_PATH, with `keyFile`. */
  keyPath: string | undefined;
  repo: RepoHandle;
  /** The app's queues, opened from the test (same Redis, same prefix). */
  queues: ChantQueues;
  /** Everything the app printed so far (its JSON log). */
  output(): string;
  /** A signed delivery to the app's webhook endpoint. */
  deliver(event: string, payload: unknown): Promise<DeliveryResult>;
  /** Wait until both queues are empty (an implement job queues its checks before it ends). */
  settle(timeoutMs?: number): Promise<void>;
  /** alice labels issue #42 `chant:implement`; resolves once the jobs it started are done. */
  labelIssue42(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startAppStack(options: AppStackOptions): Promise<AppStack> {
  const fake = new FakeGitHub({ webhookSecret: `whsec-${randomBytes(16).toString("hex")}` });
  await fake.start();
  const repo = await fake.addRepo({
    owner: "acme",
    name: "kv-store",
    dir: join(FIXTURE_REPOS, "kv-store"),
    ...(options.files ? { files: options.files } : {}),
  });
  fake.addUser("alice", { permission: "admin" });
  fake.addUser("reporter", { permission: "read" });
  fake.addIssue("acme/kv-store", {
    number: 42,
    title: "Values disappear when two writes happen at once",
    body: "Updating email and phone at the same moment keeps only one of them.",
    user: "reporter",
  });

  const settings = testQueueSettings();
  const queues = await ChantQueues.open(settings);
  const port = await freePort();
  const cwd = mkdtempSync(join(tmpdir(), "chant-security-cwd-"));
  const workDir = mkdtempSync(join(tmpdir(), "chant-security-work-"));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? cwd,
    ...fake.env(),
    PORT: String(port),
    LOG_LEVEL: "debug",
    LOG_FORMAT: "json",
    CHANT_REDIS_URL: TEST_REDIS_URL,
    CHANT_QUEUE_PREFIX: settings.prefix,
    CHANT_WORK_DIR: workDir,
    ...SANDBOX_TEST_ENV,
    CHANT_AGENT: "command",
    CHANT_AGENT_COMMAND: `${shellQuote(process.execPath)} ${shellQuote(options.agent)}`,
    ...options.env,
  };
  let keyPath: string | undefined;
  if (options.keyFile) {
    keyPath = join(cwd, "private-key.pem");
    writeFileSync(keyPath, fake.privateKey, { mode: 0o600 });
    delete env.PRIVATE_KEY;
    env.PRIVATE_KEY_PATH = keyPath;
  }
  // An operator's `.env` beside the app, holding the secrets too.
  writeFileSync(
    join(cwd, ".env"),
    `WEBHOOK_SECRET=${fake.webhookSecret}\nPRIVATE_KEY="${fake.privateKey.replace(/\n/g, "\\n")}"\n`,
    { mode: 0o600 },
  );

  let output = "";
  const stopping = new AbortController();
  const exited: Promise<RunResult> = runProcess([process.execPath, "--import", TSX, APP_MAIN], {
    cwd,
    env,
    signal: stopping.signal,
    onStdout: (chunk) => (output += chunk),
    onStderr: (chunk) => (output += chunk),
    maxOutputBytes: 64 * 1024,
  });
  let done: RunResult | undefined;
  void exited.then((r) => (done = r));
  for (const deadline = Date.now() + 30_000; !output.includes("security app: ready");) {
    if (done || Date.now() > deadline) {
      stopping.abort();
      throw new Error(`the app did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const url = `http://127.0.0.1:${port}/api/github/webhooks`;
  const settle = async (timeoutMs = 60_000) => {
    await drained(queues.implement, timeoutMs);
    await drained(queues.checks, timeoutMs);
  };

  return {
    fake,
    repo,
    port,
    cwd,
    workDir,
    keyPath,
    queues,
    output: () => output,
    deliver: (event, payload) => fake.deliver(url, event, payload),
    settle,
    async labelIssue42(timeoutMs = 120_000) {
      const delivery = await fake.deliver(
        url,
        "issues",
        fake.payloads.issuesLabeled({
          repo: "acme/kv-store",
          issue: 42,
          label: "chant:implement",
          sender: "alice",
        }),
      );
      if (delivery.status !== 200) throw new Error(`the label delivery got ${delivery.status}`);
      await settle(timeoutMs);
    },
    async stop() {
      stopping.abort();
      await exited;
      await queues.close();
      await deleteKeys(settings.prefix);
      await fake.stop();
      rmSync(cwd, { recursive: true, force: true });
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
