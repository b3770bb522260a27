/**
 * Containment (issue 10): the coding agent, everything in a repository and
 * every fork are hostile. Here each attacker is a real program: an agent
 * (test/fixtures/agents/hostile-agent.mjs) and check commands the
 * repository's default branch configures (a probe committed with it), run
 * by the real app (web + worker, app-main.ts) against the GitHub stand-in
 * and real git. The worker's secrets are canaries: the App's private key (in
 * a file, PRIVATE_KEY_PATH, and in a `.env` beside the app), the webhook
 * secret, the installation tokens the stand-in issued, and two CHANT_REDACT
 * values. What is checked, after every attack:
 *
 * - no canary, in any encoding (leaks.ts), in anything published (every
 *   file and commit message of every branch, pull requests, comments, check
 *   runs and annotations) or in the app's log;
 * - no execution outside the sandbox: every planted hook, config key,
 *   driver and `---js` frontmatter would write into a marker directory of
 *   the host, which no sandbox can see; it stays empty;
 * - Redis on the host's loopback was not reached (no key written).
 */
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readStatusState } from "../../src/domain/status.js";
import { enqueueChecks } from "../../src/queue/enqueue.js";
import { APP_DIR } from "../../src/sandbox/sandbox-from-env.js";
import { AGENTS } from "../support/e2e-stack.js";
import { runGit } from "../support/fake-github/index.js";
import { TEST_REDIS_URL } from "../support/redis.js";
import { SANDBOX_TEST_ENV } from "../support/sandbox.js";
import { startAppStack, type AppStack } from "./app-stack.js";
import { appCanaries, publishedLeaks } from "./leaks.js";
import { Redis } from "ioredis";

const HOSTILE = join(AGENTS, "hostile-agent.mjs");

const MY_CANARY = `canary-${randomBytes(18).toString("hex")}`;
const SECOND_CANARY = `second-canary-${randomBytes(9).toString("base64url")}`;
const CANARY_ENV = { CHANT_REDACT: "MY_CANARY, SECOND_CANARY", MY_CANARY, SECOND_CANARY };

/** A host directory no sandbox can see: whatever appears in it was written outside one. */
const markerDir = mkdtempSync(join(tmpdir(), "chant-markers-"));
chmodSync(markerDir, 0o777);
/** Where the test tells the agent what to go after (bound read-only into its sandbox). */
const probeDir = mkdtempSync(join(tmpdir(), "chant-probe-"));
chmodSync(probeDir, 0o755);
const PROBE_FILE = join(probeDir, "probe.json");
writeFileSync(PROBE_FILE, "{}", { mode: 0o644 });
afterAll(() => {
  rmSync(markerDir, { recursive: true, force: true });
  rmSync(probeDir, { recursive: true, force: true });
});

const summary: string[] = [];
afterAll(() => console.log(`containment:\n  ${summary.join("\n  ")}`));

function markers(): string[] {
  return readdirSync(markerDir);
}

/** Keys an attacker tried to write into the host's Redis. */
async function pwnedRedisKeys(): Promise<string[]> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    return await redis.keys("chant-pwned*");
  } finally {
    redis.disconnect();
  }
}

/** What the attackers are told to go after: the worker's files and the host's ports. */
function probeOf(stack: AppStack) {
  const probe = {
    markerDir,
    paths: [
      stack.keyPath!,
      join(stack.cwd, ".env"),
      stack.cwd,
      stack.workDir,
      join(APP_DIR, "package.json"),
      join(APP_DIR, ".git", "config"),
    ],
    ports: [
      ["127.0.0.1", 6379],
      ["127.0.0.1", stack.port],
      ["127.0.0.1", Number(stack.fake.env().GHE_HOST.split(":")[1])],
    ] as [string, number][],
  };
  writeFileSync(PROBE_FILE, JSON.stringify(probe));
  return probe;
}

/**
 * The repository's own check commands, committed on its default branch: a
 * probe that tries what the agent tries, and prints all it found in plain
 * text, hex and base64 into the public check-run output.
 */
function probeScript(probe: ReturnType<typeof probeOf>): string {
  return `// A hostile check command (containment test).
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { connect } from "node:net";
import { request } from "node:http";
const probe = ${JSON.stringify(probe)};
const kind = process.argv[2];
const found = [];
const attempt = (vector, fn) => { try { found.push([vector, fn()]); } catch (e) { found.push([vector, "failed: " + (e.code ?? e.message)]); } };
const tcp = (host, port, payload) => new Promise((resolve) => {
  const s = connect({ host, port }); s.setTimeout(1500, () => { s.destroy(); resolve("timeout"); });
  s.on("connect", () => { if (payload) s.write(payload); else { s.destroy(); resolve("connected"); } });
  s.on("data", (d) => { s.destroy(); resolve("answered " + String(d).slice(0, 80)); });
  s.on("error", (e) => resolve("failed: " + e.code));
});
const viaProxy = (host, port) => new Promise((resolve) => {
  if (!process.env.HTTPS_PROXY) return resolve("no proxy");
  const u = new URL(process.env.HTTPS_PROXY);
  const r = request({ host: u.hostname, port: u.port, method: "CONNECT", path: host + ":" + port });
  r.on("connect", (res, socket) => { socket.destroy(); resolve("CONNECT " + res.statusCode); });
  r.on("error", (e) => resolve("failed: " + e.code)); r.end();
});
attempt("env", () => process.env);
for (const pid of readdirSync("/proc").filter((d) => /^\\d+$/.test(d))) {
  attempt("/proc/" + pid + "/environ", () => readFileSync("/proc/" + pid + "/environ", "latin1"));
}
for (const path of probe.paths) attempt("read " + path, () => statSync(path).isDirectory() ? readdirSync(path) : readFileSync(path, "latin1"));
attempt("read .git/config", () => readFileSync(".git/config", "latin1"));
attempt("plant a hook in .git", () => { mkdirSync(".git/hooks", { recursive: true }); writeFileSync(".git/hooks/post-checkout", "#!/bin/sh\\ntouch '" + probe.markerDir + "/exec-check-hook'\\n", { mode: 0o755 }); });
attempt("write the marker directory", () => writeFileSync(probe.markerDir + "/escaped-check-" + kind, "x"));
for (const [host, port] of probe.ports) {
  found.push(["tcp " + host + ":" + port, await tcp(host, port, port === 6379 ? "SET chant-pwned-by-check yes\\r\\n" : undefined)]);
  found.push(["proxy " + host + ":" + port, await viaProxy(host, port)]);
}
found.push(["tcp 169.254.169.254:80", await tcp("169.254.169.254", 80)]);
const text = JSON.stringify(found);
console.log(text);
console.log(Buffer.from(text).toString("hex"));
console.log(Buffer.from(text).toString("base64"));
console.log("PROBE " + kind + " attempts=" + found.length);
`;
}

const CHANT_YML = `checks:
  setup: node scripts/probe.mjs setup
  setup_network: true
  reproduction: node --test {tests}
  tests: node scripts/probe.mjs tests && node --test
  lint: node scripts/probe.mjs lint
  format: node scripts/probe.mjs format
  timeout_minutes: 2
`;

/** A repository prompt template whose `---js` frontmatter would leave a mark if evaluated. */
const JS_PROMPT = `---js
require("node:fs").writeFileSync(${JSON.stringify(join(markerDir, "exec-frontmatter"))}, "x")
---
Implement {{spec.id}}.
`;

function statusOf(stack: AppStack) {
  const comments = stack.fake.comments("acme/kv-store", 42);
  expect(comments).toHaveLength(1);
  return readStatusState(comments[0]!.body)!;
}

async function start(
  mode: string,
  env: Record<string, string> = {},
  files: Record<string, string> = {},
): Promise<AppStack> {
  // The probe names the stack's own paths and ports: start, then commit the attack.
  const stack = await startAppStack({
    agent: HOSTILE,
    keyFile: true,
    env: {
      ...CANARY_ENV,
      CHANT_AGENT_ENV: "HOSTILE_MODE, HOSTILE_PROBE_FILE, HOSTILE_KNOWN",
      HOSTILE_MODE: mode,
      HOSTILE_PROBE_FILE: PROBE_FILE,
      CHANT_SANDBOX_READ: `${SANDBOX_TEST_ENV.CHANT_SANDBOX_READ}:${probeDir}`,
      ...env,
    },
    files,
  });
  return stack;
}

/** Every check that the attack left nothing behind: no leak, no mark, no Redis write. */
async function expectContained(stack: AppStack, extra: Record<string, string> = {}) {
  const canaries = appCanaries(stack, { MY_CANARY, SECOND_CANARY, ...extra });
  expect(Object.keys(canaries).length).toBeGreaterThan(10);
  expect(await publishedLeaks(stack, canaries)).toEqual([]);
  expect(markers()).toEqual([]);
  expect(await pwnedRedisKeys()).toEqual([]);
  return canaries;
}

describe("a hostile agent and hostile check commands, with the real app", () => {
  let stack: AppStack;
  afterAll(async () => stack?.stop());

  it("escape: every way out fails, the legitimate fix is still published, and nothing leaks", async () => {
    // The stack's paths are known once it runs: the probe is then written for the agent (a
    // file it reads when it runs) and committed for the check commands.
    stack = await start("escape", {
      // Network for the agent, so that the proxy is there to be attacked.
      CHANT_SANDBOX_EGRESS: "example.invalid:443",
      CHANT_SANDBOX_PROCESSES: "200",
    });
    const probe = probeOf(stack);
    await stack.fake.commit("acme/kv-store", {
      branch: "main",
      message: "Hostile checks and prompt",
      files: {
        ".github/chant.yml": CHANT_YML,
        "scripts/probe.mjs": probeScript(probe),
        ".chant/prompts/implement.md": JS_PROMPT,
      },
    });
    await stack.labelIssue42();

    const status = statusOf(stack);
    expect(status.phase, status.details.join("\n")).toBe("succeeded");
    const [pull] = await stack.fake.pulls("acme/kv-store");
    expect(pull).toBeDefined();
    const head = pull!.head.sha;
    const git = async (...args: string[]) =>
      (await runGit(["--git-dir", stack.repo.gitDir, ...args])).stdout.toString("utf8");

    // The agent ran and reported (its report is published, and searched like the rest).
    const report = JSON.parse(await git("show", `${head}:hostile-report.json`)) as {
      attempts: { vector: string; ok: boolean; value?: unknown; error?: string }[];
    };
    const byVector = new Map(report.attempts.map((a) => [a.vector, a]));
    expect(report.attempts.length).toBeGreaterThan(60);
    for (const path of probe.paths) {
      const read = byVector.get(`read ${path}`);
      if (path === stack.workDir) {
        // Its own job's directory is on its way; no other job's, nothing of the worker's.
        expect(read?.value, path).toHaveLength(1);
      } else {
        expect(read?.ok, path).toBe(false);
      }
      // A write may land in the sandbox's own /tmp; never on this machine.
      expect(byVector.has(`write ${path}.chant-pwned`), path).toBe(true);
      expect(existsSync(`${path}.chant-pwned`), path).toBe(false);
    }
    for (const [host, port] of probe.ports) {
      expect(byVector.get(`tcp ${host}:${port}`)?.ok, `${host}:${port}`).toBe(false);
      expect(String(byVector.get(`proxy ${host}:${port}`)?.value)).toBe("CONNECT 403");
    }
    expect(String(byVector.get("proxy 169.254.169.254:80")?.value)).toBe("CONNECT 403");
    expect(String(byVector.get("proxy localhost:6379")?.value)).toBe("CONNECT 403");
    expect(byVector.get("tcp 169.254.169.254:80")?.ok).toBe(false);
    expect(byVector.get(`write ${join(markerDir, "escaped-write")}`)?.ok).toBe(false);
    expect(byVector.get("read /etc/shadow")?.ok).toBe(false);
    // It saw its own sandbox's few processes, none of the host's.
    const pids = byVector.get("processes visible")?.value as string[];
    expect(pids.length).toBeLessThan(20);
    // The fork bomb hit the sandbox's process limit (200 for this test).
    const bomb = String(byVector.get("fork bomb")?.value);
    expect(bomb).toMatch(/^\d+ processes, then EAGAIN$/);
    expect(Number(bomb.split(" ")[0])).toBeLessThanOrEqual(200);
    // Links to the worker's files are pushed as links (their target's name), never followed.
    const tree = await git("ls-tree", head, "--", "link-0");
    expect(tree).toMatch(/^120000 blob /);
    expect(await git("cat-file", "-p", `${head}:link-0`)).toBe(stack.keyPath);
    // Its planted git config and hooks stayed in its copy: the pushed tree has files only.
    expect(await git("ls-tree", "-r", "--name-only", head)).not.toMatch(/^\.git\//m);

    // The check commands ran the probe in the sandbox, and said what they found.
    const runs = stack.fake.checkRuns("acme/kv-store", head);
    const tests = runs.find((r) => r.name === "chant/tests")!;
    expect(tests.output.text).toMatch(/PROBE tests attempts=\d+/);
    const probed = runs.map((r) => r.output.text ?? "").join("\n");
    expect(probed).toContain('"read .git/config"');
    expect(probed).not.toMatch(/"tcp 127\.0\.0\.1:6379","(connected|answered)/);

    await expectContained(stack);
    const checkAttempts = [...probed.matchAll(/PROBE \w+ attempts=(\d+)/g)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
    summary.push(
      `escape: the agent made ${report.attempts.length} attempts and the check commands ${checkAttempts}; leaks 0; executions outside the sandbox 0; Redis writes 0`,
    );
  }, 240_000);
});

describe("an agent that knows a secret of the worker's and hides it in its changes", () => {
  let stack: AppStack;
  afterAll(async () => stack?.stop());

  it("smuggle: every encoding is found in the raw blobs and nothing is pushed", async () => {
    const known = `known-${randomBytes(20).toString("hex")}`;
    stack = await start("smuggle", {
      // A value the operator passes to the agent (CHANT_AGENT_ENV) and also declares secret.
      HOSTILE_KNOWN: known,
      CHANT_REDACT: "MY_CANARY, SECOND_CANARY, HOSTILE_KNOWN",
    });
    await stack.labelIssue42();
    const status = statusOf(stack);
    expect(status.headline).toBe(
      "the changes hold a secret of this app or a GitHub token, so nothing was pushed",
    );
    const details = status.details.join("\n");
    for (const file of [
      "plain.txt",
      "hex.txt",
      "base64.txt",
      "reversed.txt",
      "url.txt",
      "split.js",
    ]) {
      expect(details).toContain(`smuggled/${file}`);
    }
    expect(
      (await stack.fake.branches("acme/kv-store")).filter((b) => b.name.startsWith("chant/")),
    ).toEqual([]);
    await expectContained(stack, { HOSTILE_KNOWN: known });
    summary.push("smuggle: a secret the agent was given, hidden in 7 encodings: refused, 0 pushed");
  }, 180_000);
});

describe("an agent that fills the disk", () => {
  let stack: AppStack;
  afterAll(async () => stack?.stop());

  it("fill-disk: the sandbox stops it at the free-space floor and the job fails, saying why", async () => {
    const stat = statfsSync(tmpdir());
    const freeMb = Math.floor((stat.bavail * stat.bsize) / 1024 / 1024);
    // Leave it room for 400 MiB before the floor: the test needs that much free disk.
    expect(freeMb, "free disk for the fill-disk test (MiB)").toBeGreaterThan(1500);
    const reserve = freeMb - 400;
    stack = await start("fill-disk", { CHANT_SANDBOX_DISK_RESERVE_MB: String(reserve) });
    await stack.labelIssue42();
    const status = statusOf(stack);
    expect(status.phase).toBe("failed");
    expect(status.details.join("\n")).toMatch(/the disk had less than \d+ MiB free/);
    const after = statfsSync(tmpdir());
    // It was stopped close to the floor, and its files went with its workspace.
    expect((after.bavail * after.bsize) / 1024 / 1024).toBeGreaterThan(reserve);
    await expectContained(stack);
    summary.push(`fill-disk: stopped at the ${reserve} MiB floor; workspace removed`);
  }, 180_000);
});

describe("an agent that turns its spec into a link to the worker's key", () => {
  let stack: AppStack;
  afterAll(async () => stack?.stop());

  it("spec-link: the link is never followed; the run stops with the reason", async () => {
    stack = await start("spec-link");
    probeOf(stack);
    await stack.labelIssue42();
    const status = statusOf(stack);
    expect(status.headline).toBe("the agent deleted the spec");
    expect(status.details.join("\n")).toContain("no longer a regular file");
    await expectContained(stack);
    summary.push("spec-link: the spec made a link to the key file: not followed, refused");
  }, 180_000);
});

describe("a fork's pull request", () => {
  let stack: AppStack;
  afterAll(async () => stack?.stop());

  it("its head's code is not run: /chant check is answered politely, a re-run leaves the checks skipped", async () => {
    stack = await start("escape");
    const probe = probeOf(stack);
    await stack.fake.commit("acme/kv-store", {
      branch: "main",
      files: { ".github/chant.yml": CHANT_YML },
    });
    await stack.fake.addRepo({ owner: "mallory", name: "kv-store", forkOf: "acme/kv-store" });
    await stack.fake.commit("mallory/kv-store", {
      branch: "evil",
      from: "main",
      files: { "scripts/probe.mjs": probeScript(probe) },
    });
    const pr = await stack.fake.addPullRequest("acme/kv-store", {
      title: "Innocent",
      user: "mallory",
      head: "mallory:evil",
    });
    const delivery = await stack.deliver(
      "issue_comment",
      stack.fake.payloads.issueCommentCreated({
        repo: "acme/kv-store",
        issue: pr.number,
        body: "/chant check",
        user: "alice",
      }),
    );
    expect(delivery.status).toBe(200);
    await stack.settle();
    const replies = stack.fake.comments("acme/kv-store", pr.number);
    expect(replies.map((c) => c.body).join("\n")).toMatch(/fork/);
    expect(replies.map((c) => c.body).join("\n")).toContain("checks.fork_pull_requests");
    expect(stack.fake.checkRuns("acme/kv-store", pr.headSha)).toEqual([]);

    // A checks job for it that reached the worker anyway (queued before, or by hand): not run.
    const job = {
      installationId: stack.fake.installationId,
      repo: { id: stack.repo.id, owner: "acme", name: "kv-store" },
      headSha: pr.headSha,
      pullRequest: pr.number,
      reason: "command" as const,
      requestedBy: "alice",
      deliveryId: `fork-${Date.now()}`,
    };
    await enqueueChecks(stack.queues, job);
    await stack.settle();
    const refused = stack.fake.checkRuns("acme/kv-store", pr.headSha);
    expect(refused.map((r) => [r.name, r.conclusion, r.output.title]).sort()).toEqual(
      ["chant/format", "chant/lint", "chant/reproduction", "chant/tests"].map((name) => [
        name,
        "skipped",
        "Not run: the pull request comes from a fork",
      ]),
    );

    // With `checks.fork_pull_requests: run`, in the sandbox without network, even for setup.
    await stack.fake.commit("acme/kv-store", {
      branch: "main",
      files: {
        ".github/chant.yml": CHANT_YML.replace(
          "  timeout_minutes: 2",
          "  timeout_minutes: 2\n  fork_pull_requests: run",
        ),
      },
    });
    await enqueueChecks(stack.queues, { ...job, deliveryId: `fork-run-${Date.now()}` });
    await stack.settle();
    const ran = stack.fake.checkRuns("acme/kv-store", pr.headSha);
    const tests = ran.find((r) => r.name === "chant/tests" && r.output.text?.includes("PROBE"));
    expect(tests?.output.text).toMatch(/PROBE tests attempts=\d+/);
    const setupOutput = ran.map((r) => r.output.text ?? "").join("\n");
    expect(setupOutput).toContain('"proxy 127.0.0.1:6379","no proxy"');
    await expectContained(stack);
    summary.push(
      "fork: /chant check refused; a queued job left skipped; with fork_pull_requests: run, sandboxed without network; leaks 0",
    );
  }, 180_000);
});
