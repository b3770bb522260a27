import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { request, type Server } from "node:http";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { noMutex } from "../../src/forge/status-comment-store.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { ChantQueues } from "../../src/queue/chant-queues.js";
import { createWebServer } from "../../src/web/http-server.js";
import { InflightBudget, MAX_WEBHOOK_BYTES } from "../../src/web/webhook-guard.js";
import {
  githubApi,
  mockConfig,
  mockPermission,
  testProbot,
  WEBHOOK_SECRET,
} from "../support/probot.js";
import { deleteKeys, testQueueSettings } from "../support/redis.js";
import { TcpProxy } from "../support/tcp-proxy.js";
import { issueLabeled, newDeliveryId, sign } from "../support/webhooks.js";

let server: Server;
let url: string;
let queues: ChantQueues;
let proxy: TcpProxy;
const settings = testQueueSettings();

beforeEach(async () => {
  // Redis behind a proxy the test can cut.
  proxy = new TcpProxy("127.0.0.1", 6379);
  await proxy.start();
  queues = await ChantQueues.open({ ...settings, redisUrl: proxy.url });
  const probot = await testProbot({ queues, appId: 12345, mutex: noMutex });
  server = createWebServer({
    probot,
    webhookSecret: WEBHOOK_SECRET,
    log: pino({ level: "silent" }),
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  await queues.close();
  await proxy.stop();
  await deleteKeys(settings.prefix);
});

function post(body: string, headers: Record<string, string | undefined> = {}) {
  const all: Record<string, string> = {
    "content-type": "application/json",
    "x-github-event": "issues",
    "x-github-delivery": newDeliveryId(),
    "x-hub-signature-256": sign(WEBHOOK_SECRET, body),
  };
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) delete all[k];
    else all[k] = v;
  }
  return fetch(url, { method: "POST", headers: all, body });
}

const botLabel = JSON.stringify(issueLabeled({ sender: { login: "x[bot]", type: "Bot" } }));

describe("the webhook endpoint, over real HTTP", () => {
  it("accepts a correctly signed delivery", async () => {
    const res = await post(botLabel);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it("refuses a wrong signature (401), a missing one (400), a wrong content type (415)", async () => {
    expect(
      (await post(botLabel, { "x-hub-signature-256": sign("not-the-secret", botLabel) })).status,
    ).toBe(401);
    const missing = await post(botLabel, { "x-hub-signature-256": undefined });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: "missing headers: x-hub-signature-256" });
    expect(
      (await post(botLabel, { "content-type": "application/x-www-form-urlencoded" })).status,
    ).toBe(415);
  });

  it("refuses a body over 25 MiB with 413, without reading it all", async () => {
    const big = `{"x":"${"a".repeat(MAX_WEBHOOK_BYTES)}"}`;
    const res = await post(big);
    expect(res.status).toBe(413);
  });

  it("answers 400, not 500, to signed payloads that are not JSON or not the shape of the event", async () => {
    const notJson = await post("{nope");
    expect(notJson.status).toBe(400);
    const shapeless = JSON.stringify({ action: "labeled", sender: { login: "a", type: "User" } });
    const res = await post(shapeless);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /^payload is not a issues\.labeled event: `installation`/,
    );
    expect((await post("[1,2]")).status).toBe(400);
  });

  it("lets events it does not handle through with 200", async () => {
    const body = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 });
    expect((await post(body, { "x-github-event": "ping" })).status).toBe(200);
  });

  it("answers 503 within 2 s when Redis cannot take the job, and the redelivery works once it is back", async () => {
    const body = JSON.stringify(issueLabeled());
    const id = newDeliveryId();
    await proxy.cut();
    const started = Date.now();
    const res = await post(body, { "x-github-delivery": id });
    const elapsed = Date.now() - started;
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /^the job queue is unavailable/,
    );
    expect(elapsed).toBeLessThan(2500);

    await proxy.restore();
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (let i = 0; i < 50 && queues.redis.status !== "ready"; i++)
      await new Promise((r) => setTimeout(r, 100));
    const api = githubApi();
    mockConfig(api, undefined);
    mockPermission(api, "alice", "admin");
    api.post(/\/reactions$/).reply(201, {});
    api.post(/\/issues\/42\/comments$/).reply(201, { id: 1, html_url: "u" });
    const again = await post(body, { "x-github-delivery": id });
    expect(again.status).toBe(200);
    expect(await queues.implement.getJobs(["waiting"])).toHaveLength(1);
  });

  it("answers /ping and 404 elsewhere", async () => {
    const base = url.replace("/api/github/webhooks", "");
    expect(await (await fetch(`${base}/ping`)).text()).toBe("PONG");
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(url)).status).toBe(405);
  });
});

describe("metrics of refused deliveries", () => {
  it("1000 refused deliveries with made-up event names add a handful of series, not 1000", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const probot = await testProbot({ queues, appId: 12345, mutex: noMutex });
    const counted = createWebServer({
      probot,
      webhookSecret: WEBHOOK_SECRET,
      log: pino({ level: "silent" }),
      metrics,
    });
    await new Promise<void>((resolve) => counted.listen(0, "127.0.0.1", resolve));
    const target = `http://127.0.0.1:${(counted.address() as AddressInfo).port}/api/github/webhooks`;
    try {
      const body = JSON.stringify({ zen: "forged" });
      for (let batch = 0; batch < 10; batch++) {
        await Promise.all(
          Array.from({ length: 100 }, (_, i) => {
            const n = batch * 100 + i;
            // Names the guard takes as event names (then a bad signature), and names it does not.
            const event =
              n % 2 ? `ev_${randomBytes(6).toString("hex").replace(/\d/g, "_")}` : `x-${n}!`;
            return fetch(target, {
              method: "POST",
              headers: {
                "content-type": "application/json",
                "x-github-event": event,
                "x-github-delivery": newDeliveryId(),
                "x-hub-signature-256": sign("forged", body),
              },
              body,
            }).then((r) => r.status);
          }),
        );
      }
      const text = await metrics.text();
      const series = text
        .split("\n")
        .filter((l) => l.startsWith("chant_bot_webhook_deliveries_total{"));
      expect(series).toEqual([
        'chant_bot_webhook_deliveries_total{event="other",outcome="invalid"} 1000',
      ]);
    } finally {
      counted.closeAllConnections();
      await new Promise((resolve) => counted.close(resolve));
    }
  });
});

describe("unverified bodies: a cap on the bytes held across all requests", () => {
  const MiB = 1024 * 1024;

  /** POST with node:http: a declared length, or chunked; the answer, or how the connection ended. */
  function rawPost(
    target: string,
    body: Buffer,
    opts: { chunked?: boolean; event?: string; signature?: string } = {},
  ): Promise<{ status: number; retryAfter: string | undefined } | { error: string }> {
    return new Promise((resolve) => {
      const req = request(target, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": opts.event ?? "issues",
          "x-github-delivery": newDeliveryId(),
          "x-hub-signature-256": opts.signature ?? `sha256=${"0".repeat(64)}`,
          ...(opts.chunked ? {} : { "content-length": String(body.length) }),
        },
      });
      req.on("response", (res) => {
        res.resume();
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] }),
        );
      });
      req.on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? "error" }));
      if (!opts.chunked) {
        req.end(body);
        return;
      }
      // Chunked: 256 KiB at a time, so the server sees the body grow.
      let offset = 0;
      const next = () => {
        if (offset >= body.length) return req.end();
        const chunk = body.subarray(offset, offset + 256 * 1024);
        offset += chunk.length;
        if (req.write(chunk)) setImmediate(next);
        else req.once("drain", next);
      };
      next();
    });
  }

  async function guardedServer(budget: InflightBudget, bodyTimeoutMs?: number) {
    const probot = await testProbot({ queues, appId: 12345, mutex: noMutex });
    const guarded = createWebServer({
      probot,
      webhookSecret: WEBHOOK_SECRET,
      webhookInflightBytes: budget,
      webhookBodyTimeoutMs: bodyTimeoutMs,
      log: pino({ level: "silent" }),
    });
    await new Promise<void>((resolve) => guarded.listen(0, "127.0.0.1", resolve));
    const target = `http://127.0.0.1:${(guarded.address() as AddressInfo).port}/api/github/webhooks`;
    return {
      target,
      async close() {
        guarded.closeAllConnections();
        await new Promise((resolve) => guarded.close(resolve));
      },
    };
  }

  it("30 concurrent 24 MB unsigned bodies: never more than the cap held, the rest 503 with Retry-After", async () => {
    const budget = new InflightBudget(64 * MiB);
    const { target, close } = await guardedServer(budget);
    try {
      const body = Buffer.alloc(24 * 1000 * 1000, "a");
      const answers = await Promise.all(Array.from({ length: 30 }, () => rawPost(target, body)));
      const statuses = answers.map((a) => ("status" in a ? a.status : a.error));
      // The bytes held before verification stayed under the cap (24 MB x 2 fit in 64 MiB).
      expect(budget.peak).toBeLessThanOrEqual(64 * MiB);
      expect(budget.peak).toBeGreaterThan(0);
      // Those read in full were refused for their signature; the others were not read (how
      // many of each depends on how the 30 interleave, i.e. on the machine's load).
      const unsigned = statuses.filter((s) => s === 401).length;
      expect(unsigned).toBeGreaterThanOrEqual(1);
      expect(budget.refused).toBeGreaterThan(0);
      expect(unsigned + budget.refused).toBe(30);
      const busy = answers.filter((a) => "status" in a && a.status === 503);
      expect(busy.length).toBeGreaterThan(0);
      for (const a of busy) expect("retryAfter" in a && a.retryAfter).toBe("10");
      // Every other request ended with a 503 or a closed connection, nothing else.
      for (const s of statuses) expect([401, 503, "ECONNRESET", "EPIPE"]).toContain(s);
      // All given back: the next (signed) delivery is taken.
      expect(budget.bytes).toBe(0);
      const ok = JSON.stringify({ zen: "ok", hook_id: 1 });
      expect(
        await rawPost(target, Buffer.from(ok), {
          event: "ping",
          signature: sign(WEBHOOK_SECRET, ok),
        }),
      ).toEqual({ status: 200, retryAfter: undefined });
    } finally {
      await close();
    }
  });

  it("a body that trickles in holds the budget for the body timeout at most: 408, bytes given back", async () => {
    const budget = new InflightBudget(64 * MiB);
    const { target, close } = await guardedServer(budget, 500);
    try {
      const answer = new Promise<number>((resolve) => {
        const req = request(target, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-github-event": "issues",
            "x-github-delivery": newDeliveryId(),
            "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
            "content-length": String(20 * MiB),
          },
        });
        req.on("response", (res) => resolve(res.statusCode ?? 0));
        req.on("error", () => resolve(-1));
        req.write(Buffer.alloc(4 * MiB, "c")); // then nothing more
      });
      for (let i = 0; i < 50 && budget.bytes < 4 * MiB; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(budget.bytes).toBe(4 * MiB);
      expect(await answer).toBe(408);
      expect(budget.bytes).toBe(0);
    } finally {
      await close();
    }
  });

  it("a declared length that does not fit what is left is refused unread", async () => {
    const budget = new InflightBudget(25 * MiB);
    expect(budget.take(20 * MiB)).toBe(true); // held by someone else
    const { target, close } = await guardedServer(budget);
    try {
      const answer = await rawPost(target, Buffer.alloc(10 * MiB, "d"));
      expect("status" in answer ? answer.status : answer.error).toBe(503);
      expect(budget.peak).toBe(20 * MiB);
    } finally {
      await close();
    }
  });

  it("chunked bodies (no declared length) are counted as they arrive", async () => {
    const budget = new InflightBudget(25 * MiB);
    const { target, close } = await guardedServer(budget);
    try {
      const body = Buffer.alloc(10 * MiB, "b");
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => rawPost(target, body, { chunked: true })),
      );
      expect(budget.peak).toBeLessThanOrEqual(25 * MiB);
      expect(budget.refused).toBeGreaterThan(0);
      for (const a of answers) expect("status" in a ? a.status : a.error).not.toBe(200);
      expect(budget.bytes).toBe(0);
    } finally {
      await close();
    }
  });
});
