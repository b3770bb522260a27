import nock from "nock";
import { pino } from "pino";
import { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { GitHubForge } from "../../src/forge/github/github-forge.js";
import { type Octokit } from "../../src/forge/github/octokit.js";

const API = "https://api.github.com";
const REPO = "/repos/acme/kv-store";
const BRANCH = "chant/2026-01-29-001-abc";

function forge() {
  const octokit = new ProbotOctokit({
    auth: { token: "ghs_test" },
    retry: { enabled: false },
    throttle: { enabled: false },
    log: pino({ level: "silent" }),
  }) as unknown as Octokit;
  return new GitHubForge({ octokit, owner: "acme", name: "kv-store", appId: 12345 });
}

/** The plan's pull request, found by its head: a draft that awaited approval. */
function planPullRequest() {
  return nock(API)
    .get(`${REPO}/pulls`)
    .query({ head: `acme:${BRANCH}`, state: "open", per_page: "10" })
    .reply(200, [
      {
        number: 7,
        node_id: "PR_kwDOplan7",
        html_url: "https://github.com/acme/kv-store/pull/7",
        title: "Plan for #42: Fix issue #42: lost writes (awaits approval)",
        body: "Plan",
        draft: true,
      },
    ]);
}

describe("the fix lands on the plan's pull request (nock)", () => {
  it("retitles it and takes it out of draft when `pr.draft` is false", async () => {
    const mutations: unknown[] = [];
    planPullRequest()
      .patch(`${REPO}/pulls/7`, { title: "Fix issue #42: lost writes", body: "Fixes #42" })
      .reply(200, { number: 7 })
      .post("/graphql", (body: { query: string; variables: unknown }) => {
        mutations.push(body);
        return /markPullRequestReadyForReview/.test(body.query);
      })
      .reply(200, { data: { markPullRequestReadyForReview: { pullRequest: { isDraft: false } } } });
    const pr = await forge().ensurePullRequest({
      head: BRANCH,
      base: "main",
      title: "Fix issue #42: lost writes",
      body: "Fixes #42",
      draft: false,
    });
    expect(pr).toEqual({
      number: 7,
      url: "https://github.com/acme/kv-store/pull/7",
      created: false,
    });
    expect(mutations).toEqual([expect.objectContaining({ variables: { id: "PR_kwDOplan7" } })]);
  });

  it("leaves it a draft when `pr.draft` is true (no GraphQL request)", async () => {
    planPullRequest()
      .patch(`${REPO}/pulls/7`, { title: "Fix issue #42: lost writes", body: "Fixes #42" })
      .reply(200, { number: 7 });
    const pr = await forge().ensurePullRequest({
      head: BRANCH,
      base: "main",
      title: "Fix issue #42: lost writes",
      body: "Fixes #42",
      draft: true,
    });
    expect(pr.number).toBe(7);
  });
});
