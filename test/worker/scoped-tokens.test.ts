import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { createProbot, ProbotOctokit, type Probot } from "probot";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GitHubForge } from "../../src/forge/github/github-forge.js";
import { SIBLING_CONTENTS_PERMISSIONS } from "../../src/forge/github/scoped-installation-auth.js";
import { freshStatus } from "../../src/domain/status.js";
import { loadRepoConfig } from "../../src/forge/github/github-config.js";
import {
  githubForges,
  JOB_TOKEN_PERMISSIONS,
  type ForgeFactory,
  type JobPurpose,
} from "../../src/worker/forge-factory.js";
import { noMutex } from "../../src/forge/status-comment-store.js";
import { FakeGitHub, runGit, type RepoHandle } from "../support/fake-github/index.js";
import { silentLog, statusOf } from "../fake-github/octokit.js";

/**
 * The worker's tokens are scoped down (forge-factory.ts): one repository, and
 * the permissions of the job's purpose; git gets a token of its own with
 * contents only. The GitHub stand-in enforces scopes as GitHub does.
 */

/** Probot's Octokit without the 1 s spacing of writes. */
const UnthrottledOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  throttle: { ...(options.throttle as object), enabled: false },
}));

let fake: FakeGitHub;
let kv: RepoHandle;
let probot: Probot;
let forges: ForgeFactory;
let work: string;
let pullNumber: number;
const SOLO_INSTALLATION = 8_000_001;

beforeAll(async () => {
  fake = new FakeGitHub();
  await fake.start();
  kv = await fake.addRepo({
    owner: "acme",
    name: "kv",
    files: { "README.md": "# kv\n", ".github/chant.yml": "_extends: .github\nlabel: chant:go\n" },
  });
  await fake.addRepo({
    owner: "acme",
    name: ".github",
    files: { ".github/chant.yml": "checks:\n  tests: npm test\n" },
  });
  await fake.addRepo({ owner: "acme", name: "other", files: { "README.md": "# other\n" } });
  // An owner without a `.github` repository, in an installation of its own.
  await fake.addRepo({
    owner: "solo",
    name: "lone",
    installationId: SOLO_INSTALLATION,
    files: { "README.md": "# lone\n" },
  });
  fake.addIssue("acme/kv", { number: 1, title: "Broken", user: "reporter" });
  await fake.commit("acme/kv", { branch: "feature", files: { "f.txt": "f\n" } });
  pullNumber = (
    await fake.addPullRequest("acme/kv", { title: "Feature", user: "dev", head: "feature" })
  ).number;
  probot = createProbot({
    env: { ...fake.env(), LOG_LEVEL: "silent" },
    overrides: { Octokit: UnthrottledOctokit, log: pino({ level: "silent" }) },
  });
  work = mkdtempSync(join(tmpdir(), "chant-scoped-tokens-"));
});

beforeEach(() => {
  // A fresh factory per test: its token cache starts empty.
  forges = githubForges({
    probot,
    appId: fake.appId,
    mutex: noMutex,
    log: pino({ level: "silent" }),
  });
});

afterAll(async () => {
  await fake.stop();
  rmSync(work, { recursive: true, force: true });
});

const kvRepo = { owner: "acme", name: "kv" };
const forRepo = (purpose: JobPurpose) =>
  forges.forRepo(fake.installationId, kvRepo, undefined, purpose);

/** Probot's Octokit with this token (no retries, no throttle). */
function withToken(token: string) {
  return new ProbotOctokit({
    baseUrl: fake.apiUrl,
    auth: { token },
    throttle: { enabled: false },
    retry: { enabled: false },
    log: silentLog,
  });
}

/** Tokens minted through the API since `since` tokens were issued: what was asked for each. */
function requestedSince(since: number): unknown[] {
  return fake
    .issuedTokens()
    .slice(since)
    .map((t) => t.requested);
}

/** Clone with the forge's git access, commit a file on `branch`, push; the push's result. */
async function pushWith(forge: GitHubForge, name: string, branch: string) {
  const access = await forge.gitAccess();
  const dir = join(work, name);
  const cloned = await runGit(["clone", "--quiet", access.url, dir], { env: access.env });
  expect(cloned.code).toBe(0);
  writeFileSync(join(dir, `${name}.txt`), `${name}\n`);
  const identity = ["-c", "user.name=chant-bot", "-c", "user.email=bot@example.com"];
  await runGit([...identity, "add", "."], { cwd: dir });
  await runGit([...identity, "commit", "--quiet", "-m", name], { cwd: dir });
  return runGit(["push", "--quiet", "origin", `HEAD:refs/heads/${branch}`], {
    cwd: dir,
    env: access.env,
  });
}

const update = () => freshStatus("running", "working on it");
const draft = (head: string) => ({
  head,
  base: "main",
  title: `PR ${head}`,
  body: "b",
  draft: true,
});

describe("the checks job's forge", () => {
  it("writes check runs and reads the pull request, but cannot comment, react, open a PR or push", async () => {
    const since = fake.issuedTokens().length;
    const { forge } = await forRepo("checks");

    await forge.ensureCheckRun(kv.headSha!, "chant/tests", { status: "queued" });
    expect(fake.checkRuns("acme/kv", kv.headSha!)).toHaveLength(1);
    expect((await forge.pullRequest(pullNumber)).headRef).toBe("feature");

    expect((await statusOf(forge.ensureStatusComment(1, update))).status).toBe(403);
    expect((await statusOf(forge.react({ issue: 1 }, "eyes"))).status).toBe(403);
    expect((await statusOf(forge.ensurePullRequest(draft("feature")))).status).toBe(403);
    expect(fake.comments("acme/kv", 1)).toEqual([]);
    expect(fake.reactions("acme/kv", { issue: 1 })).toEqual([]);
    expect(await fake.pulls("acme/kv")).toHaveLength(1);

    fake.resetPushes();
    const pushed = await pushWith(forge, "checks-push", "sneaky");
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr.toString()).toMatch(/403/);
    expect(fake.pushes).toEqual([]);

    // Exactly one repository and the documented permissions: one token for the API, one for git.
    expect(requestedSince(since)).toEqual([
      { repositories: ["kv"], permissions: JOB_TOKEN_PERMISSIONS.checks.api },
      { repositories: ["kv"], permissions: JOB_TOKEN_PERMISSIONS.checks.git },
    ]);
  });
});

describe("the implement job's forge", () => {
  it("comments, reacts, opens a pull request, requests review, writes check runs and pushes", async () => {
    const since = fake.issuedTokens().length;
    const { forge } = await forRepo("implement");

    const { url } = await forge.ensureStatusComment(1, update);
    expect(url).toContain("#issuecomment-");
    await forge.react({ issue: 1 }, "eyes");
    fake.resetPushes();
    const pushed = await pushWith(forge, "implement-push", "chant/2026-01-01-001-abc");
    expect(pushed.stderr.toString()).toBe("");
    expect(pushed.code).toBe(0);
    expect(fake.pushes.map((p) => p.ref)).toEqual(["refs/heads/chant/2026-01-01-001-abc"]);
    const pr = await forge.ensurePullRequest(draft("chant/2026-01-01-001-abc"));
    expect(pr.created).toBe(true);
    await forge.requestReview(pr.number, ["reporter"]);
    await forge.ensureCheckRun(kv.headSha!, "chant/lint", { status: "queued" });

    expect(fake.comments("acme/kv", 1)).toHaveLength(1);
    expect(fake.reactions("acme/kv", { issue: 1 }).map((r) => r.content)).toEqual(["eyes"]);
    expect(requestedSince(since)).toEqual([
      { repositories: ["kv"], permissions: JOB_TOKEN_PERMISSIONS.implement.api },
      { repositories: ["kv"], permissions: JOB_TOKEN_PERMISSIONS.implement.git },
    ]);
  });

  it("gives git a token that cannot use the REST API beyond contents, nor reach another repository", async () => {
    const { forge } = await forRepo("implement");
    const access = await forge.gitAccess();
    const token = access.secrets[0]!;
    expect(fake.issuedTokens().find((t) => t.token === token)).toMatchObject({
      repositories: ["acme/kv"],
      permissions: { contents: "write", metadata: "read" },
    });
    const octokit = withToken(token);
    const r = { owner: "acme", repo: "kv" };

    const comment = await statusOf(
      octokit.rest.issues.createComment({ ...r, issue_number: 1, body: "from the sandbox" }),
    );
    expect(comment.status).toBe(403);
    expect(comment.data).toMatchObject({ message: "Resource not accessible by integration" });
    expect(
      (
        await statusOf(
          octokit.rest.pulls.create({ ...r, head: "feature", base: "main", title: "x" }),
        )
      ).status,
    ).toBe(403);
    expect(
      (await statusOf(octokit.rest.checks.create({ ...r, name: "fake", head_sha: kv.headSha! })))
        .status,
    ).toBe(403);
    expect((await statusOf(octokit.rest.repos.get({ owner: "acme", repo: "other" }))).status).toBe(
      404,
    );
  });
});

describe("tokens across jobs", () => {
  it("reuses a scope's API token, and mints git a fresh token each time", async () => {
    const since = fake.issuedTokens().length;
    const first = await forRepo("checks");
    await first.forge.repo();
    const second = await forRepo("checks");
    await second.forge.ensureCheckRun(kv.headSha!, "chant/format", { status: "queued" });
    const tokens = [await first.forge.gitAccess(), await second.forge.gitAccess()].map(
      (a) => a.secrets[0],
    );
    expect(tokens[0]).not.toBe(tokens[1]);
    expect(requestedSince(since)).toEqual([
      { repositories: ["kv"], permissions: JOB_TOKEN_PERMISSIONS.checks.api },
      { repositories: ["kv"], permissions: JOB_TOKEN_PERMISSIONS.checks.git },
      { repositories: ["kv"], permissions: JOB_TOKEN_PERMISSIONS.checks.git },
    ]);
  });
});

describe("the config read", () => {
  it("follows `_extends: .github` with a read-only token for that repository alone", async () => {
    const since = fake.issuedTokens().length;
    const { octokit } = await forRepo("checks");
    const config = await loadRepoConfig(octokit, "acme", "kv");
    expect(config.label).toBe("chant:go");
    expect(config.checks.tests).toBe("npm test");
    expect(requestedSince(since)).toEqual([
      { repositories: ["kv"], permissions: JOB_TOKEN_PERMISSIONS.checks.api },
      { repositories: [".github"], permissions: SIBLING_CONTENTS_PERMISSIONS },
    ]);
    // The config reader writes nowhere else.
    const elsewhere = await statusOf(
      octokit.rest.issues.createComment({
        owner: "acme",
        repo: "other",
        issue_number: 1,
        body: "x",
      }),
    );
    expect(elsewhere.status).toBe(404);
  });

  it("reads the defaults when the owner has no `.github` repository", async () => {
    const { octokit } = await forges.forRepo(
      SOLO_INSTALLATION,
      { owner: "solo", name: "lone" },
      undefined,
      "checks",
    );
    const config = await loadRepoConfig(octokit, "solo", "lone");
    expect(config.label).toBe("chant:implement");
  });
});
