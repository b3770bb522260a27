import { afterEach, describe, expect, it } from "vitest";
import { createMetrics } from "../../../src/observability/metrics.js";
import { metricsRoute } from "../../../src/web/routes/metrics.js";
import { serveRoutes } from "./serve-routes.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("GET /metrics", () => {
  it("serves the registry in Prometheus text format", async () => {
    const metrics = createMetrics();
    metrics.delivery("issues", "accepted");
    const web = await serveRoutes([metricsRoute(metrics)]);
    cleanups.push(() => web.close());

    const res = await fetch(`${web.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    expect(text).toContain(
      'chant_bot_webhook_deliveries_total{event="issues",outcome="accepted"} 1',
    );
    expect(text).toContain("# TYPE process_cpu_user_seconds_total counter");
    expect((await fetch(`${web.url}/metrics`, { method: "POST" })).status).toBe(405);
  });

  it("wants the bearer token when CHANT_METRICS_TOKEN is set", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const web = await serveRoutes([metricsRoute(metrics, { token: "scrape-token" })]);
    cleanups.push(() => web.close());

    const without = await fetch(`${web.url}/metrics`);
    expect(without.status).toBe(401);
    expect(without.headers.get("www-authenticate")).toBe('Bearer realm="chant-bot"');
    const wrong = await fetch(`${web.url}/metrics`, {
      headers: { authorization: "Bearer scrape-tokem" },
    });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${web.url}/metrics`, {
      headers: { authorization: "Bearer scrape-token" },
    });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain("# TYPE chant_bot_webhook_deliveries_total counter");
  });

  it("serves without a token when the token is empty", async () => {
    const web = await serveRoutes([
      metricsRoute(createMetrics({ defaultMetrics: false }), { token: " " }),
    ]);
    cleanups.push(() => web.close());
    expect((await fetch(`${web.url}/metrics`)).status).toBe(200);
  });
});
