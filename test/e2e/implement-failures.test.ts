import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readStatusState } from "../../src/domain/status.js";
import { activeImplementJob, enqueueImplement, requestCancel } from "../../src/queue/enqueue.js";
import { AGENTS, drained, finished, startStack, type Stack } from "../support/e2e-stack.js";
import { runGit, secondaryRateLimit } from "../support/fake-github/index.js";
import { newDeliveryId } from "../support/webhooks.js";

let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => stack.stop());

async function enqueue(issueNumber = 42) {
  return enqueueImplement(stack.queues, {
    installationId: stack.fake.installationId,
    repo: { id: stack.repo.id, owner: "acme", name: "kv-store" },
    target: issueNumber,
    issueNumber,
    force: false,
    requestedBy: "alice",
    trigger: "label",
    deliveryId: newDeliveryId(),
  });
}

function status(issue = 42) {
  const comments = stack.fake.comments("acme/kv-store", issue);
  expect(comments).toHaveLength(1);
  return readStatusState(comments[0]!.body)!;
}

// Whole flows (clone, agent, push, checks) on 2 CPUs shared with another test file:
// about 5 s each alone, over 20 s under load. Not a timing test.
describe("the worker's failure modes end in a clear final message", { timeout: 60_000 }, () => {
  it("the agent never sees a token: not in its environment, not in .git/config, not via git", async () => {
    const { jobId } = await enqueue();
    await stack.startWorkers("fix", join(AGENTS, "snoop-then-fix.mjs"));
    const job = await finished(stack.queues.implement, jobId);
    expect(job.returnvalue, job.failedReason).toMatchObject({ kind: "succeeded" });
    const { branch } = job.returnvalue as unknown as { branch: string };
    // What the agent saw was committed and pushed with the fix: read it back from GitHub's side.
    const seen = (
      await runGit(["--git-dir", stack.repo.gitDir, "show", `refs/heads/${branch}:snoop.txt`])
    ).stdout.toString();
    expect(seen.length).toBeGreaterThan(100);
    const tokens = stack.fake.issuedTokens();
    expect(tokens.length).toBeGreaterThan(0);
    for (const secret of [
      ...tokens,
      stack.fake.privateKey.split("\n")[1]!,
      stack.fake.webhookSecret,
    ]) {
      expect(seen).not.toContain(secret);
      expect(seen).not.toContain(Buffer.from(`x-access-token:${secret}`).toString("base64"));
    }
    expect(seen).not.toMatch(
      /extraheader|x-access-token|GITHUB_TOKEN|PRIVATE_KEY|WEBHOOK_SECRET|CHANT_REDIS_URL/i,
    );
    expect(JSON.parse(seen).env.CHANT_SPEC_ID).toBe(branch.slice("chant/".length));
    // Nor in the job's data in Redis.
    const raw = JSON.stringify(
      await stack.queues.redis.hgetall(`${stack.queues.prefix}:implement:${jobId}`),
    );
    for (const token of tokens) expect(raw).not.toContain(token);
  });

  it("no research: the status comment says what to add, 😕, no PR", async () => {
    stack.fake.addIssue("acme/kv-store", { number: 7, title: "Another bug", user: "reporter" });
    const { jobId } = await enqueue(7);
    await stack.startWorkers();
    const job = await finished(stack.queues.implement, jobId);
    expect(job.returnvalue).toMatchObject({ kind: "stopped", phase: "refused" });
    const state = status(7);
    expect(state.headline).toBe("No research spec found for issue #7.");
    expect(state.details.join("\n")).toMatch(/the label `issue-7`/);
    expect(await stack.fake.pulls("acme/kv-store")).toHaveLength(0);
    expect(stack.fake.reactions("acme/kv-store", { issue: 7 }).map((r) => r.content)).toContain(
      "confused",
    );
  });

  it("waits out GitHub's secondary rate limit (403 + retry-after) and still opens ONE pull request", async () => {
    const limit = stack.fake.failNext("POST /repos/{owner}/{repo}/pulls", {
      ...secondaryRateLimit(1),
      times: 2,
    });
    const { jobId } = await enqueue();
    await stack.startWorkers();
    const job = await finished(stack.queues.implement, jobId);
    expect(job.returnvalue, job.failedReason).toMatchObject({ kind: "succeeded" });
    expect(limit.hits).toBe(2);
    expect(await stack.fake.pulls("acme/kv-store")).toHaveLength(1);
    const creates = stack.fake.requests.filter(
      (r) => r.method === "POST" && r.path.endsWith("/pulls"),
    );
    expect(creates.map((r) => r.status)).toEqual([403, 403, 201]);
    // Waited about as long as asked: never hammered.
    expect(creates[2]!.at - creates[0]!.at).toBeGreaterThanOrEqual(1900);
    expect(status().phase).toBe("succeeded");
    await drained(stack.queues.checks);
  });

  it("/chant cancel on a running job kills the agent and says so", async () => {
    const { jobId } = await enqueue();
    await stack.startWorkers("fix", join(AGENTS, "sleepy.mjs"));
    // Wait until the agent runs.
    for (let i = 0; i < 400; i++) {
      const body = stack.fake.comments("acme/kv-store", 42)[0]?.body;
      if (readStatusState(body)?.steps.find((s) => s.name === "run_agent")?.state === "running")
        break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const job = (await activeImplementJob(stack.queues, stack.repo.id, 42))!;
    expect(await requestCancel(stack.queues, job)).toBe("signalled");
    const done = await finished(stack.queues.implement, jobId, 20_000);
    expect(done.returnvalue).toMatchObject({ kind: "stopped", phase: "cancelled" });
    expect(status()).toMatchObject({
      phase: "cancelled",
      headline: "cancelled: the agent was stopped",
    });
    expect(await stack.fake.pulls("acme/kv-store")).toHaveLength(0);
  });
});
