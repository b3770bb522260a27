import nock from "nock";
import { pino } from "pino";
import { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import type { Annotation } from "../../src/domain/checks.js";
import { GitHubForge } from "../../src/forge/github/github-forge.js";
import { type Octokit } from "../../src/forge/github/octokit.js";

const API = "https://api.github.com";
const REPO = "/repos/acme/kv-store";
const SHA = "f".repeat(40);

function forge() {
  const octokit = new ProbotOctokit({
    auth: { token: "ghs_test" },
    retry: { enabled: false },
    throttle: { enabled: false },
    log: pino({ level: "silent" }),
  }) as unknown as Octokit;
  return new GitHubForge({ octokit, owner: "acme", name: "kv-store", appId: 12345 });
}

function annotations(n: number): Annotation[] {
  return Array.from({ length: n }, (_, i) => ({
    path: "src/store.js",
    start_line: i + 1,
    end_line: i + 1,
    annotation_level: "warning" as const,
    message: `problem ${i + 1}`,
  }));
}

describe("check runs through the GitHub forge (nock)", () => {
  it("lists our runs of a commit once, creates a run in its first state, then updates the same run", async () => {
    const created: unknown[] = [];
    nock(API)
      // ONE listing of the commit's runs (all names, our app only), whatever the name asked.
      .get(`${REPO}/commits/${SHA}/check-runs`)
      .query({ filter: "latest", per_page: "100", app_id: "12345" })
      .reply(200, {
        total_count: 1,
        check_runs: [{ id: 41, name: "chant/lint", head_sha: SHA }],
      })
      .post(`${REPO}/check-runs`, (body) => (created.push(body), true))
      .reply(201, { id: 77 })
      // The forge remembers the run it made: no second look-up.
      .patch(`${REPO}/check-runs/77`, { status: "in_progress", started_at: "2026-01-01T00:00:00Z" })
      .reply(200, { id: 77 })
      // A run the listing found is updated, not made again.
      .patch(`${REPO}/check-runs/41`, { status: "in_progress" })
      .reply(200, { id: 41 })
      .patch(`${REPO}/check-runs/77`, (body) => {
        expect(body).toMatchObject({
          status: "completed",
          conclusion: "success",
          output: { title: "Tests passed", summary: "ok" },
        });
        return true;
      })
      .reply(200, { id: 77 });
    const f = forge();
    await f.ensureCheckRun(SHA, "chant/tests", { status: "queued" });
    await f.ensureCheckRun(SHA, "chant/tests", {
      status: "in_progress",
      startedAt: "2026-01-01T00:00:00Z",
    });
    await f.ensureCheckRun(SHA, "chant/tests", {
      status: "completed",
      conclusion: "success",
      title: "Tests passed",
      summary: "ok",
    });
    await f.ensureCheckRun(SHA, "chant/lint", { status: "in_progress" });
    expect(created).toEqual([{ name: "chant/tests", head_sha: SHA, status: "queued" }]);
  });

  it("sends 120 annotations as 50 + 50 + 20 (GitHub's limit per request)", async () => {
    const batches: number[] = [];
    const count = (body: { output?: { annotations?: unknown[] } }) => (
      batches.push(body.output?.annotations?.length ?? 0),
      true
    );
    nock(API)
      .get(`${REPO}/commits/${SHA}/check-runs`)
      .query(true)
      .reply(200, { total_count: 1, check_runs: [{ id: 5, name: "chant/lint", head_sha: SHA }] })
      .patch(`${REPO}/check-runs/5`, count)
      .reply(200, {})
      .patch(`${REPO}/check-runs/5`, count)
      .reply(200, {})
      .patch(`${REPO}/check-runs/5`, count)
      .reply(200, {});
    await forge().ensureCheckRun(SHA, "chant/lint", {
      status: "completed",
      conclusion: "failure",
      title: "120 lint problems",
      summary: "…",
      annotations: annotations(120),
    });
    expect(batches).toEqual([50, 50, 20]);
  });

  it("cuts summary and text to GitHub's 65,535 BYTES, saying so", async () => {
    let sent: { output: { summary: string; text: string } } | undefined;
    nock(API)
      .get(`${REPO}/commits/${SHA}/check-runs`)
      .query(true)
      .reply(200, { total_count: 0, check_runs: [] })
      .post(`${REPO}/check-runs`, (body) => ((sent = body), true))
      .reply(201, { id: 9 });
    const wide = "é".repeat(40_000); // 80,000 bytes, 40,000 characters
    await forge().ensureCheckRun(SHA, "chant/tests", {
      status: "completed",
      conclusion: "failure",
      title: "t",
      summary: wide,
      text: "x".repeat(70_000),
    });
    expect(Buffer.byteLength(sent!.output.summary)).toBeLessThanOrEqual(65_535);
    expect(Buffer.byteLength(sent!.output.text)).toBeLessThanOrEqual(65_535);
    expect(sent!.output.summary.endsWith("… (cut to GitHub's limit of 65,535 bytes)")).toBe(true);
  });

  it("never touches another app's run of the same name", async () => {
    // The listing is filtered by our app id; an empty answer means: create our own.
    nock(API)
      .get(`${REPO}/commits/${SHA}/check-runs`)
      .query((q) => q.app_id === "12345")
      .reply(200, { total_count: 0, check_runs: [] })
      .post(`${REPO}/check-runs`)
      .reply(201, { id: 10 });
    await forge().ensureCheckRun(SHA, "chant/format", { status: "queued" });
  });
});
