import { afterEach, describe, expect, it } from "vitest";
import { adminDashboardRoute } from "../../../src/web/routes/admin-dashboard.js";
import { openTestQueues } from "../../support/redis.js";
import { serveRoutes } from "./serve-routes.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` };
}

describe("the queue dashboard route", () => {
  it("is not served unless both CHANT_ADMIN_USER and CHANT_ADMIN_PASSWORD are set", async () => {
    const { queues, cleanup } = await openTestQueues();
    cleanups.push(cleanup);
    expect(adminDashboardRoute({ queues, user: undefined, password: undefined })).toBeUndefined();
    expect(adminDashboardRoute({ queues, user: "admin", password: "" })).toBeUndefined();
    expect(adminDashboardRoute({ queues, user: "", password: "pw" })).toBeUndefined();
  });

  it("answers 401 with a Basic challenge without or with wrong credentials, and serves Bull Board with them", async () => {
    const { queues, cleanup } = await openTestQueues();
    cleanups.push(cleanup);
    const route = adminDashboardRoute({ queues, user: "admin", password: "pä:ss word" });
    const web = await serveRoutes([route!]);
    cleanups.push(() => web.close());
    const page = `${web.url}/admin/queues`;

    for (const headers of [
      {},
      basic("admin", "wrong"),
      basic("Admin", "pä:ss word"),
      basic("admin", "pä:ss wor"),
      { authorization: "Bearer pä:ss word" },
      { authorization: "Basic !!!" },
    ]) {
      const res = await fetch(page, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Basic realm="chant-bot"');
    }
    // The API behind the page is guarded the same way.
    expect((await fetch(`${page}/api/queues`)).status).toBe(401);

    const ok = await fetch(page, { headers: basic("admin", "pä:ss word") });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/^text\/html/);
    expect(ok.headers.get("cache-control")).toBe("no-store");
    expect(ok.headers.get("x-powered-by")).toBeNull();
    expect(await ok.text()).toContain("chant-bot");

    const api = await fetch(`${page}/api/queues`, { headers: basic("admin", "pä:ss word") });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual(["checks", "implement"]);
    expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);

    // Paths that only start the same way are not the dashboard's.
    expect((await fetch(`${web.url}/admin/queuesx`)).status).toBe(404);
  });

  it("refuses write actions in read-only mode", async () => {
    const { queues, cleanup } = await openTestQueues();
    cleanups.push(cleanup);
    const web = await serveRoutes([adminDashboardRoute({ queues, user: "a", password: "b" })!]);
    cleanups.push(() => web.close());
    const res = await fetch(`${web.url}/admin/queues/api/queues/implement/pause`, {
      method: "PUT",
      headers: basic("a", "b"),
    });
    expect(res.status).toBe(405);
    expect(await res.json()).toEqual({ error: { key: "ERRORS.QUEUE_READ_ONLY" } });
    expect(await queues.implement.isPaused()).toBe(false);
  });
});
