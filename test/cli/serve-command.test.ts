import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { parseEnv } from "node:util";
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

  /** `chant-bot start` without App credentials in a fresh directory; the setup page's URL. */
  async function setupPage(extra: Record<string, string> = {}) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "chant-setup-"));
    const p = spawnCli(["start"], cliEnv({ PORT: String(port), ...extra }), dir);
    running.push(p);
    await p.waitFor(/open http:\/\/localhost:\d+\/probot to register/);
    return { p, dir, base: `http://127.0.0.1:${port}`, port };
  }

  function manifestOf(html: string): { hook_attributes: { url: string }; redirect_url: string } {
    const value = /name="manifest" value="([^"]*)"/.exec(html)?.[1] ?? "{}";
    return JSON.parse(
      value
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&amp;/g, "&"),
    ) as never;
  }

  it("without App credentials (not in production), serves a setup page that registers the webhook path and says GitHub cannot reach localhost", async () => {
    const { p, dir, base, port } = await setupPage();
    expect((await fetch(`${base}/`, { redirect: "manual" })).headers.get("location")).toBe(
      "/probot",
    );
    const html = await (await fetch(`${base}/probot`)).text();
    const manifest = manifestOf(html);
    // Not Probot's `http://localhost:3000/`: the path webhooks are served at.
    expect(manifest.hook_attributes.url).toBe(`${base}/api/github/webhooks`);
    expect(manifest.redirect_url).toBe(`${base}/probot/setup`);
    expect(manifest).toMatchObject({ name: "chant-bot", default_permissions: { checks: "write" } });
    expect(html).toContain("GitHub cannot reach this address.");
    expect(html).toContain("WEBHOOK_PROXY_URL");
    // And in the log, plainly, with what to set.
    expect(p.output()).toMatch(
      new RegExp(
        `GitHub cannot deliver webhooks to http://localhost:${port}/api/github/webhooks: set WEBHOOK_PROXY_URL to a URL GitHub can reach`,
      ),
    );
    expect(p.output()).not.toMatch(/SmeeClient/);
    rmSync(dir, { recursive: true, force: true });
  });

  it("registers WEBHOOK_PROXY_URL as the webhook URL when it is set", async () => {
    const { p, dir, base } = await setupPage({
      WEBHOOK_PROXY_URL: "https://smee.io/chant-test-channel",
    });
    const html = await (await fetch(`${base}/probot`)).text();
    expect(manifestOf(html).hook_attributes.url).toBe("https://smee.io/chant-test-channel");
    expect(html).not.toContain("GitHub cannot reach");
    expect(p.output()).toContain(
      "the App's webhook URL will be https://smee.io/chant-test-channel",
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it("turns GitHub's code into .env (owner-only) and sends the user on to install the App", async () => {
    // GitHub's manifest conversion, as a GitHub Enterprise Server on 127.0.0.1 would answer it.
    const conversions: string[] = [];
    const github = createHttpServer((req, res) => {
      conversions.push(`${req.method} ${req.url}`);
      res.writeHead(201, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: 4242,
          pem: testPrivateKey(),
          webhook_secret: "whsec-from-github",
          client_id: "Iv1.abc",
          client_secret: "client-secret-value",
          html_url: "https://github.example/apps/chant-bot",
        }),
      );
    });
    await new Promise<void>((resolve) => github.listen(0, "127.0.0.1", resolve));
    const ghe = `127.0.0.1:${(github.address() as { port: number }).port}`;
    try {
      const { p, dir, base } = await setupPage({ GHE_HOST: ghe, GHE_PROTOCOL: "http" });
      const html = await (await fetch(`${base}/probot`)).text();
      const action = /<form action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, "&") ?? "";
      expect(action).toMatch(new RegExp(`^http://${ghe}/settings/apps/new\\?state=[0-9a-f]{32}$`));
      const state = new URL(action).searchParams.get("state");
      // A code without the state this page handed out is refused.
      expect((await fetch(`${base}/probot/setup?code=abc&state=forged`)).status).toBe(400);
      const done = await fetch(`${base}/probot/setup?code=abc123&state=${state}`, {
        redirect: "manual",
      });
      expect(done.status).toBe(302);
      expect(done.headers.get("location")).toBe(
        "https://github.example/apps/chant-bot/installations/new",
      );
      expect(conversions).toEqual(["POST /api/v3/app-manifests/abc123/conversions"]);
      const envFile = join(dir, ".env");
      expect(statSync(envFile).mode & 0o777).toBe(0o600);
      const env = parseEnv(readFileSync(envFile, "utf8"));
      expect(env).toMatchObject({
        APP_ID: "4242",
        WEBHOOK_SECRET: "whsec-from-github",
        GITHUB_CLIENT_ID: "Iv1.abc",
      });
      expect(env.PRIVATE_KEY).toBe(testPrivateKey());
      // The same state works once.
      expect((await fetch(`${base}/probot/setup?code=abc123&state=${state}`)).status).toBe(400);
      expect(p.output()).toMatch(
        /registered the GitHub App https:\/\/github\.example\/apps\/chant-bot/,
      );
      rmSync(dir, { recursive: true, force: true });
    } finally {
      await new Promise((resolve) => github.close(resolve));
    }
  });
});
