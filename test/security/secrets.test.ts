/**
 * Secrets (issue 7, item 5): canary secrets in the worker's real environment
 * (CHANT_REDACT=MY_CANARY,SECOND_CANARY plus the app's own WEBHOOK_SECRET and
 * PRIVATE_KEY) and the installation tokens the stand-in issued. A scripted
 * agent and the repository's check commands try every way to print or
 * publish them; none may show up, plain or base64, in a pull request, a
 * pushed commit (every file of every branch), a comment, a check run or the
 * app's log.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStatusState } from "../../src/pipeline/status/status-comment.js";
import { AGENTS } from "../support/e2e-stack.js";
import { runGit } from "../support/fake-github/index.js";
import { startAppStack, type AppStack } from "./app-stack.js";

const EXFILTRATE = join(AGENTS, "exfiltrate.mjs");
const FIX = join(AGENTS, "fix-kv-store.mjs");

const MY_CANARY = `canary-${randomBytes(18).toString("hex")}`;
const SECOND_CANARY = `second-canary-${randomBytes(9).toString("base64url")}`;
const CANARY_ENV = {
  CHANT_REDACT: "MY_CANARY, SECOND_CANARY",
  MY_CANARY,
  SECOND_CANARY,
};

/** A secret's base64 encodings inside longer base64 text, at each of the three byte offsets. */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
    // Only the characters made of the secret's bits alone.
    forms.push(
      encoded.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes.length) * 8) / 6)),
    );
  }
  return forms.flatMap((f) => [f, f.replace(/\+/g, "-").replace(/\//g, "_")]);
}

/** Which canaries `text` holds: plain, or base64 (also wrapped over several lines). */
function leaked(text: string, canaries: Record<string, string>): string[] {
  const unwrapped = text.replace(/\r?\n/g, "");
  return Object.entries(canaries)
    .filter(
      ([, secret]) =>
        text.includes(secret) ||
        base64Forms(secret).some((form) => unwrapped.includes(form)) ||
        unwrapped.includes(Buffer.from(`x-access-token:${secret}`).toString("base64")),
    )
    .map(([name]) => name);
}

/** Everything published on the stand-in, and the app's log, as named texts. */
async function everythingPublished(stack: AppStack): Promise<[string, string][]> {
  const texts: [string, string][] = [["app log", stack.output()]];
  const gitDir = stack.repo.gitDir;
  const git = async (...args: string[]) =>
    (await runGit(["--git-dir", gitDir, ...args])).stdout.toString("utf8");
  for (const branch of await stack.fake.branches("acme/kv-store")) {
    texts.push([`commit messages of ${branch.name}`, await git("log", "--format=%B", branch.sha)]);
    const files = (await git("ls-tree", "-r", "--name-only", "-z", branch.sha))
      .split("\0")
      .filter(Boolean);
    for (const file of files) {
      texts.push([`${branch.name}:${file}`, await git("show", `${branch.sha}:${file}`)]);
    }
  }
  for (const pull of await stack.fake.pulls("acme/kv-store")) {
    texts.push([`PR #${pull.number}`, `${pull.title}\n${pull.body ?? ""}`]);
  }
  for (const issue of [42, ...(await stack.fake.pulls("acme/kv-store")).map((p) => p.number)]) {
    for (const comment of stack.fake.comments("acme/kv-store", issue)) {
      texts.push([`comment on #${issue}`, comment.body]);
    }
  }
  for (const run of stack.fake.checkRuns("acme/kv-store")) {
    texts.push([
      `check run ${run.name}`,
      [
        run.output.title,
        run.output.summary,
        run.output.text,
        ...run.annotations.map((a) => JSON.stringify(a)),
      ].join("\n"),
    ]);
  }
  return texts;
}

async function expectNoLeaks(stack: AppStack): Promise<void> {
  const canaries: Record<string, string> = {
    MY_CANARY,
    SECOND_CANARY,
    WEBHOOK_SECRET: stack.fake.webhookSecret,
  };
  // Each line of the key's body is random: any one of them is a leak.
  stack.fake.privateKey
    .split("\n")
    .filter((line) => line.length >= 40 && !line.startsWith("-----"))
    .forEach((line, i) => (canaries[`PRIVATE_KEY line ${i + 1}`] = line));
  const tokens = stack.fake.issuedTokens();
  expect(tokens.length).toBeGreaterThan(0);
  tokens.forEach((t, i) => (canaries[`installation token ${i + 1}`] = t.token));

  const published = await everythingPublished(stack);
  const found = published.flatMap(([where, text]) =>
    leaked(text, canaries).map((name) => `${name} in ${where}`),
  );
  expect(found).toEqual([]);
  // The detector itself works: the canaries are really in the worker's reach.
  expect(leaked(`x ${Buffer.from(`a${MY_CANARY}`).toString("base64")} y`, canaries)).toEqual([
    "MY_CANARY",
  ]);
}

function statusOf(stack: AppStack) {
  const comments = stack.fake.comments("acme/kv-store", 42);
  expect(comments).toHaveLength(1);
  return readStatusState(comments[0]!.body)!;
}

async function label(stack: AppStack): Promise<void> {
  const delivery = await stack.deliver(
    "issues",
    stack.fake.payloads.issuesLabeled({
      repo: "acme/kv-store",
      issue: 42,
      label: "chant:implement",
      sender: "alice",
    }),
  );
  expect(delivery.status).toBe(200);
  await stack.settle();
}

describe("an agent that goes after the worker's secrets", () => {
  let stack: AppStack;
  afterAll(async () => stack?.stop());

  it("writes them into files, notes and a commit message: nothing is pushed, the comment says why", async () => {
    stack = await startAppStack({
      agent: EXFILTRATE,
      env: { ...CANARY_ENV, CHANT_AGENT_ENV: "EXFIL_MODE", EXFIL_MODE: "commit" },
    });
    await label(stack);
    const status = statusOf(stack);
    expect(status.phase).toBe("failed");
    expect(status.headline).toBe(
      "the changes hold a secret of this app or a GitHub token, so nothing was pushed",
    );
    const details = status.details.join("\n");
    for (const where of ["the message of commit", "`loot.json`", "`worker-environ.txt`"]) {
      expect(details).toContain(where);
    }
    expect(
      (await stack.fake.branches("acme/kv-store")).filter((b) => b.name.startsWith("chant/")),
    ).toEqual([]);
    expect(await stack.fake.pulls("acme/kv-store")).toEqual([]);
    await expectNoLeaks(stack);
  }, 90_000);
});

describe.each([
  [
    "fail",
    "prints them and fails: the status comment quotes its output, redacted",
    /^the agent failed/,
  ],
  [
    "nothing",
    "prints them and changes nothing: the status comment quotes its last words, redacted",
    /^the agent finished without changing any file/,
  ],
  [
    "needs-research",
    "writes them into its notes and asks for re-research: the follow-up is not pushed",
    /^the changes hold a secret of this app or a GitHub token, so nothing was pushed$/,
  ],
] as const)("an agent in mode %s", (mode, title, headline) => {
  let stack: AppStack;
  afterAll(async () => stack?.stop());

  it(
    title,
    async () => {
      stack = await startAppStack({
        agent: EXFILTRATE,
        env: { ...CANARY_ENV, CHANT_AGENT_ENV: "EXFIL_MODE", EXFIL_MODE: mode },
      });
      await label(stack);
      const status = statusOf(stack);
      expect(status.headline).toMatch(headline);
      if (mode !== "needs-research") {
        // What it printed is there, without the secrets: the test is not vacuous.
        expect(stack.fake.comments("acme/kv-store", 42)[0]!.body).toContain("[REDACTED]");
      } else {
        expect(await stack.fake.pulls("acme/kv-store")).toEqual([]);
      }
      await expectNoLeaks(stack);
    },
    90_000,
  );
});

describe("check commands that print the environment, .git/config and the token", () => {
  let stack: AppStack;
  beforeAll(async () => {
    const dump = [
      'echo "== environment"; env',
      'echo "== the worker\'s environment"; tr "\\000" "\\n" < /proc/$PPID/environ',
      'echo "== git"; cat .git/config; git config --list --show-origin; git remote -v',
      'echo "== credentials anywhere"; for f in /proc/[0-9]*/environ; do tr "\\000" "\\n" < "$f" 2>/dev/null | grep -a -E "GIT_CONFIG_VALUE|ghs_|TOKEN"; done',
      'echo "== base64"; tr "\\000" "\\n" < /proc/$PPID/environ | base64',
      'echo "== base64, one line"; tr "\\000" "\\n" < /proc/$PPID/environ | base64 -w0; echo',
    ];
    const yaml = [
      "checks:",
      "  setup: |",
      ...dump.map((line) => `    ${line}`),
      "  reproduction: node --test {tests}",
      "  tests: |",
      ...dump.map((line) => `    ${line}`),
      "    exit 1",
      // Lint findings become annotations: one per line of the worker's environment.
      "  lint: |",
      '    tr "\\000" "\\n" < /proc/$PPID/environ | sed "s|^|src/store.js:1:1: error |"',
      "    exit 1",
      "  format: |",
      '    tr "\\000" "\\n" < /proc/$PPID/environ | base64 -w0',
      "    exit 1",
      "  timeout_minutes: 2",
      "",
    ].join("\n");
    stack = await startAppStack({
      agent: FIX,
      env: CANARY_ENV,
      files: { ".github/chant.yml": yaml },
    });
  }, 60_000);
  afterAll(async () => stack?.stop());

  it("the fix is published, the checks ran and failed, and no check run shows a secret", async () => {
    await label(stack);
    expect(statusOf(stack).phase).toBe("succeeded");
    const pulls = await stack.fake.pulls("acme/kv-store");
    expect(pulls).toHaveLength(1);
    const runs = stack.fake.checkRuns("acme/kv-store", pulls[0]!.head.sha);
    expect(Object.fromEntries(runs.map((r) => [r.name, r.conclusion]))).toMatchObject({
      "chant/tests": "failure",
      "chant/lint": "failure",
      "chant/format": "failure",
    });
    // The commands did print the environment (redacted): the test is not vacuous.
    const tests = runs.find((r) => r.name === "chant/tests")!;
    expect(tests.output.text).toContain("MY_CANARY=[REDACTED]");
    expect(tests.output.text).toContain("WEBHOOK_SECRET=[REDACTED]");
    expect(runs.find((r) => r.name === "chant/lint")!.annotations.length).toBeGreaterThan(3);
    await expectNoLeaks(stack);
  }, 90_000);
});
