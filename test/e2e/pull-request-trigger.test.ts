import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readStatusState } from "../../src/domain/status.js";
import { enqueueImplement } from "../../src/queue/enqueue.js";
import { finished, startStack, type Stack } from "../support/e2e-stack.js";
import { FIXTURE_REPOS } from "../support/memory-files.js";
import { newDeliveryId } from "../support/webhooks.js";

/**
 * `/chant implement` on a pull request (the research PR): rule 4 of ARCHITECTURE.md's "Finding the research chain".
 * The research spec exists only on the PR's head branch, labelled issue-42.
 */
let stack: Stack;
const RESEARCH = ".chant/specs/2026-01-28-001-res.md";
const research = readFileSync(join(FIXTURE_REPOS, "kv-store", RESEARCH), "utf8");

beforeEach(async () => {
  stack = await startStack();
  // On the default branch the spec is not research yet: the research arrives with the pull request.
  await stack.fake.commit("acme/kv-store", {
    branch: "main",
    files: { [RESEARCH]: "---\ntype: task\nstatus: pending\n---\n# Look into issue 42 later\n" },
    message: "no research yet",
  });
});
afterEach(async () => stack.stop());

function enqueueOnPr(number: number) {
  return enqueueImplement(stack.queues, {
    installationId: stack.fake.installationId,
    repo: { id: stack.repo.id, owner: "acme", name: "kv-store" },
    target: number,
    pullRequest: number,
    force: false,
    requestedBy: "alice",
    trigger: "comment",
    deliveryId: newDeliveryId(),
  });
}

// Whole flows (clone, agent, push, checks) on 2 CPUs shared with another test file:
// about 5 s each alone, over 20 s under load. Not a timing test.
describe("triggered on a pull request", { timeout: 60_000 }, () => {
  it("same repository: finds the research the PR adds, takes the issue from its label, fixes #42", async () => {
    await stack.fake.commit("acme/kv-store", {
      branch: "research-42",
      from: "main",
      files: { [RESEARCH]: research },
    });
    const pr = await stack.fake.addPullRequest("acme/kv-store", {
      title: "Research for #42",
      body: "Root cause analysis.",
      user: "alice",
      head: "research-42",
    });
    const { jobId } = await enqueueOnPr(pr.number);
    await stack.startWorkers();
    const job = await finished(stack.queues.implement, jobId);
    expect(job.returnvalue, job.failedReason).toMatchObject({ kind: "succeeded" });
    const fix = (await stack.fake.pulls("acme/kv-store")).find((p) => p.number !== pr.number)!;
    expect(fix.body).toMatch(/^Fixes #42\n/);
    const state = readStatusState(stack.fake.comments("acme/kv-store", pr.number)[0]!.body)!;
    expect(state.phase).toBe("succeeded");
    expect(state.details[0]).toBe(
      "Research spec `2026-01-28-001-res` found (changed by the pull request).",
    );
  });

  it("a fork's pull request: its specs are not read (the base's default branch is), and the comment says so", async () => {
    // Nothing of issue 42's research chain on the default branch: no reproduction spec, no
    // RCA document (either would be found there by its label or its name).
    await stack.fake.commit("acme/kv-store", {
      branch: "main",
      files: {
        ".chant/specs/2026-01-27-002-rep.md": null,
        ".chant/research/issue-42-rca.md": null,
      },
      message: "no research chain for 42 here",
    });
    await stack.fake.addRepo({ owner: "mallory", name: "kv-store", forkOf: "acme/kv-store" });
    await stack.fake.commit("mallory/kv-store", {
      branch: "research-42",
      from: "main",
      files: { [RESEARCH]: research },
    });
    const pr = await stack.fake.addPullRequest("acme/kv-store", {
      title: "Research",
      body: "Fixes #42",
      user: "mallory",
      head: "mallory:research-42",
    });
    const { jobId } = await enqueueOnPr(pr.number);
    await stack.startWorkers();
    const job = await finished(stack.queues.implement, jobId);
    expect(job.returnvalue).toMatchObject({ kind: "stopped", phase: "refused" });
    const state = readStatusState(stack.fake.comments("acme/kv-store", pr.number)[0]!.body)!;
    expect(state.headline).toBe("No research spec found for issue #42.");
    expect(state.details.join("\n")).toMatch(
      /comes from a fork: the specs it changes are not read/,
    );
    expect(
      (await stack.fake.pulls("acme/kv-store")).filter((p) => p.number !== pr.number),
    ).toHaveLength(0);
  });
});
