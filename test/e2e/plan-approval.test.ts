import { createHash } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pino } from "pino";
import { createProbot } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { approvalDiscussion } from "../../src/chant-format/approval.js";
import { parseSpec } from "../../src/chant-format/parse-spec.js";
import { strictWriteProblems } from "../../src/chant-format/serialize-spec.js";
import { readStatusState } from "../../src/domain/status.js";
import { createMetrics, type Metrics } from "../../src/observability/metrics.js";
import { RedisMutex } from "../../src/queue/redis-mutex.js";
import { chantBotApp } from "../../src/web/app.js";
import { createWebServer } from "../../src/web/http-server.js";
import {
  AGENTS,
  drained,
  startStack,
  type Stack,
  UnthrottledOctokit,
} from "../support/e2e-stack.js";
import { runGit } from "../support/fake-github/index.js";

/**
 * Plan approval end to end: the GitHub stand-in with real git, the real web
 * server and workers on the real Redis, and an agent that records its start
 * (agent-start.json in its work, and the worker's own agent-run counter).
 */
const RECORDER = join(AGENTS, "record-start-then-fix.mjs");
const REPO = "acme/kv-store";
const silent = pino({ level: "silent" });

let stack: Stack;
let web: Server;
let url: string;
let metrics: Metrics;

beforeEach(async () => {
  stack = await startStack();
  stack.fake.addUser("bob", { permission: "write" });
  stack.fake.addUser("dependabot[bot]", { permission: "write" });
  const probot = createProbot({
    env: { ...stack.fake.env(), LOG_LEVEL: "silent" },
    overrides: { Octokit: UnthrottledOctokit, log: silent },
  });
  await probot.load(
    chantBotApp({
      queues: stack.queues,
      appId: stack.fake.appId,
      mutex: new RedisMutex(stack.queues.redis, stack.queues.prefix),
    }),
  );
  web = createWebServer({ probot, webhookSecret: stack.fake.webhookSecret, log: silent });
  await new Promise<void>((resolve) => web.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(web.address() as AddressInfo).port}/api/github/webhooks`;
  metrics = createMetrics({ defaultMetrics: false });
  await stack.startWorkers("fix", RECORDER, metrics);
});
afterEach(async () => {
  await new Promise((resolve) => web.close(resolve));
  await stack.stop();
});

async function deliver(event: string, payload: Record<string, unknown>) {
  const result = await stack.fake.deliver(url, event, payload);
  expect(result.status, result.body).toBe(200);
  await drained(stack.queues.implement, 120_000);
  await drained(stack.queues.checks, 120_000);
}

function comment(issue: number, user: string, body: string) {
  return deliver(
    "issue_comment",
    stack.fake.payloads.issueCommentCreated({ repo: REPO, issue, body, user }),
  );
}

async function git(...args: string[]): Promise<string> {
  return (await runGit(["--git-dir", stack.repo.gitDir, ...args])).stdout.toString("utf8");
}

/** The worker's own count of agent runs (chant_bot_agent_runs_total), all outcomes. */
async function agentRuns(): Promise<number> {
  const text = await metrics.text();
  return [...text.matchAll(/^chant_bot_agent_runs_total\{[^}]*\} (\d+)$/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
}

function status(issue: number) {
  const comments = stack.fake
    .comments(REPO, issue)
    .filter((c) => c.body.includes("chant-bot:status"));
  expect(comments).toHaveLength(1);
  return readStatusState(comments[0]!.body)!;
}

describe("plan approval on GitHub", () => {
  it(
    "label -> plan PR (no agent); edits re-validated; refusals; reject recorded; a push after approval refused; approve -> the agent on the approved sha, the fix and four checks on the same PR",
    { timeout: 300_000 },
    async () => {
      const started = Date.now();
      stack.fake.resetRequests();

      // 1. The plan label: the spec alone, approval pending, a draft PR that says how to approve; no agent.
      await deliver(
        "issues",
        stack.fake.payloads.issuesLabeled({
          repo: REPO,
          issue: 42,
          label: "chant:plan",
          sender: "alice",
        }),
      );
      const pulls = await stack.fake.pulls(REPO);
      expect(pulls).toHaveLength(1);
      const pr = pulls[0]!;
      const branch = pr.head.ref;
      const id = branch.replace(/^chant\//, "");
      const path = `.chant/specs/${id}.md`;
      expect(pr.draft).toBe(true);
      expect(pr.title).toMatch(/^Plan for #42: .* \(awaits approval\)$/);
      expect(pr.body).toContain("`/chant approve`");
      expect((await git("log", "--format=%s", `main..${branch}`)).trim().split("\n")).toEqual([
        `chant(${id}): draft implementation spec`,
      ]);
      expect((await git("diff", "--name-only", `main...${branch}`)).trim().split("\n")).toEqual(
        expect.arrayContaining([path]),
      );
      expect(await git("ls-tree", "--name-only", branch, "agent-start.json", "src/store.js")).toBe(
        "src/store.js\n",
      );
      expect(await git("diff", `main...${branch}`, "--", "src/")).toBe("");
      const planned = parseSpec(path, await git("show", `${branch}:${path}`));
      expect(planned.frontmatter.approval).toEqual({ required: true, status: "pending" });
      expect(await agentRuns()).toBe(0);
      let state = status(42);
      expect(state.phase).toBe("awaiting_approval");
      expect(state.steps.find((s) => s.name === "run_agent")?.state).toBe("skipped");
      expect(stack.fake.checkRuns(REPO)).toEqual([]);

      // 2. A maintainer's edit that breaks the YAML is reported; a good one is checked and passes.
      const good = await git("show", `${branch}:${path}`);
      const brokenSha = await stack.fake.commit(REPO, {
        branch,
        files: { [path]: good.replace("type: code", "type: [code") },
        message: "bob: edit the plan",
        author: { name: "bob", email: "bob@example.com" },
      });
      await deliver(
        "pull_request",
        await stack.fake.payloads.pullRequestSynchronize({
          repo: REPO,
          number: pr.number,
          sender: "bob",
        }),
      );
      expect(status(42).notice).toMatch(/cannot be approved as it is:\n- .*invalid YAML/);
      const [broken] = stack.fake.checkRuns(REPO, brokenSha);
      expect(broken).toMatchObject({
        name: "chant/spec",
        status: "completed",
        conclusion: "failure",
      });
      expect(broken!.output?.summary).toMatch(
        new RegExp(`^- ${path.replace(/\./g, "\\.")}:\\d+: invalid YAML`),
      );
      const edited = good.replace(
        "## Acceptance Criteria\n",
        "## Acceptance Criteria\n\n- [ ] Keep the public API of Store unchanged\n",
      );
      const reviewedSha = await stack.fake.commit(REPO, {
        branch,
        files: { [path]: edited },
        message: "bob: narrow the plan",
        author: { name: "bob", email: "bob@example.com" },
      });
      await deliver(
        "pull_request",
        await stack.fake.payloads.pullRequestSynchronize({
          repo: REPO,
          number: pr.number,
          sender: "bob",
        }),
      );
      expect(status(42).notice).toMatch(
        new RegExp(`The plan at \`${reviewedSha.slice(0, 7)}\` .* was checked`),
      );
      // Only the plan's own check: the four checks have no fix to check yet.
      expect(stack.fake.checkRuns(REPO).map((r) => [r.head_sha, r.name, r.conclusion])).toEqual([
        [brokenSha, "chant/spec", "failure"],
        [reviewedSha, "chant/spec", "success"],
      ]);

      // 3. Refused with one polite reply: a reader, a bot, an unknown sha.
      await comment(pr.number, "reporter", "/chant approve");
      expect(status(pr.number).notice).toMatch(
        /^@reporter: only people with write, maintain or admin permission/,
      );
      await comment(42, "dependabot[bot]", "/chant approve");
      expect(status(42).notice).toBe(
        "@dependabot[bot]: a bot cannot approve or reject a plan; a person with write permission decides, so nothing was started.",
      );
      await comment(pr.number, "alice", "/chant approve 0123456789");
      expect(status(pr.number).notice).toMatch(
        /`0123456789` is not the head of `chant\/.*` \(it is at `[0-9a-f]{7}`\)/,
      );
      expect(await agentRuns()).toBe(0);

      // 4. A rejection is recorded as chant writes it, on the branch.
      await comment(pr.number, "alice", "/chant reject split token handling from the store first");
      expect((await git("log", "-1", "--format=%s", branch)).trim()).toBe(
        `chant(${id}): reject spec`,
      );
      const rejected = parseSpec(path, await git("show", `${branch}:${path}`));
      expect(rejected.frontmatter.approval).toMatchObject({
        required: true,
        status: "rejected",
        by: "alice",
      });
      expect(approvalDiscussion(rejected.body)).toEqual([
        expect.objectContaining({
          by: "alice",
          decision: "REJECTED",
          reason: "split token handling from the store first",
        }),
      ]);
      state = status(42);
      expect(state.headline).toBe("the plan was rejected by @alice");
      expect(state.details.join("\n")).toContain("edit the spec there, then `/chant approve`");

      // 5. Approved, then a push lands before the job starts: refused with the reason, no agent.
      await stack.queues.implement.pause();
      const approvedAt = (await git("rev-parse", branch)).trim();
      await stack.fake.deliver(
        url,
        "issue_comment",
        stack.fake.payloads.issueCommentCreated({
          repo: REPO,
          issue: pr.number,
          body: "/chant approve",
          user: "alice",
        }),
      );
      expect(status(pr.number).notice).toContain(
        `@alice approved the plan at \`${approvedAt.slice(0, 7)}\``,
      );
      await stack.fake.commit(REPO, {
        branch,
        files: { "NOTES.md": "a late change\n" },
        message: "bob: a late push",
        author: { name: "bob", email: "bob@example.com" },
      });
      await stack.queues.implement.resume();
      await drained(stack.queues.implement, 120_000);
      state = status(42);
      expect(state.phase).toBe("refused");
      expect(state.headline).toMatch(
        new RegExp(
          `moved after the approval: \`${approvedAt.slice(0, 7)}\` was decided on, the branch is now at`,
        ),
      );
      expect(await agentRuns()).toBe(0);

      // 6. Approved at the head: chant's record, the agent on exactly that commit, the fix and four checks on the same PR.
      const head = (await git("rev-parse", branch)).trim();
      await comment(42, "alice", "/chant approve");
      const log = (await git("log", "--format=%H %s", `main..${branch}`)).trim().split("\n");
      const approveLine = log.find((l) => l.endsWith(`chant(${id}): approve spec`))!;
      const approveSha = approveLine.split(" ")[0]!;
      expect((await git("rev-parse", `${approveSha}^`)).trim()).toBe(head);
      const atApproval = await git("show", `${approveSha}:${path}`);
      expect(atApproval).toMatch(
        /\napproval:\n {2}required: true\n {2}status: approved\n {2}by: alice\n {2}at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n---\n/,
      );
      expect(atApproval).toMatch(
        /\n## Approval Discussion\n\n\*\*alice\*\* - \d{4}-\d\d-\d\d \d\d:\d\d - REJECTED\nsplit token handling from the store first\n\n\*\*alice\*\* - \d{4}-\d\d-\d\d \d\d:\d\d - APPROVED\n$/,
      );
      const start = JSON.parse(await git("show", `${branch}:agent-start.json`)) as {
        specSha256: string;
      };
      expect(start.specSha256).toBe(createHash("sha256").update(atApproval).digest("hex"));
      expect(await agentRuns()).toBe(1);

      const after = await stack.fake.pulls(REPO);
      expect(after).toHaveLength(1);
      expect(after[0]!.number).toBe(pr.number);
      expect(after[0]!.title).toMatch(/^Fix issue #42: /);
      const fixHead = after[0]!.head.sha;
      expect(fixHead).toBe((await git("rev-parse", branch)).trim());
      const runs = stack.fake.checkRuns(REPO, fixHead);
      expect(Object.fromEntries(runs.map((r) => [r.name, [r.status, r.conclusion]]))).toEqual({
        "chant/reproduction": ["completed", "success"],
        "chant/tests": ["completed", "success"],
        "chant/lint": ["completed", "success"],
        "chant/format": ["completed", "success"],
      });
      const final = parseSpec(path, await git("show", `${branch}:${path}`));
      expect(final.frontmatter.status).toBe("completed");
      expect(final.frontmatter.approval).toMatchObject({ status: "approved", by: "alice" });
      expect(approvalDiscussion(final.body).map((e) => e.decision)).toEqual([
        "REJECTED",
        "APPROVED",
      ]);
      expect(strictWriteProblems(final)).toEqual([]);
      expect(final.leniencies).toEqual([]);
      expect(status(42).phase).toBe("succeeded");

      const requests = stack.fake.requests.filter((r) => !r.path.startsWith("/git/"));
      console.log(
        `plan approval e2e: ${requests.length} API requests, ${stack.fake.requests.length - requests.length} git requests, ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    },
  );

  it(
    "approval.required in the config gates the normal label; with separate_approver the asker cannot approve, another maintainer can",
    { timeout: 300_000 },
    async () => {
      const config = await git("show", "main:.github/chant.yml");
      await stack.fake.commit(REPO, {
        branch: "main",
        files: {
          ".github/chant.yml": `${config}approval:\n  required: true\n  separate_approver: true\n`,
        },
        message: "every agent run needs two people",
      });
      await deliver(
        "issues",
        stack.fake.payloads.issuesLabeled({
          repo: REPO,
          issue: 42,
          label: "chant:implement",
          sender: "alice",
        }),
      );
      const [pr] = await stack.fake.pulls(REPO);
      expect(pr!.title).toMatch(/\(awaits approval\)$/);
      expect(pr!.body).toContain("`approval.separate_approver` is set: @alice");
      expect(status(42).details.join("\n")).toContain(
        "Stopped before the agent: `.github/chant.yml` sets `approval.required: true`.",
      );

      await comment(pr!.number, "alice", "/chant approve");
      expect(status(pr!.number).notice).toMatch(
        /^@alice: you asked for this plan, and `approval.separate_approver`/,
      );
      expect(await agentRuns()).toBe(0);

      // A fork's pull request is no plan, whoever comments there and whatever its branch is called.
      await stack.fake.addRepo({ owner: "mallory", name: "kv-store", forkOf: REPO });
      await stack.fake.commit("mallory/kv-store", {
        branch: pr!.head.ref,
        from: "main",
        files: { [`.chant/specs/${pr!.head.ref.slice("chant/".length)}.md`]: "---\n---\n# mine\n" },
      });
      const fork = await stack.fake.addPullRequest(REPO, {
        title: "Approve me",
        user: "mallory",
        head: `mallory:${pr!.head.ref}`,
      });
      await comment(fork.number, "bob", "/chant approve");
      expect(status(fork.number).notice).toMatch(/^@bob: no plan awaits approval here/);
      expect(await agentRuns()).toBe(0);

      await comment(pr!.number, "bob", "/chant approve");
      expect(await agentRuns()).toBe(1);
      const final = parseSpec(
        `.chant/specs/${pr!.head.ref.slice("chant/".length)}.md`,
        await git("show", `${pr!.head.ref}:.chant/specs/${pr!.head.ref.slice("chant/".length)}.md`),
      );
      expect(final.frontmatter).toMatchObject({
        status: "completed",
        approval: { required: true, status: "approved", by: "bob" },
      });
      expect(status(42).phase).toBe("succeeded");
    },
  );
});
