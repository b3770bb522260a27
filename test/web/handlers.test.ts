import nock from "nock";
import type { Probot } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { noMutex } from "../../src/forge/status-comment-store.js";
import { readStatusState } from "../../src/domain/status.js";
import { enqueueImplement } from "../../src/queue/enqueue.js";
import type { ChantQueues } from "../../src/queue/chant-queues.js";
import { RedisStatusCommentStore } from "../../src/queue/redis-status-store.js";
import { githubApi, mockConfig, mockPermission, repoPath, testProbot } from "../support/probot.js";
import { openTestQueues } from "../support/redis.js";
import {
  checkRunRerequested,
  checkSuiteRerequested,
  INSTALLATION_ID,
  issueComment,
  issueLabeled,
  newDeliveryId,
  pullRequestSynchronize,
  REPO,
} from "../support/webhooks.js";

let queues: ChantQueues;
let cleanup: () => Promise<void>;
let probot: Probot;

beforeEach(async () => {
  ({ queues, cleanup } = await openTestQueues());
  probot = await testProbot({ queues, appId: 12345, mutex: noMutex });
});
afterEach(async () => {
  await cleanup();
});

function deliver(name: string, payload: unknown, id = newDeliveryId()) {
  return probot.receive({ id, name, payload } as Parameters<Probot["receive"]>[0]);
}

/**
 * Comments created or edited, as the state they carry. The status comment's
 * record lives in Redis (the web and every worker share it): an `existing`
 * one is recorded there, as an earlier write would have left it, and edited
 * with one PATCH; otherwise one is created.
 */
async function captureComments(scope: nock.Scope, existing: { id: number; body: string }[] = []) {
  const written: string[] = [];
  if (existing.length === 0) {
    scope
      .post(
        `${repoPath}/issues/42/comments`,
        (body: { body: string }) => (written.push(body.body), true),
      )
      .reply(201, { id: 9001, html_url: "https://github.com/c/9001" });
  } else {
    await new RedisStatusCommentStore(queues.redis, queues.prefix).set(
      `${REPO.owner}/${REPO.name}#42`,
      { commentId: existing[0]!.id, body: existing[0]!.body, url: "u" },
    );
    scope
      .patch(
        `${repoPath}/issues/comments/${existing[0]!.id}`,
        (body: { body: string }) => (written.push(body.body), true),
      )
      .reply(200, { id: existing[0]!.id, html_url: "u" });
  }
  return written;
}

async function jobs() {
  return queues.implement.getJobs(["waiting", "active", "delayed", "prioritized"]);
}

describe("issues.labeled", () => {
  it.each(["admin", "maintain", "write"])(
    "queues a job when a %s adds the label, with a 👀 and one status comment",
    async (role) => {
      const api = githubApi();
      mockConfig(api, undefined);
      mockPermission(api, "alice", role);
      api.post(`${repoPath}/issues/42/reactions`, { content: "eyes" }).reply(201, {});
      const written = await captureComments(api);

      await deliver("issues", issueLabeled());

      const queued = await jobs();
      expect(queued).toHaveLength(1);
      expect(queued[0]!.data).toMatchObject({
        installationId: INSTALLATION_ID,
        repo: REPO,
        target: 42,
        issueNumber: 42,
        requestedBy: "alice",
        trigger: "label",
      });
      // Ids only: no token anywhere in the job.
      expect(JSON.stringify(queued[0]!.data)).not.toMatch(/ghs_|token/i);
      expect(written).toHaveLength(1);
      const state = readStatusState(written[0]);
      expect(state).toMatchObject({
        phase: "queued",
        headline: "queued to implement #42 (position 1 in the queue)",
        jobId: queued[0]!.id,
      });
    },
  );

  it.each(["triage", "read", "none"])(
    "refuses a %s politely in the status comment, and queues nothing",
    async (role) => {
      const api = githubApi();
      mockConfig(api, undefined);
      mockPermission(api, "alice", role);
      const written = await captureComments(api);
      api.post(`${repoPath}/issues/42/reactions`, { content: "confused" }).reply(201, {});

      await deliver("issues", issueLabeled());

      expect(await jobs()).toHaveLength(0);
      expect(readStatusState(written[0])?.notice).toBe(
        `@alice: only people with write, maintain or admin permission on this repository can run chant-bot (your permission is \`${role}\`), so nothing was started. A maintainer can add the label or comment \`/chant implement\`.`,
      );
    },
  );

  it("ignores bots (and so never triggers itself): no request at all", async () => {
    await deliver("issues", issueLabeled({ sender: { login: "chant-bot[bot]", type: "Bot" } }));
    await deliver("issues", issueLabeled({ sender: { login: "renovate", type: "Bot" } }));
    expect(await jobs()).toHaveLength(0);
  });

  it("ignores other labels", async () => {
    const api = githubApi();
    mockConfig(api, undefined);
    await deliver("issues", issueLabeled({ label: "bug" }));
    expect(await jobs()).toHaveLength(0);
  });

  it("uses the label the repository configures", async () => {
    const api = githubApi();
    mockConfig(api, "label: fix-me\n");
    mockPermission(api, "alice", "write");
    api.post(`${repoPath}/issues/42/reactions`).reply(201, {});
    await captureComments(api);
    await deliver("issues", issueLabeled({ label: "fix-me" }));
    expect(await jobs()).toHaveLength(1);
  });

  it("reports an invalid config with the file, the key and the line, and queues nothing", async () => {
    const text = "label: chant:implement\nspec_status: ready\n";
    const api = githubApi();
    // One read (content and blob id): validation fails, and the lines come from that same text.
    mockConfig(api, text);
    mockPermission(api, "alice", "admin");
    const written = await captureComments(api);
    api.post(`${repoPath}/issues/42/reactions`, { content: "confused" }).reply(201, {});

    await deliver("issues", issueLabeled());

    expect(await jobs()).toHaveLength(0);
    const state = readStatusState(written[0]);
    expect(state?.phase).toBe("refused");
    expect(state?.details.join("\n")).toContain(
      "- line 2: `spec_status` `ready` is refused: chant's state machine does not move a spec from ready to in_progress; use `pending`",
    );
    expect(state?.details[0]).toBe(
      "`octo-org/kv-store:.github/chant.yml` (on the default branch) is invalid, so nothing was started:",
    );
  });

  it("does nothing twice for a redelivered delivery", async () => {
    const id = newDeliveryId();
    const api = githubApi();
    mockConfig(api, undefined);
    mockPermission(api, "alice", "admin");
    api.post(`${repoPath}/issues/42/reactions`).reply(201, {});
    await captureComments(api);
    await deliver("issues", issueLabeled(), id);
    await deliver("issues", issueLabeled(), id);
    expect(await jobs()).toHaveLength(1);
  });

  it("tells a second requester that a job is already running, in the same comment", async () => {
    const first = githubApi();
    mockConfig(first, undefined);
    mockPermission(first, "alice", "admin");
    first.post(`${repoPath}/issues/42/reactions`).reply(201, {});
    const written = await captureComments(first);
    await deliver("issues", issueLabeled());

    const second = nock("https://api.github.com");
    mockConfig(second, undefined);
    mockPermission(second, "bob", "write");
    second.post(`${repoPath}/issues/42/reactions`).reply(201, {});
    const edits = await captureComments(second, [{ id: 9001, body: written[0]! }]);
    await deliver("issues", issueLabeled({ sender: { login: "bob" } }));

    const queued = await jobs();
    expect(queued).toHaveLength(1);
    const state = readStatusState(edits[0]);
    expect(state?.phase).toBe("queued");
    expect(state?.notice).toBe(
      `@bob: a job for #42 is already waiting, position 1 (\`${queued[0]!.id}\`), so this request was not queued again. \`/chant cancel\` stops it; \`/chant status\` shows where it is.`,
    );
  });
});

describe("issue_comment.created", () => {
  function acceptedComment(
    body: string,
    opts: { pullRequest?: boolean; tokenCached?: boolean } = {},
  ) {
    // Probot keeps an installation token for its lifetime: only the first request asks for one.
    const api = opts.tokenCached ? nock("https://api.github.com") : githubApi();
    mockPermission(api, "alice", "write");
    return { api, payload: issueComment({ body, ...opts }) };
  }

  it("queues `/chant implement SPEC --force` with the spec and the flag", async () => {
    const { api, payload } = acceptedComment("/chant implement 2026-01-28-001-res --force");
    mockConfig(api, undefined);
    api.post(`${repoPath}/issues/comments/5001/reactions`, { content: "eyes" }).reply(201, {});
    await captureComments(api);
    await deliver("issue_comment", payload);
    const [job] = await jobs();
    expect(job?.data).toMatchObject({
      explicitSpec: "2026-01-28-001-res",
      force: true,
      trigger: "comment",
      triggerCommentId: 5001,
      issueNumber: 42,
    });
  });

  it("on a pull request, queues with the pull request as target", async () => {
    const { api, payload } = acceptedComment("/chant implement", { pullRequest: true });
    mockConfig(api, undefined);
    api.post(`${repoPath}/issues/comments/5001/reactions`).reply(201, {});
    await captureComments(api);
    await deliver("issue_comment", payload);
    const [job] = await jobs();
    expect(job?.data).toMatchObject({ target: 42, pullRequest: 42 });
    expect(job?.data.issueNumber).toBeUndefined();
  });

  it("answers anything else after /chant with the help text, to someone with write permission", async () => {
    const { api, payload } = acceptedComment("/chant deploy to prod");
    const written = await captureComments(api);
    api.post(`${repoPath}/issues/comments/5001/reactions`, { content: "confused" }).reply(201, {});
    await deliver("issue_comment", payload);
    const notice = readStatusState(written[0])?.notice ?? "";
    expect(notice).toMatch(/^@alice: `deploy` is not a chant-bot command\. chant-bot understands/);
    expect(notice).toContain("`/chant implement [SPEC] [--force]`");
    expect(await jobs()).toHaveLength(0);
  });

  it("answers `/chant help` in full to a maintainer", async () => {
    const { api, payload } = acceptedComment("/chant help");
    const written = await captureComments(api);
    api.post(`${repoPath}/issues/comments/5001/reactions`, { content: "eyes" }).reply(201, {});
    await deliver("issue_comment", payload);
    const notice = readStatusState(written[0])?.notice ?? "";
    expect(notice).toMatch(/^@alice: chant-bot understands, on the first line of a comment:/);
    expect(notice).toContain("`/chant help`: this list.");
  });

  it("answers people without permission once per issue per hour, whatever they ask: no help text", async () => {
    // First stranger on #42: the polite refusal, no help text.
    const first = githubApi();
    mockPermission(first, "mallory", "read");
    const written = await captureComments(first);
    first
      .post(`${repoPath}/issues/comments/5001/reactions`, { content: "confused" })
      .reply(201, {});
    await deliver(
      "issue_comment",
      issueComment({ body: "/chant help", sender: { login: "mallory" } }),
    );
    expect(readStatusState(written[0])?.notice).toBe(
      "@mallory: only people with write, maintain or admin permission on this repository can run chant-bot (your permission is `read`), so nothing was started. A maintainer can add the label or comment `/chant implement`.",
    );
    expect(first.isDone()).toBe(true);

    // More of the same on #42 within the hour (help, typos, commands; any stranger): the
    // permission is asked, and nothing is written (no comment edit, no reaction).
    for (const [login, body] of [
      ["mallory", "/chant help"],
      ["mallory", "/chant lol"],
      ["eve", "/chant implement"],
      ["eve", "/chant help"],
    ] as const) {
      const again = nock("https://api.github.com");
      mockPermission(again, login, login === "eve" ? "none" : "read");
      await deliver("issue_comment", issueComment({ body, sender: { login } }));
      expect(again.isDone()).toBe(true);
      expect(nock.pendingMocks()).toEqual([]);
    }
    expect(await jobs()).toHaveLength(0);

    // Another issue gets its own reply.
    const other = nock("https://api.github.com");
    mockPermission(other, "eve", "none");
    other.post(`${repoPath}/issues/43/comments`).reply(201, { id: 9002, html_url: "u" });
    other.post(`${repoPath}/issues/comments/5001/reactions`).reply(201, {});
    await deliver(
      "issue_comment",
      issueComment({ body: "/chant help", issue: 43, sender: { login: "eve" } }),
    );
    expect(other.isDone()).toBe(true);
  });

  it("ignores comments that are not commands: no request at all", async () => {
    await deliver("issue_comment", issueComment({ body: "LGTM\n/chant implement" }));
    await deliver("issue_comment", issueComment({ body: "```\n/chant implement\n```" }));
    expect(await jobs()).toHaveLength(0);
  });

  it("cancels a queued job and says so", async () => {
    const queued = await enqueueImplement(queues, {
      installationId: INSTALLATION_ID,
      repo: REPO,
      target: 42,
      issueNumber: 42,
      force: false,
      requestedBy: "alice",
      trigger: "label",
      deliveryId: newDeliveryId(),
    });
    const { api, payload } = acceptedComment("/chant cancel");
    const written = await captureComments(api);
    api.post(`${repoPath}/issues/comments/5001/reactions`).reply(201, {});
    await deliver("issue_comment", payload);
    expect(await jobs()).toHaveLength(0);
    expect(readStatusState(written[0])?.notice).toBe(
      `@alice cancelled the queued job \`${queued.jobId}\`; it will not run.`,
    );
  });

  it("retries the last job, and says when there is none", async () => {
    const none = acceptedComment("/chant retry");
    const written = await captureComments(none.api);
    none.api
      .post(`${repoPath}/issues/comments/5001/reactions`, { content: "confused" })
      .reply(201, {});
    await deliver("issue_comment", none.payload);
    expect(readStatusState(written[0])?.notice).toBe(
      "@alice: there is no earlier job here to retry; use `/chant implement`.",
    );

    await enqueueImplement(queues, {
      installationId: INSTALLATION_ID,
      repo: REPO,
      target: 42,
      issueNumber: 42,
      force: true,
      explicitSpec: "2026-01-28-001-res",
      requestedBy: "bob",
      trigger: "label",
      deliveryId: newDeliveryId(),
    });
    // The first job finished: its dedupe entry is gone.
    for (const job of await jobs()) await job.remove();
    await queues.implement.removeDeduplicationKey(`impl-${REPO.id}-42`);

    const again = acceptedComment("/chant retry", { tokenCached: true });
    mockConfig(again.api, undefined);
    await captureComments(again.api, [{ id: 9001, body: written[0]! }]);
    again.api
      .post(`${repoPath}/issues/comments/5001/reactions`, { content: "eyes" })
      .reply(201, {});
    await deliver("issue_comment", again.payload);
    const [job] = await jobs();
    expect(job?.data).toMatchObject({
      trigger: "retry",
      requestedBy: "alice",
      explicitSpec: "2026-01-28-001-res",
      force: true,
    });
  });

  it("`/chant check` on a pull request queues the four checks for its head", async () => {
    const { api, payload } = acceptedComment("/chant check", { pullRequest: true });
    mockConfig(api, undefined);
    api.get(`${repoPath}/pulls/42`).reply(200, {
      number: 42,
      title: "t",
      body: "",
      html_url: "u",
      head: { ref: "chant/x", sha: "d".repeat(40), repo: { full_name: "octo-org/kv-store" } },
      base: { ref: "main", sha: "e".repeat(40), repo: { full_name: "octo-org/kv-store" } },
    });
    const written = await captureComments(api);
    api.post(`${repoPath}/issues/comments/5001/reactions`).reply(201, {});
    await deliver("issue_comment", payload);
    const [job] = await queues.checks.getJobs(["waiting"]);
    expect(job?.data).toMatchObject({
      headSha: "d".repeat(40),
      pullRequest: 42,
      reason: "command",
    });
    expect(job?.data.only).toBeUndefined();
    expect(readStatusState(written[0])?.notice).toBe(
      "@alice: the four checks are queued for `ddddddd`.",
    );
  });

  function forkPull() {
    return {
      number: 42,
      title: "t",
      body: "",
      html_url: "u",
      head: { ref: "patch-1", sha: "f".repeat(40), repo: { full_name: "stranger/kv-store" } },
      base: { ref: "main", sha: "e".repeat(40), repo: { full_name: "octo-org/kv-store" } },
    };
  }

  it("`/chant check` on a fork's pull request: one polite reply naming the key, and no job", async () => {
    const { api, payload } = acceptedComment("/chant check", { pullRequest: true });
    mockConfig(api, undefined);
    api.get(`${repoPath}/pulls/42`).reply(200, forkPull());
    const written = await captureComments(api);
    api.post(`${repoPath}/issues/comments/5001/reactions`, { content: "confused" }).reply(201, {});
    await deliver("issue_comment", payload);
    expect(await queues.checks.getJobs(["waiting", "prioritized", "delayed"])).toHaveLength(0);
    const notice = readStatusState(written[0])?.notice ?? "";
    expect(notice).toMatch(/^@alice: this pull request comes from a fork/);
    expect(notice).toContain("`checks.fork_pull_requests: run`");
    expect(api.isDone()).toBe(true);
  });

  it("`/chant check` on a fork's pull request queues the checks when the config says `run`", async () => {
    const { api, payload } = acceptedComment("/chant check", { pullRequest: true });
    mockConfig(api, "checks:\n  fork_pull_requests: run\n");
    api.get(`${repoPath}/pulls/42`).reply(200, forkPull());
    const written = await captureComments(api);
    api.post(`${repoPath}/issues/comments/5001/reactions`).reply(201, {});
    await deliver("issue_comment", payload);
    const [job] = await queues.checks.getJobs(["waiting"]);
    expect(job?.data).toMatchObject({ headSha: "f".repeat(40), pullRequest: 42 });
    expect(readStatusState(written[0])?.notice).toBe(
      "@alice: the four checks are queued for `fffffff`.",
    );
  });

  it("`/chant check` on an issue says it needs a pull request", async () => {
    const { api, payload } = acceptedComment("/chant check");
    const written = await captureComments(api);
    api.post(`${repoPath}/issues/comments/5001/reactions`).reply(201, {});
    await deliver("issue_comment", payload);
    expect(readStatusState(written[0])?.notice).toMatch(/runs the checks of a pull request/);
  });
});

describe("check re-runs and pushes", () => {
  it("check_run.rerequested on our check re-runs that check", async () => {
    const api = githubApi();
    mockPermission(api, "alice", "write");
    await deliver("check_run", checkRunRerequested({ name: "chant/lint" }));
    const [job] = await queues.checks.getJobs(["waiting"]);
    expect(job?.data).toMatchObject({
      headSha: "a".repeat(40),
      only: ["chant/lint"],
      pullRequest: 50,
      reason: "rerequested",
    });
  });

  it("ignores re-runs of other apps' checks and of checks that are not ours", async () => {
    await deliver("check_run", checkRunRerequested({ appId: 1 }));
    await deliver("check_run", checkRunRerequested({ name: "ci/build" }));
    await deliver("check_suite", checkSuiteRerequested({ appId: 1 }));
    expect(await queues.checks.getJobs(["waiting"])).toHaveLength(0);
  });

  it("check_suite.rerequested re-runs all four", async () => {
    const api = githubApi();
    mockPermission(api, "alice", "admin");
    await deliver("check_suite", checkSuiteRerequested());
    const [job] = await queues.checks.getJobs(["waiting"]);
    expect(job?.data).toMatchObject({ headSha: "b".repeat(40), reason: "rerequested" });
    expect(job?.data.only).toBeUndefined();
  });

  /** A re-run on a fork's head, as GitHub sends it: no pull requests, head_branch null. */
  function forkRun() {
    const p = checkRunRerequested({ name: "chant/tests", sha: "f".repeat(40) });
    return {
      ...p,
      check_run: {
        ...p.check_run,
        pull_requests: [],
        check_suite: {
          ...((p.check_run as Record<string, unknown>).check_suite as object),
          head_branch: null,
        },
      },
    };
  }
  function forkSuite() {
    const p = checkSuiteRerequested({ sha: "f".repeat(40) });
    return { ...p, check_suite: { ...p.check_suite, pull_requests: [], head_branch: null } };
  }

  it("re-runs on a fork's head enqueue nothing by default (checks.fork_pull_requests: refuse)", async () => {
    const api = githubApi();
    mockPermission(api, "alice", "admin");
    mockConfig(api, undefined);
    mockPermission(api, "alice", "admin");
    mockConfig(api, undefined);
    await deliver("check_run", forkRun());
    await deliver("check_suite", forkSuite());
    expect(api.isDone()).toBe(true);
    expect(await queues.checks.getJobs(["waiting", "prioritized", "delayed"])).toHaveLength(0);
  });

  it("a listed pull request whose head repository is not the base's counts as a fork", async () => {
    const api = githubApi();
    mockPermission(api, "alice", "admin");
    mockConfig(api, "checks:\n  fork_pull_requests: refuse\n");
    const p = checkSuiteRerequested({ sha: "f".repeat(40) });
    await deliver("check_suite", {
      ...p,
      check_suite: {
        ...p.check_suite,
        pull_requests: [{ number: 50, head: { repo: { id: 1 } }, base: { repo: { id: REPO.id } } }],
      },
    });
    expect(api.isDone()).toBe(true);
    expect(await queues.checks.getJobs(["waiting"])).toHaveLength(0);
  });

  it("re-runs on a fork's head are queued when the config says `run`", async () => {
    const api = githubApi();
    mockPermission(api, "alice", "admin");
    mockConfig(api, "checks:\n  fork_pull_requests: run\n");
    await deliver("check_run", forkRun());
    const [job] = await queues.checks.getJobs(["waiting"]);
    expect(job?.data).toMatchObject({ headSha: "f".repeat(40), only: ["chant/tests"] });
  });

  it("a person's push to a chant/* branch checks the new head; bots, forks and other branches do not", async () => {
    await deliver(
      "pull_request",
      pullRequestSynchronize({ sender: { login: "chant-bot[bot]", type: "Bot" } }),
    );
    await deliver("pull_request", pullRequestSynchronize({ ref: "feature/x" }));
    await deliver("pull_request", pullRequestSynchronize({ fork: true }));
    expect(await queues.checks.getJobs(["waiting"])).toHaveLength(0);

    const api = githubApi();
    mockPermission(api, "alice", "write");
    await deliver("pull_request", pullRequestSynchronize());
    const [job] = await queues.checks.getJobs(["waiting"]);
    expect(job?.data).toMatchObject({ headSha: "c".repeat(40), reason: "push", pullRequest: 50 });
  });
});

describe("acknowledgements after the answer", () => {
  it("with `defer`, the delivery is answered once the job is queued; 👀 and the comment follow", async () => {
    const deferred: Promise<void>[] = [];
    const fast = await testProbot({
      queues,
      appId: 12345,
      mutex: noMutex,
      defer: (work) => deferred.push(work),
    });
    const api = githubApi();
    mockConfig(api, undefined);
    mockPermission(api, "alice", "admin");
    api.post(`${repoPath}/issues/42/reactions`, { content: "eyes" }).delay(300).reply(201, {});
    const written = await captureComments(api);
    const started = Date.now();
    await fast.receive({
      id: newDeliveryId(),
      name: "issues",
      payload: issueLabeled(),
    } as Parameters<Probot["receive"]>[0]);
    expect(Date.now() - started).toBeLessThan(300);
    expect(await jobs()).toHaveLength(1);
    expect(written).toHaveLength(0);
    expect(deferred).toHaveLength(1);
    await Promise.all(deferred);
    expect(readStatusState(written[0])?.phase).toBe("queued");
  });
});
