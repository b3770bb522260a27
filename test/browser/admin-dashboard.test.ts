import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChantQueues } from "../../src/queue/chant-queues.js";
import { enqueueImplement } from "../../src/queue/enqueue.js";
import type { Route } from "../../src/web/http-server.js";
import { adminDashboardRoute } from "../../src/web/routes/admin-dashboard.js";
import { openTestQueues } from "../support/redis.js";
import { serveRoutes } from "../web/routes/serve-routes.js";

/**
 * The queue dashboard in a real headless Chromium: Debian's `chromium`
 * package, driven by playwright-core (no browser download).
 * scripts/install-test-deps.sh installs it (as root or with sudo), or says how;
 * .ci/run uses Playwright's build where apt has none (Ubuntu). A missing browser
 * fails this file.
 */
const CHROMIUM = process.env.CHANT_CHROMIUM_PATH ?? "/usr/bin/chromium";
const USER = "operator";
const PASSWORD = "correct horse battery staple";

let browser: Browser;
let queues: ChantQueues;
let dashboard: string;
let jobId: string;
const answered: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the queue dashboard's browser test needs it. ` +
        "Install it with `bash scripts/install-test-deps.sh` as root or with sudo (apt-get install -y chromium), " +
        "or set CHANT_CHROMIUM_PATH to a Chromium binary.",
    );
  }
  const opened = await openTestQueues();
  queues = opened.queues;
  cleanups.push(() => opened.cleanup());
  const queued = await enqueueImplement(queues, {
    installationId: 1,
    repo: { id: 4242, owner: "octo", name: "demo" },
    target: 17,
    force: false,
    requestedBy: "maintainer",
    trigger: "comment",
    deliveryId: "browser-test-delivery",
  });
  jobId = queued.jobId;

  const route = adminDashboardRoute({ queues, user: USER, password: PASSWORD });
  if (!route) throw new Error("the dashboard route was not created");
  // Every status the dashboard answered, as the server sent it (not the favicon's 404).
  const recording: Route = (req, res, url) => {
    if (url.pathname.startsWith("/admin/queues")) {
      res.on("finish", () => answered.push(`${res.statusCode} ${url.pathname}`));
    }
    return route(req, res, url);
  };
  const web = await serveRoutes([recording]);
  cleanups.push(() => web.close());
  dashboard = `${web.url}/admin/queues`;

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: 15_000,
  });
  cleanups.push(() => browser.close());
}, 30_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe("the queue dashboard in Chromium", () => {
  it("loads with credentials and shows both queues", async () => {
    const context = await browser.newContext({
      httpCredentials: { username: USER, password: PASSWORD },
    });
    try {
      const page = await context.newPage();
      const response = await page.goto(dashboard);
      expect(response?.status()).toBe(200);
      expect(await page.title()).toContain("chant-bot");
      for (const name of ["implement", "checks"]) {
        await page.getByRole("link", { name, exact: true }).first().waitFor({ timeout: 10_000 });
      }
    } finally {
      await context.close();
    }
  });

  it("shows the job the test enqueued on the implement queue's page", async () => {
    const context = await browser.newContext({
      httpCredentials: { username: USER, password: PASSWORD },
    });
    try {
      const page = await context.newPage();
      await page.goto(`${dashboard}/queue/implement`);
      await page.getByText(jobId).first().waitFor({ timeout: 10_000 });
      expect(await page.content()).toContain(jobId);
    } finally {
      await context.close();
    }
  });

  // Chromium either shows the 401 page or gives up with ERR_INVALID_AUTH_CREDENTIALS (it varies
  // with how Playwright answers the auth challenge); what the server answered is what counts.
  for (const [what, httpCredentials] of [
    ["without credentials", undefined],
    ["with a wrong password", { username: USER, password: "wrong" }],
    ["with a wrong user", { username: "admin", password: PASSWORD }],
  ] as const) {
    it(`answers 401 ${what}`, async () => {
      const context = await browser.newContext(httpCredentials ? { httpCredentials } : {});
      try {
        const page = await context.newPage();
        answered.length = 0;
        const response = await page.goto(dashboard).catch((error: Error) => error);
        if (response instanceof Error) {
          expect(response.message).toMatch(/ERR_INVALID_AUTH_CREDENTIALS/);
        } else {
          expect(response?.status()).toBe(401);
          expect(await response?.headerValue("www-authenticate")).toBe('Basic realm="chant-bot"');
          expect(await page.content()).not.toContain(jobId);
        }
        expect(answered.length).toBeGreaterThan(0);
        expect(answered.filter((a) => !a.startsWith("401 "))).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }
});
