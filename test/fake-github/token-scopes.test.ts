import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProbotOctokit } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeGitHub, runGit } from "../support/fake-github/index.js";
import type { RepoHandle } from "../support/fake-github/index.js";
import { appOctokit, silentLog, statusOf } from "./octokit.js";

/**
 * Installation tokens narrowed with `repositories` / `repository_ids` and
 * `permissions` when minted, and held to that on every request, as GitHub does.
 */

let fake: FakeGitHub;
let widgets: RepoHandle;
let work: string;
let pullNumber: number;

beforeAll(async () => {
  fake = new FakeGitHub();
  await fake.start();
  widgets = await fake.addRepo({
    owner: "acme",
    name: "widgets",
    files: { "README.md": "# widgets\n", ".github/chant.yml": "label: chant:go\n" },
  });
  await fake.addRepo({ owner: "acme", name: "gadgets", files: { "README.md": "# gadgets\n" } });
  await fake.addRepo({ owner: "other", name: "elsewhere", installationId: 99, files: { a: "1" } });
  fake.addIssue("acme/widgets", { number: 1, title: "Broken", user: "reporter" });
  await fake.commit("acme/widgets", { branch: "feature", files: { "b.txt": "b\n" } });
  pullNumber = (
    await fake.addPullRequest("acme/widgets", { title: "Feature", user: "dev", head: "feature" })
  ).number;
  work = mkdtempSync(join(tmpdir(), "fake-github-scopes-"));
});

afterAll(async () => {
  await fake.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Probot's Octokit with this token (no retries, no throttle). */
function withToken(token: string): ProbotOctokit {
  return new ProbotOctokit({
    baseUrl: fake.apiUrl,
    auth: { token },
    throttle: { enabled: false },
    retry: { enabled: false },
    log: silentLog,
  });
}

async function mint(body: Record<string, unknown>) {
  return appOctokit(fake).request("POST /app/installations/{installation_id}/access_tokens", {
    installation_id: fake.installationId,
    ...body,
  });
}

const r = { owner: "acme", repo: "widgets" };

describe("minting scoped installation tokens", () => {
  it("records the repositories and permissions asked for, and answers with them", async () => {
    const { status, data } = await mint({
      repositories: ["widgets"],
      permissions: { contents: "read", checks: "write" },
    });
    expect(status).toBe(201);
    expect(data.permissions).toEqual({ contents: "read", checks: "write", metadata: "read" });
    expect(data.repositories?.map((repo) => repo.full_name)).toEqual(["acme/widgets"]);
    const issued = fake.issuedTokens().find((t) => t.token === data.token);
    expect(issued).toMatchObject({
      repositories: ["acme/widgets"],
      permissions: { contents: "read", checks: "write", metadata: "read" },
      requested: { repositories: ["widgets"], permissions: { contents: "read", checks: "write" } },
    });

    const byId = await mint({ repository_ids: [widgets.id] });
    expect(fake.issuedTokens().find((t) => t.token === byId.data.token)?.repositories).toEqual([
      "acme/widgets",
    ]);
    const unscoped = await mint({});
    expect(fake.issuedTokens().find((t) => t.token === unscoped.data.token)).toMatchObject({
      repositories: null,
      permissions: expect.objectContaining({ issues: "write", contents: "write" }),
    });
  });

  it("refuses (422) repositories outside the installation and permissions the app lacks", async () => {
    for (const body of [
      { repositories: ["nope"] },
      { repositories: ["elsewhere"] }, // another installation's
      { repository_ids: [123456789] },
    ]) {
      const refused = await statusOf(mint(body));
      expect(refused.status).toBe(422);
      expect(refused.data).toMatchObject({
        message: expect.stringContaining("not accessible to the parent installation"),
      });
    }
    for (const permissions of [{ administration: "write" }, { metadata: "write" }]) {
      const refused = await statusOf(mint({ permissions }));
      expect(refused.status).toBe(422);
      expect(refused.data).toMatchObject({
        message: "The permissions requested are not granted to this installation.",
      });
    }
    expect((await statusOf(mint({ permissions: { issues: "admin" } }))).status).toBe(422);
  });
});

describe("using a scoped token", () => {
  it("answers 404 for a repository outside the token's list", async () => {
    const octokit = withToken(
      fake.createInstallationToken(fake.installationId, { repositories: ["widgets"] }),
    );
    expect((await octokit.request("GET /repos/{owner}/{repo}", r)).status).toBe(200);
    const other = await statusOf(
      octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "gadgets" }),
    );
    expect(other.status).toBe(404);
    expect(
      (
        await statusOf(
          octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
            owner: "acme",
            repo: "gadgets",
            issue_number: 1,
            body: "hi",
          }),
        )
      ).status,
    ).toBe(404);
  });

  it("answers 403 'Resource not accessible by integration' beyond the token's permissions", async () => {
    // What the checks job's token may do.
    const checksToken = fake.createInstallationToken(fake.installationId, {
      repositories: ["widgets"],
      permissions: { contents: "read", pull_requests: "read", checks: "write" },
    });
    const octokit = withToken(checksToken);
    const forbidden = async (promise: Promise<unknown>, accepted: string) => {
      const answer = await statusOf(promise);
      expect(answer.status).toBe(403);
      expect(answer.data).toMatchObject({ message: "Resource not accessible by integration" });
      expect(answer.headers["x-accepted-github-permissions"]).toBe(accepted);
    };

    // Allowed: reads within contents / pull requests, check-run writes.
    await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", { ...r, path: "README.md" });
    await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
      ...r,
      pull_number: pullNumber,
    });
    const { data: run } = await octokit.request("POST /repos/{owner}/{repo}/check-runs", {
      ...r,
      name: "chant/tests",
      head_sha: widgets.headSha!,
      status: "queued",
    });
    await octokit.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", {
      ...r,
      check_run_id: run.id,
      status: "in_progress",
    });

    // Issues: no read, no write (comments, reactions, labels), on an issue or a pull request.
    await forbidden(
      octokit.request("GET /repos/{owner}/{repo}/issues/{issue_number}", { ...r, issue_number: 1 }),
      "issues=read",
    );
    await forbidden(
      octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
        ...r,
        issue_number: 1,
        body: "hi",
      }),
      "issues=write",
    );
    await forbidden(
      octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
        ...r,
        issue_number: pullNumber,
        body: "hi",
      }),
      "issues=write; pull_requests=write",
    );
    await forbidden(
      octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/reactions", {
        ...r,
        issue_number: 1,
        content: "eyes",
      }),
      "issues=write",
    );
    const comment = fake.addComment("acme/widgets", 1, { user: "reporter", body: "please" });
    await forbidden(
      octokit.request("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", {
        ...r,
        comment_id: comment.id,
        body: "edited",
      }),
      "issues=write",
    );
    await forbidden(
      octokit.request("POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", {
        ...r,
        comment_id: comment.id,
        content: "eyes",
      }),
      "issues=write",
    );
    // Pull requests: read only.
    await forbidden(
      octokit.request("POST /repos/{owner}/{repo}/pulls", {
        ...r,
        head: "feature",
        base: "main",
        title: "Another",
      }),
      "pull_requests=write",
    );
    await forbidden(
      octokit.request("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", {
        ...r,
        pull_number: pullNumber,
        title: "Renamed",
      }),
      "pull_requests=write",
    );
    await forbidden(
      octokit.request("POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", {
        ...r,
        pull_number: pullNumber,
        reviewers: ["reporter"],
      }),
      "pull_requests=write",
    );
    expect(fake.comments("acme/widgets", 1).map((c) => c.body)).toEqual(["please"]);
    expect(fake.reactions("acme/widgets", { issue: 1 })).toEqual([]);
    expect((await fake.pulls("acme/widgets")).map((p) => p.title)).toEqual(["Feature"]);

    // A token without checks cannot write check runs; a pull-request token comments on PRs only.
    const prToken = withToken(
      fake.createInstallationToken(fake.installationId, {
        repositories: ["widgets"],
        permissions: { pull_requests: "write" },
      }),
    );
    await forbidden(
      prToken.request("POST /repos/{owner}/{repo}/check-runs", {
        ...r,
        name: "chant/lint",
        head_sha: widgets.headSha!,
      }),
      "checks=write",
    );
    await forbidden(
      prToken.request("GET /repos/{owner}/{repo}/contents/{path}", { ...r, path: "README.md" }),
      "contents=read",
    );
    await prToken.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      ...r,
      issue_number: pullNumber,
      body: "on the pull request",
    });
    await forbidden(
      prToken.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
        ...r,
        issue_number: 1,
        body: "on the issue",
      }),
      "issues=write",
    );
  });

  it("holds GraphQL blob reads to the token's repositories and contents permission", async () => {
    const query = `query($owner: String!, $name: String!, $e0: String!) {
  repository(owner: $owner, name: $name) {
    f0: object(expression: $e0) { ... on Blob { byteSize isBinary isTruncated text } }
  }
}`;
    const ask = (token: string, name: string) =>
      withToken(token).graphql(query, { owner: "acme", name, e0: "HEAD:README.md" });
    const reader = fake.createInstallationToken(fake.installationId, {
      repositories: ["widgets"],
      permissions: { contents: "read" },
    });
    await expect(ask(reader, "widgets")).resolves.toMatchObject({
      repository: { f0: { text: "# widgets\n" } },
    });
    await expect(ask(reader, "gadgets")).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: "NOT_FOUND" })],
    });
    const noContents = fake.createInstallationToken(fake.installationId, {
      repositories: ["widgets"],
      permissions: { issues: "write" },
    });
    await expect(ask(noContents, "widgets")).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: "FORBIDDEN" })],
    });
  });

  it("lets git fetch with contents: read, push only with contents: write, and nothing elsewhere", async () => {
    const basic = (token: string) =>
      `http.extraHeader=Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;
    const git = (token: string, args: string[], cwd?: string) =>
      runGit(["-c", basic(token), ...args], cwd ? { cwd } : {});
    const reader = fake.createInstallationToken(fake.installationId, {
      repositories: ["widgets"],
      permissions: { contents: "read" },
    });
    const writer = fake.createInstallationToken(fake.installationId, {
      repositories: ["widgets"],
      permissions: { contents: "write" },
    });
    const noContents = fake.createInstallationToken(fake.installationId, {
      repositories: ["widgets"],
      permissions: { issues: "write" },
    });

    const dir = join(work, "clone");
    expect((await git(reader, ["clone", "--quiet", widgets.cloneUrl, dir])).code).toBe(0);
    writeFileSync(join(dir, "c.txt"), "c\n");
    const identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"];
    await runGit([...identity, "add", "c.txt"], { cwd: dir });
    await runGit([...identity, "commit", "--quiet", "-m", "c"], { cwd: dir });

    fake.resetPushes();
    const refused = await git(reader, ["push", "--quiet", "origin", "HEAD:refs/heads/sneaky"], dir);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/403/);
    expect(fake.pushes).toEqual([]);
    expect(
      (await git(writer, ["push", "--quiet", "origin", "HEAD:refs/heads/allowed"], dir)).code,
    ).toBe(0);
    expect(fake.pushes.map((p) => p.ref)).toEqual(["refs/heads/allowed"]);

    expect((await git(noContents, ["ls-remote", widgets.cloneUrl])).code).not.toBe(0);
    expect(fake.requests.at(-1)).toMatchObject({ api: "git", status: 403 });
    const gadgets = widgets.cloneUrl.replace("/widgets.git", "/gadgets.git");
    expect((await git(writer, ["ls-remote", gadgets])).code).not.toBe(0);
    expect(fake.requests.at(-1)).toMatchObject({ api: "git", status: 404 });
  });
});
