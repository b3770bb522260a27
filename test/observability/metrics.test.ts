import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import nock from "nock";
import { pino } from "pino";
import { ProbotOctokit } from "probot";
import { afterEach, describe, expect, it } from "vitest";
import {
  createMetrics,
  deliveryEventLabel,
  instrumentOctokit,
  statusClass,
  type CountableQueue,
} from "../../src/observability/metrics.js";
import { enqueueImplement } from "../../src/queue/enqueue.js";
import { openTestQueues } from "../support/redis.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The value of one sample line (`name{labels} value`) of a scrape, or undefined. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split("\n")) {
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)) found[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

describe("createMetrics", () => {
  it("has every metric family, with the values recorded", async () => {
    const metrics = createMetrics();
    metrics.delivery("issues", "accepted");
    metrics.delivery("issues", "accepted");
    metrics.delivery("issue_comment", "refused");
    metrics.jobDuration("implement", "completed", 95_000);
    metrics.stepDuration("agent", "ok", 1_500);
    metrics.agentRun("claude", "done", 60_000, 0.42);
    metrics.agentRun("claude", "failed", 1_000, 0.08);
    metrics.agentRun("command", "timed_out", 5_000);
    metrics.checkConclusion("chant/tests", "success");
    metrics.githubRequest("get", 200);
    metrics.githubRequest("POST", 502);
    metrics.githubRequest("GET", undefined);
    metrics.rateLimitRemaining("core", 4321);

    const text = await metrics.text();
    for (const [family, type] of [
      ["chant_bot_webhook_deliveries_total", "counter"],
      ["chant_bot_queue_jobs", "gauge"],
      ["chant_bot_job_duration_seconds", "histogram"],
      ["chant_bot_step_duration_seconds", "histogram"],
      ["chant_bot_agent_runs_total", "counter"],
      ["chant_bot_agent_duration_seconds", "histogram"],
      ["chant_bot_agent_cost_usd_total", "counter"],
      ["chant_bot_check_conclusions_total", "counter"],
      ["chant_bot_github_requests_total", "counter"],
      ["chant_bot_github_rate_limit_remaining", "gauge"],
      // Node's default process metrics, under their standard names.
      ["process_cpu_user_seconds_total", "counter"],
      ["nodejs_heap_size_used_bytes", "gauge"],
    ] as const) {
      expect(text, family).toContain(`# TYPE ${family} ${type}\n`);
    }

    const deliveries = "chant_bot_webhook_deliveries_total";
    expect(sample(text, deliveries, { event: "issues", outcome: "accepted" })).toBe(2);
    expect(sample(text, deliveries, { event: "issue_comment", outcome: "refused" })).toBe(1);
    const job = { queue: "implement", outcome: "completed" };
    expect(sample(text, "chant_bot_job_duration_seconds_sum", job)).toBe(95);
    expect(sample(text, "chant_bot_job_duration_seconds_bucket", { ...job, le: "60" })).toBe(0);
    expect(sample(text, "chant_bot_job_duration_seconds_bucket", { ...job, le: "120" })).toBe(1);
    expect(
      sample(text, "chant_bot_step_duration_seconds_sum", { step: "agent", outcome: "ok" }),
    ).toBe(1.5);
    expect(sample(text, "chant_bot_agent_runs_total", { agent: "claude", outcome: "done" })).toBe(
      1,
    );
    expect(
      sample(text, "chant_bot_agent_runs_total", { agent: "command", outcome: "timed_out" }),
    ).toBe(1);
    expect(sample(text, "chant_bot_agent_cost_usd_total", { agent: "claude" })).toBeCloseTo(
      0.5,
      10,
    );
    expect(sample(text, "chant_bot_agent_cost_usd_total", { agent: "command" })).toBeUndefined();
    expect(
      sample(text, "chant_bot_check_conclusions_total", {
        check: "chant/tests",
        conclusion: "success",
      }),
    ).toBe(1);
    const requests = "chant_bot_github_requests_total";
    expect(sample(text, requests, { method: "GET", status: "2xx" })).toBe(1);
    expect(sample(text, requests, { method: "POST", status: "5xx" })).toBe(1);
    expect(sample(text, requests, { method: "GET", status: "error" })).toBe(1);
    expect(sample(text, "chant_bot_github_rate_limit_remaining", { resource: "core" })).toBe(4321);
    // No queues watched: no job counts, and no claim about Redis either way.
    expect(sample(text, "chant_bot_queue_jobs")).toBeUndefined();
    expect(text).not.toContain("chant_bot_redis_up");
  });

  it("keeps the `event` label bounded: 1000 random event names make a handful of series", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const name = "chant_bot_webhook_deliveries_total";
    for (let i = 0; i < 1000; i++) {
      const event = randomBytes(1 + (i % 40)).toString(i % 2 ? "hex" : "base64");
      metrics.delivery(event, "invalid");
    }
    metrics.delivery("issue_comment", "invalid");
    metrics.delivery("ping", "accepted");
    metrics.delivery("constructor", "invalid");
    metrics.delivery("", "invalid");
    const series = (await metrics.text()).split("\n").filter((l) => l.startsWith(`${name}{`));
    expect(series.length).toBeLessThanOrEqual(5);
    expect(sample(await metrics.text(), name, { event: "other", outcome: "invalid" })).toBe(1002);
    expect(sample(await metrics.text(), name, { event: "issue_comment" })).toBe(1);
    expect(sample(await metrics.text(), name, { event: "ping", outcome: "accepted" })).toBe(1);
    // Every event the app subscribes to in app.yml keeps its own label.
    const appYml = readFileSync(new URL("../../app.yml", import.meta.url), "utf8");
    const subscribed = /default_events:\n((?:\s+- \w+.*\n)+)/
      .exec(appYml)![1]!
      .split("\n")
      .map((l) => /- (\w+)/.exec(l)?.[1])
      .filter((e): e is string => e !== undefined);
    expect(subscribed.length).toBeGreaterThanOrEqual(5);
    for (const event of subscribed) expect(deliveryEventLabel(event)).toBe(event);
  });

  it("keeps each registry apart (no global registry)", async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.delivery("issues", "duplicate");
    const name = "chant_bot_webhook_deliveries_total";
    expect(sample(await a.text(), name, { outcome: "duplicate" })).toBe(1);
    expect(sample(await b.text(), name, { outcome: "duplicate" })).toBeUndefined();
    expect(await a.text()).not.toContain("process_cpu_user_seconds_total");
  });

  it("counts an enqueued job as waiting in the implement queue, read from Redis at scrape time", async () => {
    const { queues, cleanup } = await openTestQueues();
    cleanups.push(cleanup);
    const metrics = createMetrics({ queues, defaultMetrics: false });
    const before = await metrics.text();
    expect(sample(before, "chant_bot_queue_jobs", { queue: "implement", state: "waiting" })).toBe(
      0,
    );
    expect(before).toContain("# TYPE chant_bot_redis_up gauge\n");
    expect(sample(before, "chant_bot_redis_up")).toBe(1);

    await enqueueImplement(queues, {
      installationId: 1,
      repo: { id: 42, owner: "octo", name: "demo" },
      target: 7,
      force: false,
      requestedBy: "maintainer",
      trigger: "label",
      deliveryId: "delivery-1",
    });
    const after = await metrics.text();
    expect(sample(after, "chant_bot_queue_jobs", { queue: "implement", state: "waiting" })).toBe(1);
    expect(sample(after, "chant_bot_queue_jobs", { queue: "checks", state: "waiting" })).toBe(0);
    for (const state of ["active", "delayed", "failed", "completed"]) {
      expect(sample(after, "chant_bot_queue_jobs", { queue: "implement", state })).toBe(0);
    }
  });

  it("still answers a scrape when Redis does not, with redis_up 0 and no stale counts", async () => {
    let hang = false;
    const queue: CountableQueue = {
      getJobCounts: (...states) =>
        hang
          ? new Promise(() => undefined)
          : Promise.resolve(Object.fromEntries(states.map((s) => [s, 3]))),
    };
    const metrics = createMetrics({ defaultMetrics: false, queueTimeoutMs: 100 });
    metrics.watchQueues({ implement: queue, checks: queue });
    const up = await metrics.text();
    expect(sample(up, "chant_bot_queue_jobs", { queue: "checks", state: "failed" })).toBe(3);
    hang = true;
    const started = Date.now();
    const down = await metrics.text();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(sample(down, "chant_bot_redis_up")).toBe(0);
    expect(sample(down, "chant_bot_queue_jobs")).toBeUndefined();
  });

  it("names status classes", () => {
    expect([200, 201, 304, 404, 422, 500, undefined, 42].map(statusClass)).toEqual([
      "2xx",
      "2xx",
      "3xx",
      "4xx",
      "4xx",
      "5xx",
      "error",
      "error",
    ]);
  });
});

describe("instrumentOctokit", () => {
  function octokit() {
    const Octokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
      ...options,
      retry: { enabled: false },
      throttle: { enabled: false },
    }));
    return new Octokit({ auth: "ghs_test", log: pino({ level: "silent" }) });
  }

  it("counts requests by method and status class and records the remaining rate limit", async () => {
    nock("https://api.github.com")
      .get("/repos/octo/demo")
      .reply(200, { id: 1 }, { "x-ratelimit-remaining": "4999", "x-ratelimit-resource": "core" })
      .post("/repos/octo/demo/issues/7/comments")
      .reply(
        403,
        { message: "Resource not accessible by integration" },
        { "x-ratelimit-remaining": "4998", "x-ratelimit-resource": "core" },
      )
      .post("/graphql")
      .reply(
        200,
        { data: {} },
        { "x-ratelimit-remaining": "4900", "x-ratelimit-resource": "graphql" },
      );
    const metrics = createMetrics({ defaultMetrics: false });
    const client = instrumentOctokit(octokit(), metrics);
    instrumentOctokit(client, metrics); // a second call must not count twice

    await client.rest.repos.get({ owner: "octo", repo: "demo" });
    // The error still reaches the caller.
    await expect(
      client.rest.issues.createComment({ owner: "octo", repo: "demo", issue_number: 7, body: "x" }),
    ).rejects.toMatchObject({ status: 403 });
    await client.graphql("query { viewer { login } }");

    const text = await metrics.text();
    const requests = "chant_bot_github_requests_total";
    expect(sample(text, requests, { method: "GET", status: "2xx" })).toBe(1);
    expect(sample(text, requests, { method: "POST", status: "4xx" })).toBe(1);
    expect(sample(text, requests, { method: "POST", status: "2xx" })).toBe(1);
    const remaining = "chant_bot_github_rate_limit_remaining";
    expect(sample(text, remaining, { resource: "core" })).toBe(4998);
    expect(sample(text, remaining, { resource: "graphql" })).toBe(4900);
  });
});
