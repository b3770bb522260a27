import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { noMutex } from "../../src/forge/github-forge.js";
import { ChantQueues } from "../../src/queue/chant-queues.js";
import { createWebServer } from "../../src/web/http-server.js";
import { MAX_WEBHOOK_BYTES } from "../../src/web/webhook-guard.js";
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
    api.get(/\/issues\/42\/comments/).reply(200, []);
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
