import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChantQueues } from "../../src/queue/chant-queues.js";
import {
  activeImplementJob,
  claimDelivery,
  enqueueChecks,
  enqueueImplement,
  isCancelRequested,
  lastImplementJob,
  releaseDelivery,
  requestCancel,
} from "../../src/queue/enqueue.js";
import type { ImplementJob } from "../../src/queue/job-data.js";
import { openTestQueues, TEST_REDIS_URL } from "../support/redis.js";
import { newDeliveryId, REPO } from "../support/webhooks.js";

let queues: ChantQueues;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ queues, cleanup } = await openTestQueues());
});
afterEach(async () => cleanup());

function job(overrides: Partial<ImplementJob> = {}): ImplementJob {
  return {
    installationId: 1,
    repo: REPO,
    target: 42,
    issueNumber: 42,
    force: false,
    requestedBy: "alice",
    trigger: "label",
    deliveryId: newDeliveryId(),
    ...overrides,
  };
}

async function count() {
  return (
    await queues.implement.getJobs([
      "waiting",
      "active",
      "delayed",
      "prioritized",
      "completed",
      "failed",
    ])
  ).length;
}

/** What a webhook handler does with a delivery: claim it once, then enqueue. */
async function handleDelivery(data: ImplementJob) {
  if (!(await claimDelivery(queues, data.deliveryId))) return "duplicate";
  return (await enqueueImplement(queues, data)).outcome;
}

describe("enqueue (real Redis)", () => {
  it("the same delivery 10 times in a row makes exactly one job", async () => {
    const data = job();
    const outcomes = [];
    for (let i = 0; i < 10; i++) outcomes.push(await handleDelivery(data));
    expect(outcomes).toEqual(["queued", ...Array(9).fill("duplicate")]);
    expect(await count()).toBe(1);
  });

  it("the same delivery 10 times concurrently makes exactly one job", async () => {
    const data = job();
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => handleDelivery(data)));
    expect(outcomes.filter((o) => o === "queued")).toHaveLength(1);
    expect(await count()).toBe(1);
  });

  it("even without the delivery record, the same delivery enqueued 10 times concurrently is one job", async () => {
    const data = job();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => enqueueImplement(queues, data)),
    );
    expect(new Set(results.map((r) => r.jobId)).size).toBe(1);
    expect(await count()).toBe(1);
  });

  it("a label and a comment for the same issue give one active job; the second is told", async () => {
    const label = await enqueueImplement(queues, job({ trigger: "label" }));
    const comment = await enqueueImplement(queues, job({ trigger: "comment", requestedBy: "bob" }));
    expect(label).toMatchObject({ outcome: "queued", position: 1 });
    expect(comment).toEqual({
      outcome: "already",
      jobId: label.jobId,
      state: "waiting",
      position: 1,
    });
    expect(await count()).toBe(1);
    // Another issue is its own job.
    expect((await enqueueImplement(queues, job({ target: 43, issueNumber: 43 }))).outcome).toBe(
      "queued",
    );
  });

  it("after the job finished, a new request makes a new job, and a redelivery of the old one does not", async () => {
    const first = job();
    await handleDelivery(first);
    const [queued] = await queues.implement.getJobs(["waiting"]);
    await queued!.remove(); // as if it had finished
    await queues.implement.removeDeduplicationKey(`impl-${REPO.id}-42`);
    expect(await handleDelivery(first)).toBe("duplicate");
    expect(await handleDelivery(job())).toBe("queued");
  });

  it("a delivery whose handling failed can be handled when redelivered", async () => {
    const data = job();
    expect(await claimDelivery(queues, data.deliveryId)).toBe(true);
    await releaseDelivery(queues, data.deliveryId);
    expect(await handleDelivery(data)).toBe("queued");
  });

  it("remembers the last job for /chant retry, and finds the active one for /chant cancel", async () => {
    const data = job({ explicitSpec: "2026-01-28-001-res" });
    const { jobId } = await enqueueImplement(queues, data);
    expect(await lastImplementJob(queues, REPO.id, 42)).toEqual(data);
    const active = await activeImplementJob(queues, REPO.id, 42);
    expect(active?.id).toBe(jobId);
    expect(await requestCancel(queues, active!)).toBe("removed");
    expect(await activeImplementJob(queues, REPO.id, 42)).toBeUndefined();
    expect(await count()).toBe(0);
  });

  it("flags a running job for cancellation and tells the workers", async () => {
    const { jobId } = await enqueueImplement(queues, job());
    const subscriber = new Redis(TEST_REDIS_URL);
    const heard = new Promise<string>((resolve) =>
      subscriber.on("message", (_c, message) => resolve(message)),
    );
    await subscriber.subscribe(queues.key("cancel"));
    const active = (await activeImplementJob(queues, REPO.id, 42))!;
    // Move it to active the way a worker would.
    const worker = new Worker(queues.implement.name, () => new Promise(() => undefined), {
      connection: new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null }),
      prefix: queues.prefix,
      autorun: false,
    });
    const taken = await worker.getNextJob("test-token");
    expect(taken?.id).toBe(jobId);
    expect(await requestCancel(queues, active)).toBe("signalled");
    expect(await heard).toBe(jobId);
    expect(await isCancelRequested(queues, jobId)).toBe(true);
    await worker.close(true);
    subscriber.disconnect();
  });

  it("checks: one job per sha at a time, and only the named checks when asked", async () => {
    const base = {
      installationId: 1,
      repo: REPO,
      headSha: "a".repeat(40),
      reason: "rerequested" as const,
      requestedBy: "alice",
    };
    const first = await enqueueChecks(queues, {
      ...base,
      only: ["chant/lint"],
      deliveryId: newDeliveryId(),
    });
    const again = await enqueueChecks(queues, { ...base, deliveryId: newDeliveryId() });
    expect(first.outcome).toBe("queued");
    expect(again).toMatchObject({ outcome: "already", jobId: first.jobId });
    expect(
      (
        await enqueueChecks(queues, {
          ...base,
          headSha: "b".repeat(40),
          deliveryId: newDeliveryId(),
        })
      ).outcome,
    ).toBe("queued");
  });

  it("refuses job data that holds anything but ids (zod)", async () => {
    await expect(enqueueImplement(queues, { ...job(), installationId: -1 })).rejects.toThrow();
    await expect(
      enqueueChecks(queues, {
        installationId: 1,
        repo: REPO,
        headSha: "main",
        reason: "push",
        requestedBy: "a",
        deliveryId: "d",
      }),
    ).rejects.toThrow();
  });
});
