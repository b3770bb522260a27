/**
 * The status comment is adopted (read, then edited) only when GitHub says
 * THIS App wrote it (`performed_via_github_app.id`): the marker alone proves
 * nothing, since anyone (a person, another bot, another App) can paste it.
 */
import nock from "nock";
import { ProbotOctokit } from "probot";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GitHubForge } from "../../src/forge/github/github-forge.js";
import { type Octokit } from "../../src/forge/github/octokit.js";
import {
  freshStatus,
  readStatusState,
  renderStatusComment,
  withNotice,
} from "../../src/domain/status.js";
import { installationOctokit } from "../fake-github/octokit.js";
import { FakeGitHub } from "../support/fake-github/index.js";

const forged = renderStatusComment(
  freshStatus("succeeded", "all good", { details: ["planted by someone else"] }),
);

describe("findStatusComment, against GitHub's answers (nock)", () => {
  const api = "https://api.github.com";
  const path = "/repos/octo-org/kv-store/issues";
  afterEach(() => nock.cleanAll());

  function forge(appId: number | undefined) {
    const octokit = new ProbotOctokit({
      auth: { token: "ghs_test" },
      retry: { enabled: false },
      throttle: { enabled: false },
    }) as unknown as Octokit;
    return new GitHubForge({ octokit, owner: "octo-org", name: "kv-store", appId });
  }

  function existing(via: { id: number; slug: string } | null, type = "Bot") {
    return [
      {
        id: 77,
        body: forged,
        html_url: "u77",
        user: { login: via ? `${via.slug}[bot]` : "mallory", type },
        performed_via_github_app: via,
      },
    ];
  }

  it("does not edit another App's comment carrying our marker: it writes its own", async () => {
    const scope = nock(api)
      .get(`${path}/42/comments`)
      .query(true)
      .reply(200, existing({ id: 999, slug: "other-app" }));
    let created = "";
    scope
      .post(`${path}/42/comments`, (body: { body: string }) => ((created = body.body), true))
      .reply(201, { id: 78, html_url: "u78" });
    // Any PATCH of comment 77 would be unmatched and fail the request.
    await forge(12345).ensureStatusComment(42, (previous) => withNotice(previous, "@alice: hello"));
    expect(scope.isDone()).toBe(true);
    // Nothing of the planted state was taken over either.
    expect(readStatusState(created)?.headline).not.toBe("all good");
    expect(created).not.toContain("planted by someone else");
  });

  it("does not edit a bot user's comment that no App made, nor a person's", async () => {
    for (const [via, type] of [
      [null, "Bot"],
      [null, "User"],
    ] as const) {
      const scope = nock(api)
        .get(`${path}/42/comments`)
        .query(true)
        .reply(200, existing(via, type));
      scope.post(`${path}/42/comments`).reply(201, { id: 78, html_url: "u78" });
      await forge(12345).ensureStatusComment(42, (previous) => withNotice(previous, "hi"));
      expect(scope.isDone()).toBe(true);
    }
  });

  it("edits its own (performed_via_github_app.id is our App id)", async () => {
    const scope = nock(api)
      .get(`${path}/42/comments`)
      .query(true)
      .reply(200, existing({ id: 12345, slug: "chant-bot" }));
    scope.patch(`${path}/comments/77`).reply(200, { id: 77, html_url: "u77" });
    await forge(12345).ensureStatusComment(42, (previous) => withNotice(previous, "hi"));
    expect(scope.isDone()).toBe(true);
  });

  it("without an App id (tools only), still never adopts a person's comment", async () => {
    const scope = nock(api)
      .get(`${path}/42/comments`)
      .query(true)
      .reply(200, existing(null, "User"));
    scope.post(`${path}/42/comments`).reply(201, { id: 78, html_url: "u78" });
    await forge(undefined).ensureStatusComment(42, (previous) => withNotice(previous, "hi"));
    expect(scope.isDone()).toBe(true);
  });
});

describe("findStatusComment, against the GitHub stand-in", () => {
  let fake: FakeGitHub;
  beforeAll(async () => {
    fake = new FakeGitHub();
    await fake.start();
    await fake.addRepo({ owner: "acme", name: "kv", files: { "README.md": "kv\n" } });
    fake.addIssue("acme/kv", { number: 42, title: "Bug", user: "reporter" });
    fake.addUser("lookalike[bot]", { type: "Bot" });
  });
  afterAll(async () => {
    await fake.stop();
  });

  const forge = () =>
    new GitHubForge({
      octokit: installationOctokit(fake) as unknown as Octokit,
      owner: "acme",
      name: "kv",
      appId: fake.appId,
    });

  it("comments written with the installation token name the App, and a fresh forge finds its own", async () => {
    // A bot that is not this App plants a comment with the marker first.
    fake.payloads.issueCommentCreated({
      repo: "acme/kv",
      issue: 42,
      body: forged,
      user: "lookalike[bot]",
    });
    await forge().ensureStatusComment(42, () => freshStatus("queued", "queued"));
    await forge().ensureStatusComment(42, (previous) => withNotice(previous, "second"));

    const comments = fake.comments("acme/kv", 42) as unknown as {
      body: string;
      user: { login: string };
      performed_via_github_app: { id: number } | null;
    }[];
    expect(comments).toHaveLength(2);
    const [planted, ours] = comments;
    expect(planted!.body).toBe(forged); // never edited
    expect(planted!.performed_via_github_app).toBeNull();
    expect(ours!.user.login).toBe(fake.botLogin);
    expect(ours!.performed_via_github_app?.id).toBe(fake.appId);
    expect(readStatusState(ours!.body)).toMatchObject({ phase: "queued", notice: "second" });
  });
});
