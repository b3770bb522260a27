import { describe, expect, it } from "vitest";
import { readStatusState } from "../../src/domain/status.js";
import { ChaosStack, REPO, type ServingProcess } from "../support/chaos-stack.js";
import { TEST_REDIS_URL } from "../support/redis.js";
import { TcpProxy } from "../support/tcp-proxy.js";

const WEBHOOKS = "/api/github/webhooks";

/**
 * The real `chant-bot web` with its Redis behind a proxy the test cuts. A
 * delivery that cannot be queued must fail loudly and fast (GitHub marks it
 * failed and offers a redelivery), and every redelivery once Redis is back
 * must queue its job exactly once. The test itself reads the queue directly.
 */
describe.concurrent("deliveries while Redis is unreachable", { timeout: 120_000 }, () => {
  it("Redis down (connections refused): 5xx within 2 s; each redelivery queues its job exactly once", async () => {
    await withWeb(async ({ stack, web, proxy, deliveries }) => {
      await proxy.cut();
      await expectAllFailFast(stack, web, deliveries);
      await proxy.restore();
      await expectRedeliveriesQueueOnce(stack, web, deliveries);
    });
  });

  it("Redis partitioned (nothing answers): 5xx within 2 s; each redelivery queues its job exactly once", async () => {
    await withWeb(async ({ stack, web, proxy, deliveries }) => {
      proxy.freeze();
      await expectAllFailFast(stack, web, deliveries);
      await proxy.cut();
      await proxy.restore();
      await expectRedeliveriesQueueOnce(stack, web, deliveries);
    });
  });

  it("Redis lost in the middle of a delivery (after its id was recorded): the redelivery still queues the job", async () => {
    await withWeb(async ({ stack, web, proxy, deliveries }) => {
      const label = deliveries[0]!;
      // The handler has recorded the delivery id and asks GitHub for the sender's permission.
      const permission = stack.fake.holdNext(
        "GET /repos/{owner}/{repo}/collaborators/{user}/permission",
      );
      const pending = stack.fake.deliver(`${web.url}${WEBHOOKS}`, label.event, label.payload, {
        id: label.id,
      });
      await permission.reached;
      await proxy.cut();
      permission.release();
      const failed = await pending;
      expect(failed.status).toBe(503);
      await proxy.restore();
      // The web process could not forget the claim while Redis was away; it does once Redis
      // is back (and the claim would run out by itself within a minute).
      await stack.until(
        async () => (await stack.queues.redis.exists(stack.queues.key("delivery", label.id))) === 0,
        "the claim on the failed delivery to be released",
      );
      await expectRedeliveriesQueueOnce(stack, web, [label]);
    });
  });
});

interface Delivery {
  id: string;
  event: string;
  payload: unknown;
  issue: number;
}

async function withWeb(
  test: (world: {
    stack: ChaosStack;
    web: ServingProcess;
    proxy: TcpProxy;
    deliveries: Delivery[];
  }) => Promise<void>,
): Promise<void> {
  const stack = await ChaosStack.start();
  const url = new URL(TEST_REDIS_URL);
  const proxy = new TcpProxy(url.hostname, Number(url.port || 6379));
  await proxy.start();
  try {
    const web = await stack.spawnWeb({ CHANT_REDIS_URL: proxy.url });
    stack.fake.addIssue(REPO, { number: 43, title: "Another bug", user: "reporter" });
    const deliveries: Delivery[] = [
      {
        id: crypto.randomUUID(),
        event: "issues",
        issue: 42,
        payload: stack.fake.payloads.issuesLabeled({
          repo: REPO,
          issue: 42,
          label: "chant:implement",
          sender: "alice",
        }),
      },
      {
        id: crypto.randomUUID(),
        event: "issue_comment",
        issue: 43,
        payload: stack.fake.payloads.issueCommentCreated({
          repo: REPO,
          issue: 43,
          body: "/chant implement",
          user: "alice",
        }),
      },
    ];
    await test({ stack, web, proxy, deliveries });
  } finally {
    await proxy.stop();
    await stack.stop();
  }
}

async function expectAllFailFast(
  stack: ChaosStack,
  web: ServingProcess,
  deliveries: Delivery[],
): Promise<void> {
  for (const d of deliveries) {
    const result = await stack.fake.deliver(`${web.url}${WEBHOOKS}`, d.event, d.payload, {
      id: d.id,
    });
    expect(result.status, result.body).toBe(503);
    expect(result.durationMs).toBeLessThan(2000);
    expect(JSON.parse(result.body).error).toMatch(/job queue is unavailable.*redeliver/);
  }
  expect(await jobs(stack)).toEqual([]);
  // It says so to a load balancer, and it is still up.
  expect((await fetch(`${web.url}/readyz`)).status).toBe(503);
  expect(web.child.exitCode).toBeNull();
}

async function expectRedeliveriesQueueOnce(
  stack: ChaosStack,
  web: ServingProcess,
  deliveries: Delivery[],
): Promise<void> {
  await stack.until(
    async () => (await fetch(`${web.url}/readyz`)).status === 200,
    "the web process to be ready again",
  );
  // GitHub's redelivery, twice at once for good measure, then once more later.
  const redeliver = (d: Delivery) =>
    stack.fake.deliver(`${web.url}${WEBHOOKS}`, d.event, d.payload, { id: d.id });
  const first = await Promise.all(deliveries.flatMap((d) => [redeliver(d), redeliver(d)]));
  expect(first.map((r) => r.status)).toEqual(deliveries.flatMap(() => [200, 200]));
  const later = await Promise.all(deliveries.map(redeliver));
  expect(later.map((r) => r.status)).toEqual(deliveries.map(() => 200));

  expect(await jobs(stack)).toEqual(deliveries.map((d) => [d.issue, d.id]).sort());
  // The acknowledgement follows the answer (Probot spaces the writes a second apart).
  const bots = (issue: number) =>
    stack.fake.comments(REPO, issue).filter((c) => c.user.type === "Bot");
  for (const d of deliveries) {
    await stack.until(() => bots(d.issue).length > 0, `the status comment on #${d.issue}`, 30_000);
    const comments = bots(d.issue);
    expect(comments).toHaveLength(1);
    expect(readStatusState(comments[0]!.body)?.phase).toBe("queued");
  }
}

/** [target, delivery id] of every implementation job in the queue. */
async function jobs(stack: ChaosStack): Promise<[number, string][]> {
  const all = await stack.queues.implement.getJobs(["waiting", "active", "completed", "failed"]);
  return all.map((j): [number, string] => [j.data.target, j.data.deliveryId]).sort();
}
