import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { verify } from "@octokit/webhooks-methods";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeGitHub } from "../support/fake-github/index.js";
import { installationOctokit } from "./octokit.js";

let fake: FakeGitHub;
let receiver: Server;
let receiverUrl: string;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  fake = new FakeGitHub();
  await fake.start();
  await fake.addRepo({
    owner: "acme",
    name: "hooks",
    ownerType: "Organization",
    files: { "a.txt": "a\n" },
  });
  fake.addUser("maintainer", { permission: "write" });
  fake.addIssue("acme/hooks", {
    number: 3,
    title: "Bug",
    body: "broken",
    user: "reporter",
    labels: ["bug"],
  });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(202, { "content-type": "text/plain" });
      res.end("queued");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/github/webhooks`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await fake.stop();
});

describe("webhook delivery", () => {
  it("POSTs the raw JSON with GitHub's headers and a valid X-Hub-Signature-256", async () => {
    const payload = fake.payloads.issuesLabeled({
      repo: "acme/hooks",
      issue: 3,
      label: "chant:implement",
      sender: "maintainer",
    });
    const result = await fake.deliver(receiverUrl, "issues", payload, { id: "delivery-1" });
    expect(result).toMatchObject({
      id: "delivery-1",
      status: 202,
      body: "queued",
      timedOut: false,
    });
    const { headers, body } = received.at(-1)!;
    expect(headers).toMatchObject({
      "x-github-event": "issues",
      "x-github-delivery": "delivery-1",
      "content-type": "application/json",
    });
    expect(await verify(fake.webhookSecret, body, String(headers["x-hub-signature-256"]))).toBe(
      true,
    );
    expect(await verify("another secret", body, String(headers["x-hub-signature-256"]))).toBe(
      false,
    );
    expect(JSON.parse(body)).toEqual(payload);

    const generated = await fake.deliver(receiverUrl, "issues", payload);
    expect(generated.id).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("payload builders", () => {
  it("issues.labeled matches the stand-in's state", async () => {
    const payload = fake.payloads.issuesLabeled({
      repo: "acme/hooks",
      issue: 3,
      label: "chant:implement",
      sender: "maintainer",
    });
    const octokit = installationOctokit(fake);
    const { data: repo } = await octokit.rest.repos.get({ owner: "acme", repo: "hooks" });
    const { data: issue } = await octokit.rest.issues.get({
      owner: "acme",
      repo: "hooks",
      issue_number: 3,
    });
    expect(payload).toMatchObject({
      action: "labeled",
      label: { name: "chant:implement" },
      issue: { id: issue.id, number: 3, title: "Bug", user: { login: "reporter" }, assignee: null },
      repository: {
        id: repo.id,
        full_name: "acme/hooks",
        owner: { login: "acme" },
        clone_url: repo.clone_url,
      },
      installation: { id: fake.installationId },
      organization: { login: "acme" },
      sender: { login: "maintainer", type: "User" },
    });
    expect(issue.labels.map((l) => (typeof l === "string" ? l : l.name))).toEqual([
      "bug",
      "chant:implement",
    ]);
    expect(JSON.stringify(payload)).not.toContain("api.github.com");
    expect(JSON.stringify(payload)).not.toContain("Codertocat/Hello-World");
  });

  it("issue_comment.created on an issue and on a pull request", async () => {
    const onIssue = fake.payloads.issueCommentCreated({
      repo: "acme/hooks",
      issue: 3,
      body: "/chant implement",
      user: "maintainer",
    });
    const comment = onIssue.comment as { id: number; body: string; user: { login: string } };
    expect(comment).toMatchObject({ body: "/chant implement", user: { login: "maintainer" } });
    expect(fake.comments("acme/hooks", 3).map((c) => c.id)).toContain(comment.id);
    expect((onIssue.issue as Record<string, unknown>).pull_request).toBeUndefined();

    await fake.commit("acme/hooks", { branch: "research", files: { "r.md": "research\n" } });
    const { number } = await fake.addPullRequest("acme/hooks", {
      title: "Research",
      user: "maintainer",
      head: "research",
    });
    const onPull = fake.payloads.issueCommentCreated({
      repo: "acme/hooks",
      issue: number,
      body: "/chant implement",
      user: "maintainer",
    });
    expect(onPull.issue).toMatchObject({
      number,
      pull_request: { url: `${fake.apiUrl}/repos/acme/hooks/pulls/${number}` },
    });
  });

  it("check_run.rerequested, check_suite.rerequested and pull_request.synchronize carry the real shas", async () => {
    const octokit = installationOctokit(fake);
    const before = await fake.commit("acme/hooks", {
      branch: "chant/x",
      files: { "fix.js": "1\n" },
    });
    const { number } = await fake.addPullRequest("acme/hooks", {
      title: "Fix",
      user: "chant-bot[bot]",
      head: "chant/x",
    });
    const after = await fake.commit("acme/hooks", {
      branch: "chant/x",
      files: { "fix.js": "2\n" },
    });

    const sync = await fake.payloads.pullRequestSynchronize({
      repo: "acme/hooks",
      number,
      sender: "maintainer",
    });
    expect(sync).toMatchObject({
      action: "synchronize",
      number,
      before,
      after,
      pull_request: { number, head: { sha: after, ref: "chant/x" } },
    });

    const { data: run } = await octokit.rest.checks.create({
      owner: "acme",
      repo: "hooks",
      name: "chant/tests",
      head_sha: after,
    });
    const rerun = await fake.payloads.checkRunRerequested({
      repo: "acme/hooks",
      checkRunId: run.id,
      sender: "maintainer",
    });
    expect(rerun).toMatchObject({
      action: "rerequested",
      check_run: {
        id: run.id,
        name: "chant/tests",
        head_sha: after,
        app: { id: fake.appId, slug: "chant-bot" },
        check_suite: { head_sha: after, head_branch: "chant/x" },
        pull_requests: [{ number, head: { sha: after, ref: "chant/x" } }],
      },
    });

    const suite = await fake.payloads.checkSuiteRerequested({
      repo: "acme/hooks",
      headSha: after,
      sender: "maintainer",
    });
    expect(suite).toMatchObject({
      action: "rerequested",
      check_suite: {
        head_sha: after,
        before,
        after,
        head_branch: "chant/x",
        head_commit: { id: after },
        latest_check_runs_count: 1,
      },
    });
  });
});
