import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import type { Queue } from "bullmq";
import express from "express";
import { send, type Route } from "../http-server.js";
import { basicCredentials, safeEqual } from "./credentials.js";

export const ADMIN_DASHBOARD_PATH = "/admin/queues";

export interface AdminDashboardOptions {
  queues: { implement: Queue; checks: Queue };
  /** CHANT_ADMIN_USER */
  user: string | undefined;
  /** CHANT_ADMIN_PASSWORD */
  password: string | undefined;
  /**
   * Default true: jobs can be looked at, not retried, removed, cleaned or
   * added. The dashboard sits behind basic auth, which a browser sends on
   * every request, so a write action is one forged request away; `/chant
   * retry` and `/chant cancel` are the way to act on a job.
   */
  readOnly?: boolean;
}

/**
 * Bull Board (the BullMQ ecosystem's dashboard) for both queues at
 * `/admin/queues`, behind HTTP basic auth. Undefined, so nothing is served,
 * unless both a user and a password are configured.
 */
export function adminDashboardRoute(options: AdminDashboardOptions): Route | undefined {
  const { user, password } = options;
  if (!user || !password) return undefined;
  const readOnlyMode = options.readOnly ?? true;

  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(ADMIN_DASHBOARD_PATH);
  createBullBoard({
    queues: [options.queues.implement, options.queues.checks].map(
      (queue) => new BullMQAdapter(queue, { readOnlyMode }),
    ),
    serverAdapter,
    options: { uiConfig: { boardTitle: "chant-bot" } },
  });
  const app = express();
  app.disable("x-powered-by");
  app.use(ADMIN_DASHBOARD_PATH, (_req, res, next) => {
    // Job data names repositories and people: not for shared caches, not framable.
    res.setHeader("cache-control", "no-store");
    res.setHeader("x-frame-options", "DENY");
    next();
  });
  const board = serverAdapter.getRouter() as express.Express;
  board.disable("x-powered-by");
  app.use(ADMIN_DASHBOARD_PATH, board);

  return (req, res, url) => {
    const path = url.pathname;
    if (path !== ADMIN_DASHBOARD_PATH && !path.startsWith(`${ADMIN_DASHBOARD_PATH}/`)) {
      return false;
    }
    const given = basicCredentials(req);
    // Both compared every time, so the answer takes as long whichever one is wrong.
    const userOk = safeEqual(given?.user ?? "", user);
    const passwordOk = safeEqual(given?.password ?? "", password);
    if (!given || !userOk || !passwordOk) {
      res.setHeader("www-authenticate", 'Basic realm="chant-bot"');
      send(res, 401, { error: "the queue dashboard needs a user and password" });
      return true;
    }
    app(req, res);
    return true;
  };
}
