/**
 * The status comment with its record in Redis (shared by the web process and
 * every worker): one request per update, the comment looked for on GitHub
 * only when the record cannot say, and made again when a person deleted it.
 */
import nock from "nock";
import { pino } from "pino";
import { ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GitHubForge } from "../../src/forge/github/github-forge.js";
import { type Octokit } from "../../src/forge/github/octokit.js";
import { freshStatus, readStatusState } from "../../src/domain/status.js";
import type { ChantQueues } from "../../src/queue/chant-queues.js";
import { RedisStatusCommentStore } from "../../src/queue/redis-status-store.js";
import { openTestQueues } from "../support/redis.js";

const API = "https://api.github.com";
const REPO = "/repos/acme/kv-store";

let queues: ChantQueues;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ queues, cleanup } = await openTestQueues());
});
afterEach(async () => cleanup());

/** A fresh forge each time, as each delivery and each job makes its own. */
function forge() {
  const octokit = new ProbotOctokit({
    auth: { token: "ghs_test" },
    retry: { enabled: false },
    throttle: { enabled: false },
    log: pino({ level: "silent" }),
  }) as unknown as Octokit;
  return new GitHubForge({
    octokit,
    owner: "acme",
    name: "kv-store",
    appId: 12345,
    statusStore: new RedisStatusCommentStore(queues.redis, queues.prefix),
  });
}

const bodies: string[] = [];
function written(body: { body: string }): boolean {
  bodies.push(body.body);
  return true;
}

describe("the status comment, remembered in Redis", () => {
  it("is created once, then every update is ONE PATCH, by any process, with no GET", async () => {
    bodies.length = 0;
    nock(API)
      .post(`${REPO}/issues/42/comments`, written)
      .reply(201, { id: 501, html_url: "https://github.com/c/501" })
      .patch(`${REPO}/issues/comments/501`, written)
      .reply(200, { id: 501, html_url: "https://github.com/c/501" })
      .patch(`${REPO}/issues/comments/501`, written)
      .reply(200, { id: 501, html_url: "https://github.com/c/501" });
    await forge().ensureStatusComment(42, () => freshStatus("queued", "queued"));
    // Another process (a worker) reads the state from Redis and renders on top of it.
    await forge().ensureStatusComment(42, (previous) => ({
      ...freshStatus("running", "running"),
      notice: `was ${previous?.phase}`,
    }));
    await forge().ensureStatusComment(42, () => freshStatus("succeeded", "done"));
    expect(bodies.map((b) => readStatusState(b)?.phase)).toEqual([
      "queued",
      "running",
      "succeeded",
    ]);
    expect(readStatusState(bodies[1])?.notice).toBe("was queued");
  });

  it("is made again when a person deleted it (the PATCH answers 404)", async () => {
    await new RedisStatusCommentStore(queues.redis, queues.prefix).set("acme/kv-store#7", {
      commentId: 600,
      body: "old",
      url: "u",
    });
    nock(API)
      .patch(`${REPO}/issues/comments/600`)
      .reply(404, { message: "Not Found" })
      .post(`${REPO}/issues/7/comments`)
      .reply(201, { id: 601, html_url: "u2" })
      .patch(`${REPO}/issues/comments/601`)
      .reply(200, { id: 601, html_url: "u2" });
    expect(await forge().ensureStatusComment(7, () => freshStatus("running", "r"))).toEqual({
      url: "u2",
    });
    // The new one is remembered.
    await forge().ensureStatusComment(7, () => freshStatus("succeeded", "s"));
  });

  it("after a writer died between creating it and recording it, finds it on GitHub (ours only)", async () => {
    await new RedisStatusCommentStore(queues.redis, queues.prefix).markCreating("acme/kv-store#9");
    const ours = `<!-- chant-bot:status -->\nqueued`;
    nock(API)
      .get(`${REPO}/issues/9/comments`)
      .query(true)
      .reply(200, [
        // Another app's copy of the marker is not ours to edit.
        { id: 700, body: ours, html_url: "x", performed_via_github_app: { id: 999 } },
        { id: 701, body: ours, html_url: "y", performed_via_github_app: { id: 12345 } },
      ])
      .patch(`${REPO}/issues/comments/701`)
      .reply(200, { id: 701, html_url: "y" });
    await forge().ensureStatusComment(9, () => freshStatus("running", "r"));
  });
});
