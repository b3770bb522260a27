import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMetrics } from "../../src/observability/metrics.js";
import { readStatusState } from "../../src/domain/status.js";
import { enqueueImplement } from "../../src/queue/enqueue.js";
import { parseSpec } from "../../src/chant-format/parse-spec.js";
import { drained, finished, startStack, type Stack } from "../support/e2e-stack.js";
import { runGit } from "../support/fake-github/index.js";
import { newDeliveryId } from "../support/webhooks.js";

let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => stack.stop());

function enqueue() {
  return enqueueImplement(stack.queues, {
    installationId: stack.fake.installationId,
    repo: { id: stack.repo.id, owner: "acme", name: "kv-store" },
    target: 42,
    issueNumber: 42,
    force: false,
    requestedBy: "alice",
    trigger: "label",
    deliveryId: newDeliveryId(),
  });
}

// Whole flows (clone, agent, push, checks) on 2 CPUs shared with another test file:
// about 5 s each alone, over 20 s under load. Not a timing test.
describe("outcomes on GitHub (stand-in)", { timeout: 60_000 }, () => {
  it("research was wrong: no fix pushed, a draft 'Re-research issue #42' PR with the follow-up spec, the notes quoted", async () => {
    const { jobId } = await enqueue();
    await stack.startWorkers("needs-research");
    const job = await finished(stack.queues.implement, jobId);
    expect(job.returnvalue).toMatchObject({ kind: "needs_research" });
    const pulls = await stack.fake.pulls("acme/kv-store");
    expect(pulls).toHaveLength(1);
    expect(pulls[0]!.draft).toBe(true);
    expect(pulls[0]!.title).toMatch(/^Re-research issue #42: /);
    expect(pulls[0]!.body).toMatch(/^Refs #42\n/);
    const diff = (
      await runGit([
        "--git-dir",
        stack.repo.gitDir,
        "diff",
        "--name-only",
        `main..${pulls[0]!.head.ref}`,
      ])
    ).stdout.toString();
    expect(diff).not.toContain("src/store.js");
    const research = diff
      .split("\n")
      .find(
        (p) => p.startsWith(".chant/specs/") && !p.endsWith(`${pulls[0]!.head.ref.slice(6)}.md`),
      )!;
    const spec = parseSpec(
      research,
      (
        await runGit(["--git-dir", stack.repo.gitDir, "show", `${pulls[0]!.head.ref}:${research}`])
      ).stdout.toString(),
    );
    expect(spec.frontmatter).toMatchObject({
      type: "research",
      prompt: "research",
      status: "pending",
    });
    const state = readStatusState(stack.fake.comments("acme/kv-store", 42)[0]!.body)!;
    expect(state.phase).toBe("needs_research");
    expect(state.details.join("\n")).toContain(
      "> Serializing writes with a promise chain does not help",
    );
    // No checks for a PR that holds no fix.
    expect(stack.fake.checkRuns("acme/kv-store")).toHaveLength(0);
    expect(stack.fake.reactions("acme/kv-store", { issue: 42 }).map((r) => r.content)).toContain(
      "confused",
    );
  });

  it("a processed job moves the metrics: job and step durations, agent runs, check conclusions", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const { jobId } = await enqueue();
    await stack.startWorkers("fix", undefined, metrics);
    await finished(stack.queues.implement, jobId);
    await drained(stack.queues.checks);
    // The checks job reports its conclusions as it completes them.
    for (let i = 0; i < 50 && !(await metrics.text()).includes('check="chant/format"'); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const text = await metrics.text();
    expect(text).toMatch(
      /chant_bot_job_duration_seconds_count\{queue="implement",outcome="completed"\} 1/,
    );
    expect(text).toMatch(
      /chant_bot_step_duration_seconds_count\{step="run_agent",outcome="ok"\} 1/,
    );
    expect(text).toMatch(/chant_bot_agent_runs_total\{agent="command",outcome="done"\} 1/);
    expect(text).toMatch(
      /chant_bot_check_conclusions_total\{check="chant\/reproduction",conclusion="success"\} 1/,
    );
  });
});
