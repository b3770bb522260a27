import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeGitHub } from "../support/fake-github/index.js";
import { appOctokit, installationOctokit, statusOf } from "./octokit.js";

const owner = "acme";
const repo = "widgets";

let fake: FakeGitHub;
let headSha: string;

beforeAll(async () => {
  fake = new FakeGitHub();
  await fake.start();
  const handle = await fake.addRepo({
    owner,
    name: repo,
    files: {
      "README.md": "# widgets\n",
      "src/index.js": "export const answer = 42;\n",
      ".github/chant.yml": "_extends: .github\nlabel: chant:go\n",
      ".chant/specs/2026-01-28-001-res.md": "---\ntype: research\n---\n# Research\n",
      "assets/logo.bin": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]),
      "big.txt": "x".repeat(520_000),
    },
  });
  headSha = handle.headSha!;
  await fake.addRepo({
    owner,
    name: ".github",
    files: { ".github/chant.yml": "checks:\n  tests: npm test\nlabel: chant:implement\n" },
  });
  fake.addUser("maintainer", { permission: "maintain" });
  fake.addIssue(`${owner}/${repo}`, {
    number: 7,
    title: "Widgets break",
    body: "It fails",
    user: "reporter",
  });
});

afterAll(async () => {
  await fake.stop();
});

async function statusOfGraphql(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return (error as { errors?: unknown }).errors;
  }
  throw new Error("expected GraphQL errors");
}

describe("app authentication", () => {
  it("serves /app and mints installation tokens for a valid JWT", async () => {
    const app = appOctokit(fake);
    const { data: self } = await app.request("GET /app");
    expect(self).toMatchObject({ slug: "chant-bot", id: fake.appId });

    const { data: installation } = await app.request("GET /repos/{owner}/{repo}/installation", {
      owner,
      repo,
    });
    expect(installation.id).toBe(fake.installationId);

    const { status, data: token } = await app.request(
      "POST /app/installations/{installation_id}/access_tokens",
      {
        installation_id: fake.installationId,
      },
    );
    expect(status).toBe(201);
    expect(token.token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    const lifetime = Date.parse(token.expires_at) - Date.now();
    expect(lifetime).toBeGreaterThan(59 * 60 * 1000);
    expect(lifetime).toBeLessThanOrEqual(60 * 60 * 1000);
    expect(fake.issuedTokens().map((t) => t.token)).toContain(token.token);

    // The token works as `token X` and as `Bearer X`.
    for (const scheme of ["token", "Bearer"]) {
      const response = await fetch(`${fake.apiUrl}/repos/${owner}/${repo}`, {
        headers: { authorization: `${scheme} ${token.token}` },
      });
      expect(response.status).toBe(200);
    }
  });

  it("refuses a JWT signed with another key, a missing token and an unknown token", async () => {
    // Any other RSA key will do (a small one is quicker to generate).
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const other = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    expect((await statusOf(appOctokit(fake, other).request("GET /app"))).status).toBe(401);

    expect((await fetch(`${fake.apiUrl}/repos/${owner}/${repo}`)).status).toBe(401);
    const bad = await fetch(`${fake.apiUrl}/repos/${owner}/${repo}`, {
      headers: { authorization: "token ghs_notatoken" },
    });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ message: "Bad credentials" });
  });
});

describe("repository data", () => {
  it("reads the repository, its tree, contents, blobs and refs from the bare repository", async () => {
    const octokit = installationOctokit(fake);
    const { data: info } = await octokit.rest.repos.get({ owner, repo });
    expect(info).toMatchObject({
      name: repo,
      full_name: `${owner}/${repo}`,
      owner: { login: owner },
      default_branch: "main",
      clone_url: `${fake.url}/git/${owner}/${repo}.git`,
      private: false,
      fork: false,
    });

    const { data: tree } = await octokit.rest.git.getTree({
      owner,
      repo,
      tree_sha: "main",
      recursive: "1",
    });
    expect(tree.truncated).toBe(false);
    const paths = tree.tree.map((e) => `${e.type}:${e.path}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        "tree:.chant",
        "tree:.chant/specs",
        "blob:.chant/specs/2026-01-28-001-res.md",
        "blob:src/index.js",
      ]),
    );
    const readme = tree.tree.find((e) => e.path === "README.md")!;
    expect(readme.size).toBe(10);

    const { data: file } = await octokit.rest.repos.getContent({
      owner,
      repo,
      path: "src/index.js",
    });
    expect(Array.isArray(file)).toBe(false);
    if (Array.isArray(file) || file.type !== "file") throw new Error("expected a file");
    expect(file.encoding).toBe("base64");
    expect(Buffer.from(file.content, "base64").toString()).toBe("export const answer = 42;\n");
    expect(file.sha).toBe(tree.tree.find((e) => e.path === "src/index.js")!.sha);

    const { data: dir } = await octokit.rest.repos.getContent({
      owner,
      repo,
      path: ".chant/specs",
      ref: headSha,
    });
    expect(Array.isArray(dir) && dir.map((e) => e.name)).toEqual(["2026-01-28-001-res.md"]);

    expect(
      (await statusOf(octokit.rest.repos.getContent({ owner, repo, path: "nope.md" }))).status,
    ).toBe(404);
    expect(
      (
        await statusOf(
          octokit.rest.repos.getContent({ owner, repo, path: "README.md", ref: "no-such-branch" }),
        )
      ).status,
    ).toBe(404);

    const { data: raw } = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      owner,
      repo,
      path: "README.md",
      mediaType: { format: "raw" },
    });
    expect(raw).toBe("# widgets\n");

    const { data: blob } = await octokit.rest.git.getBlob({ owner, repo, file_sha: readme.sha! });
    expect(Buffer.from(blob.content, "base64").toString()).toBe("# widgets\n");

    const { data: ref } = await octokit.rest.git.getRef({ owner, repo, ref: "heads/main" });
    expect(ref.object.sha).toBe(headSha);
    const { data: branch } = await octokit.rest.repos.getBranch({ owner, repo, branch: "main" });
    expect(branch.commit.sha).toBe(headSha);
    expect(
      (await statusOf(octokit.rest.repos.getBranch({ owner, repo, branch: "gone" }))).status,
    ).toBe(404);
  });

  it("serves Probot's config reading, including _extends from the owner's .github repository", async () => {
    const octokit = installationOctokit(fake);
    const { config, files } = await octokit.config.get({ owner, repo, path: ".github/chant.yml" });
    expect(config).toEqual({ label: "chant:go", checks: { tests: "npm test" } });
    expect(files.map((f) => `${f.owner}/${f.repo}:${f.path}`)).toEqual([
      "acme/widgets:.github/chant.yml",
      "acme/.github:.github/chant.yml",
    ]);
  });

  it("answers the app's GraphQL blob batch, and nothing else", async () => {
    const octokit = installationOctokit(fake);
    const query = `query ($owner: String!, $name: String!, $e0: String!, $e1: String!, $e2: String!, $e3: String!, $e4: String!) {
      repository(owner: $owner, name: $name) {
        f0: object(expression: $e0) { ... on Blob { byteSize isBinary isTruncated text } }
        f1: object(expression: $e1) { ... on Blob { byteSize isBinary isTruncated text } }
        f2: object(expression: $e2) { ... on Blob { byteSize isBinary isTruncated text } }
        f3: object(expression: $e3) { ... on Blob { byteSize isBinary isTruncated text } }
        f4: object(expression: $e4) { ... on Blob { byteSize isBinary isTruncated text } }
      }
    }`;
    const result = await octokit.graphql<{ repository: Record<string, unknown> }>(query, {
      owner,
      name: repo,
      e0: "main:src/index.js",
      e1: `${headSha}:missing.md`,
      e2: "main:assets/logo.bin",
      e3: "main:big.txt",
      e4: "no-such-ref:README.md",
    });
    expect(result.repository).toEqual({
      f0: {
        byteSize: 26,
        isBinary: false,
        isTruncated: false,
        text: "export const answer = 42;\n",
      },
      f1: null,
      f2: { byteSize: 7, isBinary: true, isTruncated: false, text: null },
      f3: { byteSize: 520_000, isBinary: false, isTruncated: true, text: "x".repeat(512_000) },
      f4: null,
    });
    expect(fake.requests.at(-1)).toMatchObject({
      api: "graphql",
      path: "/api/graphql",
      auth: "installation",
    });

    // Through octokit.graphql, as the app sends it (octokit maps /api/v3 to /api/graphql).
    const other = await statusOfGraphql(octokit.graphql("query { viewer { login } }"));
    expect(other).toEqual([{ message: "unsupported query in the stand-in" }]);
  });

  it("reports permissions with GitHub's legacy folding of maintain and triage", async () => {
    const octokit = installationOctokit(fake);
    const levels = ["admin", "maintain", "write", "triage", "read", "none"] as const;
    const legacy = {
      admin: "admin",
      maintain: "write",
      write: "write",
      triage: "read",
      read: "read",
      none: "none",
    };
    for (const level of levels) {
      fake.addUser(`user-${level}`, { permission: level });
      const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({
        owner,
        repo,
        username: `user-${level}`,
      });
      expect(data).toMatchObject({
        permission: legacy[level],
        role_name: level,
        user: { login: `user-${level}` },
      });
    }
    // The owner is admin of its own repository; a per-repo setting wins over the default.
    const { data: own } = await octokit.rest.repos.getCollaboratorPermissionLevel({
      owner,
      repo,
      username: owner,
    });
    expect(own.role_name).toBe("admin");
    fake.setPermission(`${owner}/${repo}`, "user-read", "write");
    const { data: raised } = await octokit.rest.repos.getCollaboratorPermissionLevel({
      owner,
      repo,
      username: "user-read",
    });
    expect(raised.permission).toBe("write");
    expect(
      (
        await statusOf(
          octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: "ghost" }),
        )
      ).status,
    ).toBe(404);
  });
});

describe("issues, comments and reactions", () => {
  it("creates, lists (paginated), reads and edits comments as the app's bot user", async () => {
    const octokit = installationOctokit(fake);
    const { data: issue } = await octokit.rest.issues.get({ owner, repo, issue_number: 7 });
    expect(issue).toMatchObject({
      number: 7,
      title: "Widgets break",
      user: { login: "reporter" },
      state: "open",
    });
    expect(issue.pull_request).toBeUndefined();

    const created = [];
    for (const body of ["one", "two", "three"]) {
      const { status, data } = await octokit.rest.issues.createComment({
        owner,
        repo,
        issue_number: 7,
        body,
      });
      expect(status).toBe(201);
      created.push(data);
    }
    expect(created[0]).toMatchObject({
      user: { login: "chant-bot[bot]", type: "Bot" },
      body: "one",
    });
    expect(created[0]!.html_url).toBe(
      `${fake.url}/${owner}/${repo}/issues/7#issuecomment-${created[0]!.id}`,
    );

    const first = await octokit.rest.issues.listComments({
      owner,
      repo,
      issue_number: 7,
      per_page: 2,
    });
    expect(first.data.map((c) => c.body)).toEqual(["one", "two"]);
    expect(first.headers.link).toContain('rel="next"');
    const all = await octokit.paginate(octokit.rest.issues.listComments, {
      owner,
      repo,
      issue_number: 7,
      per_page: 2,
    });
    expect(all.map((c) => c.body)).toEqual(["one", "two", "three"]);

    const { data: edited } = await octokit.rest.issues.updateComment({
      owner,
      repo,
      comment_id: created[1]!.id,
      body: "two, edited",
    });
    expect(edited.body).toBe("two, edited");
    const { data: read } = await octokit.rest.issues.getComment({
      owner,
      repo,
      comment_id: created[1]!.id,
    });
    expect(read.body).toBe("two, edited");
    expect(fake.comments(`${owner}/${repo}`, 7).map((c) => c.body)).toEqual([
      "one",
      "two, edited",
      "three",
    ]);

    const tooLong = await statusOf(
      octokit.rest.issues.createComment({ owner, repo, issue_number: 7, body: "x".repeat(65537) }),
    );
    expect(tooLong.status).toBe(422);
    expect(
      (
        await statusOf(
          octokit.rest.issues.createComment({ owner, repo, issue_number: 999, body: "x" }),
        )
      ).status,
    ).toBe(404);
  });

  it("keeps one reaction when the same user reacts twice (201, then 200)", async () => {
    const octokit = installationOctokit(fake);
    const comment = fake.addComment(`${owner}/${repo}`, 7, {
      user: "maintainer",
      body: "/chant implement",
    });
    const first = await octokit.rest.reactions.createForIssueComment({
      owner,
      repo,
      comment_id: comment.id,
      content: "eyes",
    });
    const second = await octokit.rest.reactions.createForIssueComment({
      owner,
      repo,
      comment_id: comment.id,
      content: "eyes",
    });
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.data.id).toBe(first.data.id);
    await octokit.rest.reactions.createForIssueComment({
      owner,
      repo,
      comment_id: comment.id,
      content: "rocket",
    });
    expect(
      fake.reactions(`${owner}/${repo}`, { comment: comment.id }).map((r) => r.content),
    ).toEqual(["eyes", "rocket"]);

    await octokit.rest.reactions.createForIssue({ owner, repo, issue_number: 7, content: "eyes" });
    await octokit.rest.reactions.createForIssue({ owner, repo, issue_number: 7, content: "eyes" });
    const { data: listed } = await octokit.rest.reactions.listForIssue({
      owner,
      repo,
      issue_number: 7,
    });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ content: "eyes", user: { login: "chant-bot[bot]" } });
  });
});

describe("pull requests", () => {
  it("opens one PR per head, refuses duplicates and unknown heads, and follows the branch", async () => {
    const octokit = installationOctokit(fake);
    const first = await fake.commit(`${owner}/${repo}`, {
      branch: "chant/2026-02-01-001-abc",
      files: { "src/index.js": "export const answer = 43;\n", "src/new.js": "export {};\n" },
      message: "chant(2026-02-01-001-abc): fix",
    });
    const { status, data: pr } = await octokit.rest.pulls.create({
      owner,
      repo,
      title: "Fix widgets",
      head: "chant/2026-02-01-001-abc",
      base: "main",
      body: "Fixes #7",
      draft: true,
    });
    expect(status).toBe(201);
    expect(pr).toMatchObject({
      state: "open",
      draft: true,
      user: { login: "chant-bot[bot]" },
      head: {
        ref: "chant/2026-02-01-001-abc",
        sha: first,
        repo: { full_name: `${owner}/${repo}`, clone_url: `${fake.url}/git/${owner}/${repo}.git` },
      },
      base: { ref: "main", sha: headSha },
      html_url: `${fake.url}/${owner}/${repo}/pull/${pr.number}`,
    });
    expect(pr.number).toBe(8); // issues and pull requests share numbers

    const duplicate = await statusOf(
      octokit.rest.pulls.create({
        owner,
        repo,
        title: "again",
        head: "chant/2026-02-01-001-abc",
        base: "main",
      }),
    );
    expect(duplicate.status).toBe(422);
    expect(duplicate.data).toMatchObject({
      message: "Validation Failed",
      errors: [{ message: `A pull request already exists for ${owner}:chant/2026-02-01-001-abc.` }],
    });
    expect(
      (
        await statusOf(
          octokit.rest.pulls.create({
            owner,
            repo,
            title: "x",
            head: "no-such-branch",
            base: "main",
          }),
        )
      ).status,
    ).toBe(422);

    const { data: byHead } = await octokit.rest.pulls.list({
      owner,
      repo,
      head: `${owner}:chant/2026-02-01-001-abc`,
      state: "all",
    });
    expect(byHead.map((p) => p.number)).toEqual([pr.number]);
    const { data: none } = await octokit.rest.pulls.list({
      owner,
      repo,
      head: `${owner}:other`,
      state: "all",
    });
    expect(none).toEqual([]);

    const { data: files } = await octokit.rest.pulls.listFiles({
      owner,
      repo,
      pull_number: pr.number,
    });
    expect(files.map((f) => [f.filename, f.status, f.additions, f.deletions])).toEqual([
      ["src/index.js", "modified", 1, 1],
      ["src/new.js", "added", 1, 0],
    ]);

    const { data: asIssue } = await octokit.rest.issues.get({
      owner,
      repo,
      issue_number: pr.number,
    });
    expect(asIssue.pull_request).toBeDefined();

    // A later commit on the branch is the head at the next read.
    const second = await fake.commit(`${owner}/${repo}`, {
      branch: "chant/2026-02-01-001-abc",
      files: { "src/new.js": "export const x = 1;\n" },
    });
    const { data: reread } = await octokit.rest.pulls.get({ owner, repo, pull_number: pr.number });
    expect(reread.head.sha).toBe(second);
    expect((await fake.pulls(`${owner}/${repo}`))[0]!.head.sha).toBe(second);

    const { data: updated } = await octokit.rest.pulls.update({
      owner,
      repo,
      pull_number: pr.number,
      title: "Fix widgets (v2)",
      body: "Fixes #7\n\nmore",
    });
    expect(updated.title).toBe("Fix widgets (v2)");

    const selfReview = await statusOf(
      octokit.rest.pulls.requestReviewers({
        owner,
        repo,
        pull_number: pr.number,
        reviewers: ["chant-bot[bot]"],
      }),
    );
    expect(selfReview.status).toBe(422);
    const { data: reviewed } = await octokit.rest.pulls.requestReviewers({
      owner,
      repo,
      pull_number: pr.number,
      reviewers: ["maintainer"],
    });
    expect(reviewed.requested_reviewers?.map((u) => u.login)).toEqual(["maintainer"]);
  });

  it("ignores a head filter without the owner, like GitHub", async () => {
    const octokit = installationOctokit(fake);
    const { data } = await octokit.rest.pulls.list({
      owner,
      repo,
      head: "chant/2026-02-01-001-abc",
      state: "all",
    });
    const { data: everything } = await octokit.rest.pulls.list({ owner, repo, state: "all" });
    expect(data.length).toBe(everything.length);
  });

  it("serves pull requests from forks, with the head readable in the base repository", async () => {
    const octokit = installationOctokit(fake);
    await fake.addRepo({ owner: "contributor", name: repo, forkOf: `${owner}/${repo}` });
    const sha = await fake.commit(`contributor/${repo}`, {
      branch: "fix",
      files: { "README.md": "# widgets, fixed\n" },
    });
    const { number } = await fake.addPullRequest(`${owner}/${repo}`, {
      title: "Fork fix",
      user: "contributor",
      head: "contributor:fix",
    });
    const { data: pr } = await octokit.rest.pulls.get({ owner, repo, pull_number: number });
    expect(pr.head).toMatchObject({
      ref: "fix",
      sha,
      label: "contributor:fix",
      repo: { full_name: `contributor/${repo}` },
    });
    const { data: file } = await octokit.rest.repos.getContent({
      owner,
      repo,
      path: "README.md",
      ref: sha,
    });
    if (Array.isArray(file) || file.type !== "file") throw new Error("expected a file");
    expect(Buffer.from(file.content, "base64").toString()).toBe("# widgets, fixed\n");
    // The app is not installed on the fork.
    expect((await statusOf(octokit.rest.repos.get({ owner: "contributor", repo }))).status).toBe(
      404,
    );
  });
});
