import { afterEach, describe, expect, it } from "vitest";
import type { AgentStatus } from "../../../src/domain/health.js";
import { ChantQueues } from "../../../src/queue/chant-queues.js";
import {
  checkReadiness,
  checkRedisForBullMQ,
  healthRoutes,
  type RedisCommands,
} from "../../../src/web/routes/health.js";
import { deleteKeys, openTestQueues, testQueueSettings } from "../../support/redis.js";
import { TcpProxy } from "../../support/tcp-proxy.js";
import { serveRoutes } from "./serve-routes.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("GET /healthz and /readyz", () => {
  it("answers ok while the process is alive and Redis answers", async () => {
    const { queues, cleanup } = await openTestQueues();
    cleanups.push(cleanup);
    const web = await serveRoutes(healthRoutes({ queues }));
    cleanups.push(() => web.close());

    const health = await fetch(`${web.url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers.get("content-type")).toBe("application/json");
    expect(await health.json()).toEqual({ status: "ok" });

    const ready = await fetch(`${web.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ok" });

    expect((await fetch(`${web.url}/readyz`, { method: "HEAD" })).status).toBe(200);
    const post = await fetch(`${web.url}/healthz`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    // Other paths are left to the server.
    expect((await fetch(`${web.url}/nothing`)).status).toBe(404);
  });

  it("names a worker's agent; its credential trouble is a 503 on a worker alone, a note where webhooks arrive", async () => {
    const { queues, cleanup } = await openTestQueues();
    cleanups.push(cleanup);
    let status: AgentStatus = { ready: true, agent: "codex 0.171.0" };
    const worker = await serveRoutes(
      healthRoutes({ queues, agent: () => status, agentGatesReadiness: true }),
    );
    const both = await serveRoutes(
      healthRoutes({ queues, agent: () => status, agentGatesReadiness: false }),
    );
    cleanups.push(
      () => worker.close(),
      () => both.close(),
    );
    expect(await (await fetch(`${worker.url}/readyz`)).json()).toEqual({
      status: "ok",
      agent: "codex 0.171.0",
    });
    status = {
      ready: false,
      agent: "codex 0.171.0",
      reason: "the last run failed on its credentials: 401",
    };
    const refused = await fetch(`${worker.url}/readyz`);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({
      status: "unavailable",
      reason: "agent codex 0.171.0: the last run failed on its credentials: 401",
      agent: "codex 0.171.0",
      agentProblem: "the last run failed on its credentials: 401",
    });
    const reported = await fetch(`${both.url}/readyz`);
    expect(reported.status).toBe(200);
    expect(await reported.json()).toMatchObject({ status: "ok", agentProblem: expect.any(String) });
  });

  it("answers 503 saying which Redis did not answer once the connection is cut, 200 again after", async () => {
    const settings = testQueueSettings();
    const proxy = new TcpProxy("127.0.0.1", 6379);
    await proxy.start();
    const redisUrl = proxy.url.replace("redis://", "redis://chant:s3cret-pass@");
    // The proxy forwards to a Redis without auth: the password only has to stay out of messages.
    const queues = await ChantQueues.open({ ...settings, redisUrl: proxy.url });
    cleanups.push(
      () => deleteKeys(settings.prefix),
      () => proxy.stop(),
      () => queues.close(),
    );
    const web = await serveRoutes(healthRoutes({ queues, redisUrl }));
    cleanups.push(() => web.close());

    expect((await fetch(`${web.url}/readyz`)).status).toBe(200);

    await proxy.cut();
    const started = Date.now();
    const down = await fetch(`${web.url}/readyz`);
    const elapsed = Date.now() - started;
    expect(down.status).toBe(503);
    const body = (await down.json()) as { status: string; reason: string };
    expect(body.status).toBe("unavailable");
    expect(body.reason).toMatch(
      new RegExp(
        `^Redis at redis://chant:\\*\\*\\*@127\\.0\\.0\\.1:${proxy.port}/? did not answer: .+`,
      ),
    );
    expect(body.reason).not.toContain("s3cret-pass");
    expect(elapsed).toBeLessThan(1500);
    // Liveness does not depend on Redis: the container is not restarted for a Redis outage.
    expect((await fetch(`${web.url}/healthz`)).status).toBe(200);

    await proxy.restore();
    await expect
      .poll(async () => (await fetch(`${web.url}/readyz`)).status, {
        timeout: 10_000,
        interval: 100,
      })
      .toBe(200);
  });

  it("names the connection without credentials when no URL is given, and reports a closed queue", async () => {
    const settings = testQueueSettings();
    const proxy = new TcpProxy("127.0.0.1", 6379);
    await proxy.start();
    const queues = await ChantQueues.open({ ...settings, redisUrl: proxy.url });
    cleanups.push(
      () => deleteKeys(settings.prefix),
      () => proxy.stop(),
      () => queues.close(),
    );

    await queues.checks.close();
    expect(await checkReadiness({ queues })).toEqual({
      ready: false,
      reason: "the checks queue is closed",
    });

    await proxy.cut();
    const readiness = await checkReadiness({ queues, timeoutMs: 300 });
    expect(readiness.ready).toBe(false);
    expect(!readiness.ready && readiness.reason).toMatch(
      new RegExp(`^Redis at redis://127\\.0\\.0\\.1:${proxy.port}/ did not answer: `),
    );
  });
});

describe("checkRedisForBullMQ", () => {
  it('reports that the test Redis keeps nothing on disk (it runs with save "" and appendonly no)', async () => {
    const { queues, cleanup } = await openTestQueues();
    cleanups.push(cleanup);
    const policy = (await queues.redis.call("CONFIG", "GET", "maxmemory-policy")) as string[];
    const warnings = await checkRedisForBullMQ(queues.redis);

    expect(warnings.some((w) => w.startsWith("Redis keeps nothing on disk"))).toBe(true);
    const evictionWarning = warnings.some((w) =>
      w.includes("BullMQ can lose jobs: set maxmemory-policy noeviction"),
    );
    expect(evictionWarning).toBe(policy[1] !== "noeviction");
  });

  function fakeRedis(
    config: Record<string, string> | "disabled",
    info: Record<string, string> = {},
  ) {
    const redis: RedisCommands = {
      async call(command, ...args) {
        if (command === "CONFIG") {
          if (config === "disabled") throw new Error("ERR unknown command 'CONFIG'");
          const name = args[1] ?? "";
          return name in config ? [name, config[name]] : [];
        }
        if (command === "INFO") return info[args[0] ?? ""] ?? "";
        throw new Error(`unexpected ${command}`);
      },
    };
    return redis;
  }

  it("is quiet about a Redis set up for BullMQ", async () => {
    const redis = fakeRedis({ "maxmemory-policy": "noeviction", appendonly: "yes", save: "" });
    expect(await checkRedisForBullMQ(redis)).toEqual([]);
  });

  it("warns about an evicting policy and snapshots only", async () => {
    const redis = fakeRedis({
      "maxmemory-policy": "allkeys-lru",
      appendonly: "no",
      save: "3600 1 300 100",
    });
    expect(await checkRedisForBullMQ(redis)).toEqual([
      "Redis's maxmemory-policy is allkeys-lru: BullMQ can lose jobs: set maxmemory-policy noeviction",
      'Redis only takes snapshots (save "3600 1 300 100", appendonly no): jobs queued since the last snapshot are lost if Redis stops; appendonly yes is safer',
    ]);
  });

  it("reads INFO where CONFIG is disabled, and says what it could not read", async () => {
    const managed = fakeRedis("disabled", {
      memory: "# Memory\r\nused_memory:1000\r\nmaxmemory_policy:volatile-lru\r\n",
      persistence: "# Persistence\r\naof_enabled:1\r\n",
    });
    expect(await checkRedisForBullMQ(managed)).toEqual([
      "Redis's maxmemory-policy is volatile-lru: BullMQ can lose jobs: set maxmemory-policy noeviction",
    ]);

    const opaque = fakeRedis("disabled");
    const warnings = await checkRedisForBullMQ(opaque);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      /^could not read Redis's maxmemory-policy \(CONFIG GET maxmemory-policy failed: ERR unknown command 'CONFIG'\); make sure it is noeviction/,
    );
    expect(warnings[1]).toMatch(/^could not read Redis's persistence settings .*appendonly yes/);
  });
});
