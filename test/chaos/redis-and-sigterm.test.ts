import { describe, expect, it } from "vitest";
import { alive, ChaosStack, REPO, type ServingProcess } from "../support/chaos-stack.js";
import { OwnRedis } from "../support/redis-server.js";

const WEBHOOKS = "/api/github/webhooks";

describe.concurrent("Redis dies, a worker is told to stop", { timeout: 150_000 }, () => {
  it("kill -9 of Redis during a job, then Redis again: web and worker reconnect by themselves, nothing is lost", async () => {
    const redis = new OwnRedis();
    await redis.start();
    const stack = await ChaosStack.start({ redisUrl: redis.url });
    try {
      stack.holdAgent();
      const web = await stack.spawnWeb();
      const worker = await stack.spawnWorker();
      const label = stack.fake.payloads.issuesLabeled({
        repo: REPO,
        issue: 42,
        label: "chant:implement",
        sender: "alice",
      });
      const delivered = await stack.fake.deliver(`${web.url}${WEBHOOKS}`, "issues", label);
      expect(delivered.status).toBe(200);
      await stack.agentStarted(1);

      await redis.kill9();
      await stack.until(
        async () => (await ready(web)) === 503 && (await ready(worker)) === 503,
        "web and worker to notice that Redis is gone",
      );
      // Longer than the job's lock (2 s): it has expired when Redis is back.
      await new Promise((r) => setTimeout(r, 4000));
      await redis.start();
      await stack.until(
        async () => (await ready(web)) === 200 && (await ready(worker)) === 200,
        "web and worker to be ready again",
      );
      stack.releaseAgent();
      // The test's own connection (it fails fast, as a producer's must) reconnects too.
      await stack.until(
        () =>
          stack.queues.redis.ping().then(
            () => true,
            () => false,
          ),
        "the test's own Redis connection to be back",
      );

      // The job acknowledged before the crash is still there, and completes.
      const [job] = await stack.queues.implement.getJobs(["active", "waiting", "completed"]);
      expect(job?.id).toBeDefined();
      await stack.expectExactlyOnce(job!.id!);
      // Redis was away longer than the job's lock: the job was taken up again, and that
      // second run found the first one's work on GitHub and finished it without doubles.
      const done = await stack.queues.implement.getJob(job!.id!);
      expect([done?.stalledCounter, done?.attemptsStarted]).toEqual([1, 2]);
      expect(await stack.queues.implement.getJobCounts("completed", "failed")).toEqual({
        completed: 1,
        failed: 0,
      });
      // So is the record of the delivery: GitHub's redelivery of it is recognised and does nothing.
      const again = await stack.fake.deliver(`${web.url}${WEBHOOKS}`, "issues", label, {
        id: delivered.id,
      });
      expect(again.status).toBe(200);
      expect(await stack.queues.implement.getJobCounts("completed", "waiting", "active")).toEqual({
        completed: 1,
        waiting: 0,
        active: 0,
      });
      expect(web.child.exitCode).toBeNull();
      expect(worker.child.exitCode).toBeNull();
    } finally {
      await stack.stop();
      await redis.stop();
    }
  });

  it("SIGTERM while the agent runs past the grace period: the job goes back to the queue and another worker completes it", async () => {
    const stack = await ChaosStack.start();
    try {
      stack.holdAgent();
      const first = await stack.spawnWorker();
      const jobId = await stack.enqueue();
      const agent = await stack.agentStarted(1);
      await stack.spawnWorker();
      first.child.kill("SIGTERM");
      expect(await first.exited).toBe(0);
      expect(first.output()).toMatch(/returning them to the queue/);
      // Its agent was stopped with it (the whole process group), not left behind.
      expect(alive(agent.pid)).toBe(false);
      expect(alive(agent.child)).toBe(false);

      await stack.agentStarted(2);
      stack.releaseAgent();
      await stack.expectExactlyOnce(jobId);
      const job = await stack.queues.implement.getJob(jobId);
      // Started twice; going back to the queue was not counted as a failed attempt.
      expect([job?.attemptsStarted, job?.attemptsMade]).toEqual([2, 1]);
    } finally {
      await stack.stop();
    }
  });

  it("SIGTERM with a long grace period: the running job finishes in the stopping worker, once", async () => {
    const stack = await ChaosStack.start();
    try {
      stack.holdAgent();
      const first = await stack.spawnWorker({ CHANT_SHUTDOWN_GRACE_SECONDS: "60" });
      const jobId = await stack.enqueue();
      await stack.agentStarted(1);
      const second = await stack.spawnWorker();
      first.child.kill("SIGTERM");
      stack.releaseAgent();
      await stack.finished(jobId);
      expect(await first.exited).toBe(0);
      await stack.expectExactlyOnce(jobId);
      expect(stack.agentsStarted()).toHaveLength(1);
      // The second worker never ran it: the implementation job is not in its log.
      expect(second.output()).not.toContain(`"job":"${jobId}"`);
    } finally {
      await stack.stop();
    }
  });
});

async function ready(p: ServingProcess): Promise<number> {
  try {
    return (await fetch(`${p.url}/readyz`, { signal: AbortSignal.timeout(3000) })).status;
  } catch {
    return 0;
  }
}
