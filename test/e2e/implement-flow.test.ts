import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { agentFromEnv } from "../../src/agents/agent-from-env.js";
import { noMutex } from "../../src/forge/status-comment-store.js";
import { githubForges } from "../../src/worker/forge-factory.js";
import { parseSpec } from "../../src/chant-format/parse-spec.js";
import { readStatusState } from "../../src/domain/status.js";
import { enqueueImplement } from "../../src/queue/enqueue.js";
import { processImplementJob } from "../../src/worker/process-implement-job.js";
import { drained, finished, startStack, type Stack } from "../support/e2e-stack.js";
import { runGit } from "../support/fake-github/index.js";
import { newDeliveryId } from "../support/webhooks.js";
import { testSandbox } from "../support/sandbox.js";
import { RedisStatusCommentStore } from "../../src/queue/redis-status-store.js";

let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => stack.stop());

function implementJob() {
  return {
    installationId: stack.fake.installationId,
    repo: { id: stack.repo.id, owner: "acme", name: "kv-store" },
    target: 42,
    issueNumber: 42,
    force: false,
    requestedBy: "alice",
    trigger: "label" as const,
    deliveryId: newDeliveryId(),
  };
}

async function fileOnBranch(branch: string, path: string): Promise<string> {
  const result = await runGit([
    "--git-dir",
    stack.repo.gitDir,
    "show",
    `refs/heads/${branch}:${path}`,
  ]);
  return result.stdout.toString("utf8");
}

// Whole flows (clone, agent, push, checks) on 2 CPUs shared with another test file:
// about 5 s each alone, over 20 s under load. Not a timing test.
describe(
  "the worker, end to end (real Redis, GitHub stand-in, real git, scripted agent)",
  { timeout: 60_000 },
  () => {
    it("labels -> one branch with the completed spec, one draft PR, four check runs, one status comment", async () => {
      const { jobId } = await enqueueImplement(stack.queues, implementJob());
      await stack.startWorkers();
      const job = await finished(stack.queues.implement, jobId);
      expect(job.returnvalue, job.failedReason).toMatchObject({ kind: "succeeded" });
      const { specId, branch, headSha, pullRequest } = job.returnvalue as unknown as {
        specId: string;
        branch: string;
        headSha: string;
        pullRequest: { number: number };
      };
      expect(branch).toBe(`chant/${specId}`);

      // The branch: the spec completed as chant does it, and the real fix.
      const specPath = `.chant/specs/${specId}.md`;
      const spec = parseSpec(specPath, await fileOnBranch(branch, specPath));
      expect(spec.frontmatter).toMatchObject({
        type: "code",
        status: "completed",
        prompt: "implement",
        labels: ["fix", "issue-42"],
        informed_by: [".chant/specs/2026-01-28-001-res.md", ".chant/research/issue-42-rca.md"],
        target_files: ["src/store.js", "test/store.test.js"],
      });
      expect(spec.frontmatter.completed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(spec.frontmatter.commits?.length).toBeGreaterThan(0);
      expect(await fileOnBranch(branch, "src/store.js")).toContain(
        "this.writes = write.catch(() => {});",
      );
      const log = (
        await runGit(["--git-dir", stack.repo.gitDir, "log", "--format=%s", `main..${branch}`])
      ).stdout.toString("utf8");
      expect(
        log
          .split("\n")
          .filter(Boolean)
          .every((subject) => subject.startsWith(`chant(${specId}): `)),
      ).toBe(true);

      // ONE draft pull request that fixes the issue and asks alice for review.
      const pulls = await stack.fake.pulls("acme/kv-store");
      expect(pulls).toHaveLength(1);
      expect(pulls[0]).toMatchObject({
        number: pullRequest.number,
        draft: true,
        title: "Fix issue #42: Values disappear when two writes happen at once",
        head: { ref: branch, sha: headSha },
        base: { ref: "main" },
      });
      expect(pulls[0]!.body).toMatch(/^Fixes #42\n/);
      expect(pulls[0]!.body).toContain("### Fixed: concurrent writes no longer lose data (#42)");
      expect(pulls[0]!.requested_reviewers?.map((r) => r.login)).toEqual(["alice"]);

      // Four check runs on the head, then the checks job completes them.
      await drained(stack.queues.checks, 60_000);
      const runs = stack.fake.checkRuns("acme/kv-store", headSha);
      expect(runs.map((r) => r.name).sort()).toEqual([
        "chant/format",
        "chant/lint",
        "chant/reproduction",
        "chant/tests",
      ]);
      expect(Object.fromEntries(runs.map((r) => [r.name, [r.status, r.conclusion]]))).toEqual({
        "chant/reproduction": ["completed", "success"],
        "chant/tests": ["completed", "success"],
        "chant/lint": ["completed", "success"],
        "chant/format": ["completed", "success"],
      });
      expect(runs.find((r) => r.name === "chant/reproduction")?.output?.title).toBe(
        "Reproduction test failed on base, passes on head",
      );

      // ONE status comment, ending with the outcome; 🚀 on the issue.
      const comments = stack.fake.comments("acme/kv-store", 42);
      expect(comments).toHaveLength(1);
      const state = readStatusState(comments[0]!.body);
      expect(state?.phase).toBe("succeeded");
      expect(state?.headline).toBe(
        `opened #${pullRequest.number}: Fix issue #42: Values disappear when two writes happen at once`,
      );
      expect(state?.steps.every((s) => s.state === "done")).toBe(true);
      expect(stack.fake.reactions("acme/kv-store", { issue: 42 }).map((r) => r.content)).toContain(
        "rocket",
      );

      // The token never reached the branch, the PR or the comment.
      const tokens = stack.fake.issuedTokens();
      const published = [
        comments[0]!.body,
        pulls[0]!.body,
        await fileOnBranch(branch, specPath),
        JSON.stringify(job.data),
      ].join("\n");
      for (const token of tokens) expect(published).not.toContain(token);
    });

    it("run twice on the same job: still one branch, one PR, one status comment, one set of check runs", async () => {
      const { jobId } = await enqueueImplement(stack.queues, implementJob());
      await stack.startWorkers();
      const job = await finished(stack.queues.implement, jobId);
      await drained(stack.queues.checks);
      const first = job.returnvalue as unknown as { headSha: string; branch: string };

      // BullMQ is at-least-once: run the very same job (its data now holds the spec id) again.
      // The branch holds the finished spec, so the agent (here one that would fail) is not run.
      const silent = pino({ level: "silent" });
      const again = await processImplementJob(job, undefined, undefined, {
        queues: stack.queues,
        forges: githubForges({
          probot: stack.probot,
          appId: stack.fake.appId,
          mutex: noMutex,
          log: silent,
          statusStore: new RedisStatusCommentStore(stack.queues.redis, stack.queues.prefix),
        }),
        agent: agentFromEnv({ CHANT_AGENT: "command", CHANT_AGENT_COMMAND: "false" }),
        sandbox: await testSandbox(),
        workRoot: stack.workRoot,
        secrets: [],
        log: silent,
      });
      expect(again).toMatchObject({
        kind: "succeeded",
        branch: first.branch,
        headSha: first.headSha,
      });
      await drained(stack.queues.checks);

      expect(
        (await stack.fake.branches("acme/kv-store")).filter((b) => b.name.startsWith("chant/")),
      ).toHaveLength(1);
      expect(await stack.fake.pulls("acme/kv-store")).toHaveLength(1);
      expect(stack.fake.comments("acme/kv-store", 42)).toHaveLength(1);
      expect(stack.fake.checkRuns("acme/kv-store", first.headSha)).toHaveLength(4);
      // The second run left the finished check runs finished (not back to queued, for good).
      expect(
        stack.fake.checkRuns("acme/kv-store", first.headSha).map((r) => [r.status, r.conclusion]),
      ).toEqual(Array(4).fill(["completed", "success"]));
    });
  },
);
