import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  FakeGitHub,
  primaryRateLimit,
  primaryRateLimitOnHit,
  secondaryRateLimit,
} from "../support/fake-github/index.js";
import { installationOctokit, statusOf } from "./octokit.js";

const owner = "acme";
const repo = "faults";

let fake: FakeGitHub;

beforeAll(async () => {
  fake = new FakeGitHub();
  await fake.start();
  await fake.addRepo({ owner, name: repo, files: { "README.md": "hi\n" } });
});

afterAll(async () => {
  await fake.stop();
});

beforeEach(() => {
  fake.clearFaults();
  fake.resetRequests();
});

describe("failNext", () => {
  it("answers exactly `times` matching requests with the fault, then serves again", async () => {
    const octokit = installationOctokit(fake);
    const fault = fake.failNext("GET /repos/{owner}/{repo}", {
      ...secondaryRateLimit(1, 429),
      times: 2,
    });
    for (let i = 0; i < 2; i++) {
      const failed = await statusOf(octokit.rest.repos.get({ owner, repo }));
      expect(failed.status).toBe(429);
      expect(failed.headers["retry-after"]).toBe("1");
      expect(failed.data).toMatchObject({
        message: expect.stringContaining("secondary rate limit"),
      });
    }
    expect((await octokit.rest.repos.get({ owner, repo })).status).toBe(200);
    expect(fault.hits).toBe(2);
    expect(fault.remaining).toBe(0);
    const served = fake.requests.filter((r) => r.path === `/repos/${owner}/${repo}`);
    expect(served.map((r) => [r.status, r.injected])).toEqual([
      [429, true],
      [429, true],
      [200, false],
    ]);
    // Other paths were never affected.
    expect((await octokit.rest.repos.getBranch({ owner, repo, branch: "main" })).status).toBe(200);
  });

  it("is understood by Probot's throttling: a secondary limit is waited out and retried", async () => {
    const warnings: number[] = [];
    const octokit = installationOctokit(fake, {
      throttle: {
        // Seconds become milliseconds here, to keep the test fast.
        retryAfterBaseValue: 1,
        onSecondaryRateLimit: (retryAfter: number) => (warnings.push(retryAfter), true),
        onRateLimit: () => false,
      },
    });
    fake.failNext("GET /repos/{owner}/{repo}/contents/*", { ...secondaryRateLimit(2), times: 1 });
    const { data } = await octokit.rest.repos.getContent({ owner, repo, path: "README.md" });
    expect(Array.isArray(data)).toBe(false);
    expect(warnings).toEqual([2]);
  });

  it("is understood by Probot's throttling: the primary limit waits for x-ratelimit-reset", async () => {
    const waits: number[] = [];
    const octokit = installationOctokit(fake, {
      throttle: {
        retryAfterBaseValue: 1,
        onSecondaryRateLimit: () => false,
        onRateLimit: (retryAfter: number) => (waits.push(retryAfter), true),
      },
    });
    fake.failNext(/^GET \/repos\/acme\/faults$/, primaryRateLimit(30));
    await octokit.rest.repos.get({ owner, repo });
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(30);
    expect(waits[0]).toBeLessThanOrEqual(32);
  });

  it("outages: 500 and 502 are retried by octokit's retry plugin", async () => {
    const octokit = installationOctokit(fake, { retry: { retryAfterBaseValue: 1 } });
    fake.failNext((r) => r.method === "POST" && r.path.endsWith("/comments"), { status: 500 });
    fake.failNext("POST /repos/{owner}/{repo}/issues/{n}/comments", { status: 502 });
    fake.addIssue(`${owner}/${repo}`, { number: 1, title: "t", user: "someone" });
    const { status } = await octokit.rest.issues.createComment({
      owner,
      repo,
      issue_number: 1,
      body: "hello",
    });
    expect(status).toBe(201);
    const posts = fake.requests.filter((r) => r.method === "POST" && r.path.endsWith("/comments"));
    expect(posts.map((r) => r.status)).toEqual([500, 502, 201]);
    expect(fake.comments(`${owner}/${repo}`, 1)).toHaveLength(1);
  });

  it("records every request with the credential that made it", async () => {
    const octokit = installationOctokit(fake);
    await octokit.rest.repos.get({ owner, repo });
    const [tokenRequest, repoRequest] = fake.requests;
    expect(tokenRequest).toMatchObject({
      method: "POST",
      path: `/app/installations/${fake.installationId}/access_tokens`,
      api: "rest",
      auth: "app",
      status: 201,
    });
    expect(repoRequest).toMatchObject({
      method: "GET",
      path: `/repos/${owner}/${repo}`,
      auth: "installation",
      installationId: fake.installationId,
      status: 200,
      routed: true,
    });
    expect(repoRequest!.token).toMatch(/^ghs_/);
    await statusOf(octokit.request("GET /repos/{owner}/{repo}/stargazers", { owner, repo }));
    expect(fake.requests.at(-1)).toMatchObject({ status: 404, routed: false });
    fake.resetRequests();
    expect(fake.requests).toEqual([]);
  });
});

describe("holdNext", () => {
  it("keeps a request waiting until released, then serves it", async () => {
    const octokit = installationOctokit(fake);
    await octokit.rest.repos.get({ owner, repo }); // the token, before the hold
    const hold = fake.holdNext("GET /repos/{owner}/{repo}");
    let answered = false;
    const pending = octokit.rest.repos.get({ owner, repo }).then((r) => ((answered = true), r));
    await hold.reached;
    await new Promise((r) => setTimeout(r, 100));
    expect(answered).toBe(false);
    hold.release();
    expect((await pending).status).toBe(200);
    expect(hold.hits).toBe(1);
    // Only `times` requests are held.
    expect((await octokit.rest.repos.get({ owner, repo })).status).toBe(200);
  });

  it('with when: "response", serves the request at once and holds only the answer', async () => {
    const octokit = installationOctokit(fake);
    fake.addIssue(`${owner}/${repo}`, { number: 2, title: "t", user: "someone" });
    const hold = fake.holdNext("POST /repos/{owner}/{repo}/issues/{n}/comments", {
      when: "response",
    });
    const pending = octokit.rest.issues.createComment({ owner, repo, issue_number: 2, body: "x" });
    await hold.reached;
    await expect.poll(() => fake.comments(`${owner}/${repo}`, 2).length).toBe(1);
    expect(fake.requests.at(-1)!.status).toBe(0); // not answered yet
    hold.release();
    expect((await pending).status).toBe(201);
  });
});

describe("primaryRateLimitOnHit", () => {
  it("counts the reset from the moment the request is answered", async () => {
    const octokit = installationOctokit(fake);
    fake.failNext("GET /repos/{owner}/{repo}", primaryRateLimitOnHit(5));
    await new Promise((r) => setTimeout(r, 1100));
    const failed = await statusOf(octokit.rest.repos.get({ owner, repo }));
    expect(failed.status).toBe(403);
    const reset = Number(failed.headers["x-ratelimit-reset"]) * 1000;
    expect(reset - Date.now()).toBeGreaterThan(4000);
    expect(failed.data).toMatchObject({ message: expect.stringContaining("API rate limit") });
  });
});
