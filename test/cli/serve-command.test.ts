import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deleteKeys, testQueueSettings } from "../support/redis.js";
import { TEST_FIXTURES } from "../support/sandbox.js";
import { cliEnv, spawnCli, type CliProcess } from "../support/spawn-cli.js";
import { newDeliveryId, sign, testPrivateKey } from "../support/webhooks.js";

const running: CliProcess[] = [];
const prefixes: string[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) if (p.child.exitCode === null) p.child.kill("SIGKILL");
  for (const prefix of prefixes.splice(0)) await deleteKeys(prefix);
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function appEnv(extra: Record<string, string | undefined> = {}) {
  const { prefix } = testQueueSettings();
  prefixes.push(prefix);
  return cliEnv({
    APP_ID: "12345",
    PRIVATE_KEY: testPrivateKey(),
    WEBHOOK_SECRET: "s3cret-webhook-value",
    CHANT_QUEUE_PREFIX: prefix,
    CHANT_AGENT: "command",
    CHANT_AGENT_COMMAND: "true",
    ...extra,
  });
}

async function refused(args: string[], env: NodeJS.ProcessEnv) {
  const p = spawnCli(args, env, mkdtempSync(join(tmpdir(), "chant-serve-")));
  running.push(p);
  const code = await p.exited;
  return { code, output: p.output().trim() };
}

describe("start-up refusals: one clear line and a non-zero exit", () => {
  it.each([
    [
      "worker",
      { APP_ID: undefined, PRIVATE_KEY: undefined },
      /^chant-bot worker: a worker needs the GitHub App's credentials: set APP_ID and PRIVATE_KEY/,
    ],
    [
      "web",
      { APP_ID: undefined, PRIVATE_KEY: undefined, NODE_ENV: "production" },
      /^chant-bot web: APP_ID and PRIVATE_KEY .* are not set; in production/,
    ],
    [
      "web",
      { APP_ID: "abc" },
      /^chant-bot web: APP_ID must be the GitHub App's numeric id \(got "abc"\)/,
    ],
    [
      "start",
      { PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\nnope\n-----END RSA PRIVATE KEY-----" },
      /^chant-bot start: The private key .* is not a valid PEM private key/,
    ],
    [
      "web",
      { PRIVATE_KEY: undefined, PRIVATE_KEY_PATH: "/nonexistent/key.pem" },
      /^chant-bot web: PRIVATE_KEY_PATH "\/nonexistent\/key.pem" cannot be read: ENOENT/,
    ],
    [
      "web",
      { WEBHOOK_SECRET: undefined, NODE_ENV: "production" },
      /^chant-bot web: WEBHOOK_SECRET is not set/,
    ],
    // Not only in production: without a secret, a forged delivery would pass as GitHub's.
    [
      "web",
      { WEBHOOK_SECRET: undefined },
      /^chant-bot web: WEBHOOK_SECRET is not set: chant-bot refuses to accept webhooks it cannot verify\. Set it to the GitHub App's webhook secret \(for local development only: CHANT_ALLOW_UNSIGNED_WEBHOOKS=1\)\.$/,
    ],
    ["start", { WEBHOOK_SECRET: "" }, /^chant-bot start: WEBHOOK_SECRET is not set/],
    [
      "web",
      { WEBHOOK_SECRET: undefined, CHANT_ALLOW_UNSIGNED_WEBHOOKS: "true" },
      /^chant-bot web: WEBHOOK_SECRET is not set/,
    ],
    [
      "web",
      { WEBHOOK_SECRET: undefined, NODE_ENV: "production", CHANT_ALLOW_UNSIGNED_WEBHOOKS: "1" },
      /^chant-bot web: CHANT_ALLOW_UNSIGNED_WEBHOOKS=1 is for development and is refused with NODE_ENV=production/,
    ],
    [
      "web",
      { CHANT_WEBHOOK_INFLIGHT_MB: "8" },
      /^chant-bot web: CHANT_WEBHOOK_INFLIGHT_MB "8" must be a whole number of MiB from 25/,
    ],
    [
      "web",
      { CHANT_REDIS_URL: "redis://:hunter2secret@127.0.0.1:1" },
      /^chant-bot web: Cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1.*set CHANT_REDIS_URL\.$/,
    ],
    ["worker", { CHANT_AGENT: "gpt-9" }, /^chant-bot worker: .*CHANT_AGENT/],
  ])("%s with %j", async (command, extra, message) => {
    const { code, output } = await refused([command], appEnv(extra));
    expect(code).toBe(1);
    expect(output.split("\n")).toHaveLength(1);
    expect(output).toMatch(message);
    expect(output).not.toContain("hunter2secret");
  });
});

describe("running", () => {
  it("web serves health, readiness and metrics, and stops cleanly on SIGTERM", async () => {
    const port = await freePort();
    const p = spawnCli(["web"], appEnv({ PORT: String(port) }));
    running.push(p);
    await p.waitFor(/listening on port/);
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: "ok" });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain("chant_bot_queue_jobs");
    expect((await fetch(`${base}/admin/queues`)).status).toBe(404); // no credentials set: no dashboard
    // JSON logs, and the key and secret never in them.
    const lines = p.output().trim().split("\n");
    expect(lines.every((l) => l.startsWith("{"))).toBe(true);
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    expect(p.output()).toMatch(/SIGTERM: shutting down/);
    expect(p.output()).not.toContain("s3cret-webhook-value");
    expect(p.output()).not.toContain(testPrivateKey().split("\n")[1]!);
  });

  it("with CHANT_ALLOW_UNSIGNED_WEBHOOKS=1 and no secret: one loud warning, and only the development secret's signatures pass", async () => {
    const port = await freePort();
    const p = spawnCli(
      ["web"],
      appEnv({ PORT: String(port), WEBHOOK_SECRET: undefined, CHANT_ALLOW_UNSIGNED_WEBHOOKS: "1" }),
    );
    running.push(p);
    await p.waitFor(/listening on port/);
    const warnings = p
      .output()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level >= 40);
    expect(warnings.map((w) => w.msg)).toContainEqual(
      expect.stringMatching(
        /^WEBHOOK_SECRET is not set and CHANT_ALLOW_UNSIGNED_WEBHOOKS=1: deliveries signed with the publicly known secret "development" are accepted, .*for local development only\.$/,
      ),
    );
    const body = JSON.stringify({ zen: "Design for failure.", hook_id: 1 });
    const deliver = (secret: string) =>
      fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "ping",
          "x-github-delivery": newDeliveryId(),
          "x-hub-signature-256": sign(secret, body),
        },
        body,
      });
    expect((await deliver("development")).status).toBe(200);
    expect((await deliver("")).status).toBe(401);
    expect((await deliver("guess")).status).toBe(401);
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
  });

  it("a worker serves health and metrics too (its job metrics live there)", async () => {
    const port = await freePort();
    const p = spawnCli(["worker"], appEnv({ PORT: String(port) }));
    running.push(p);
    await p.waitFor(/worker: taking jobs/);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    expect(
      (await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, { method: "POST" })).status,
    ).toBe(404);
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
  });

  /** A `claude` that says its version and knows the flags chant-bot passes, visible in the sandbox. */
  function fakeClaude(): { PATH: string; CHANT_SANDBOX_READ: string } {
    const dir = mkdtempSync(join(tmpdir(), "chant-fake-claude-"));
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, "bin"));
    const script = [
      "#!/bin/sh",
      'case "$1" in',
      "  --version) echo '2.1.197 (Claude Code)';;",
      "  --help) echo '--output-format --permission-mode --no-session-persistence';;",
      "  *) exit 1;;",
      "esac",
      "",
    ].join("\n");
    writeFileSync(join(dir, "bin", "claude"), script, { mode: 0o755 });
    return {
      PATH: `${join(dir, "bin")}:${process.env.PATH ?? ""}`,
      CHANT_SANDBOX_READ: `${TEST_FIXTURES}:${dir}`,
    };
  }

  it("a worker without its agent's credentials refuses to start, saying which to set", async () => {
    const { code, output } = await refused(
      ["worker"],
      appEnv({ ...fakeClaude(), CHANT_AGENT: "claude", CHANT_AGENT_COMMAND: undefined }),
    );
    expect(code).toBe(1);
    expect(output).toMatch(
      /^chant-bot worker: claude has no credential: set ANTHROPIC_API_KEY \(or CLAUDE_CODE_OAUTH_TOKEN/m,
    );
    expect(output).not.toMatch(/taking jobs/);
  });

  it("a worker names its agent and version in the log and in /readyz", async () => {
    const port = await freePort();
    const p = spawnCli(
      ["worker"],
      appEnv({
        ...fakeClaude(),
        PORT: String(port),
        CHANT_AGENT: "claude",
        CHANT_AGENT_COMMAND: undefined,
        ANTHROPIC_API_KEY: "sk-ant-test-key",
      }),
    );
    running.push(p);
    await p.waitFor(/worker: taking jobs \(agent claude 2\.1\.197 \(Claude Code\),/);
    expect(await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()).toEqual({
      status: "ok",
      agent: "claude 2.1.197 (Claude Code)",
    });
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
  });

  it("without App credentials (not in production), serves Probot's setup page", async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "chant-setup-"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "x" }));
    const p = spawnCli(["start"], cliEnv({ PORT: String(port) }), dir);
    running.push(p);
    await p.waitFor(/serving Probot's setup page/);
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = await fetch(`http://127.0.0.1:${port}/probot`).then(
        (r) => r.status,
        () => 0,
      );
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    p.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
});
