import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Probot } from "probot";
import { RedisUnavailableError } from "../queue/connection.js";
import { takeDeliveryNote, type DeliveryOutcome } from "./web-deps.js";
import { DEFAULT_INFLIGHT_BYTES, guardWebhook, InflightBudget } from "./webhook-guard.js";

export const DEFAULT_WEBHOOK_PATH = "/api/github/webhooks";

/** An extra route; answers true when it handled the request. */
export type Route = (
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
) => Promise<boolean> | boolean;

export interface WebServerOptions {
  /** Absent in a worker-only process: it serves health and metrics, not webhooks. */
  probot?: Probot | undefined;
  webhookSecret: string;
  webhookPath?: string;
  /**
   * Cap on the webhook body bytes held before their signature is checked,
   * across all requests (default 64 MiB); over it, deliveries get 503 with
   * `Retry-After`. Or a budget of one's own, to watch it (tests).
   */
  webhookInflightBytes?: number | InflightBudget | undefined;
  /** How long a webhook body may take to arrive (default 10 s): past it, 408. */
  webhookBodyTimeoutMs?: number | undefined;
  log: Logger;
  routes?: Route[];
  metrics?: { delivery(event: string, outcome: DeliveryOutcome): void } | undefined;
}

/**
 * The web process's HTTP server. Deliveries are guarded (size, signature,
 * shape) before Probot dispatches them; handlers run to completion before the
 * answer, so a job that could not be queued is a 5xx GitHub shows as failed.
 */
export function createWebServer(options: WebServerOptions): Server {
  const webhookPath = options.webhookPath ?? DEFAULT_WEBHOOK_PATH;
  const budget =
    options.webhookInflightBytes instanceof InflightBudget
      ? options.webhookInflightBytes
      : new InflightBudget(options.webhookInflightBytes ?? DEFAULT_INFLIGHT_BYTES);
  return createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      options.log.error({ err: error }, "unexpected error in the HTTP server");
      if (!res.headersSent) send(res, 500, { error: "internal error" });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === webhookPath && options.probot) return receive(req, res, options.probot);
    for (const route of options.routes ?? []) {
      if (await route(req, res, url)) return;
    }
    if (url.pathname === "/ping") {
      res.writeHead(200, { "content-type": "text/plain" }).end("PONG");
      return;
    }
    send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
  }

  async function receive(req: IncomingMessage, res: ServerResponse, probot: Probot): Promise<void> {
    const started = Date.now();
    const guard = await guardWebhook(req, options.webhookSecret, {
      budget,
      bodyTimeoutMs: options.webhookBodyTimeoutMs,
    });
    if (!guard.ok) {
      // The header is the sender's: metrics map names GitHub does not send to one label.
      const event = req.headers["x-github-event"];
      options.metrics?.delivery(typeof event === "string" ? event : "unknown", "invalid");
      options.log.warn(
        {
          status: guard.status,
          reason: guard.error,
          delivery: String(req.headers["x-github-delivery"] ?? "").slice(0, 100),
        },
        "webhook refused",
      );
      const unread = guard.status === 413 || guard.status === 503 || guard.status === 408;
      const headers: Record<string, string> = {};
      if (guard.retryAfter !== undefined) headers["retry-after"] = String(guard.retryAfter);
      // A body left unread is not drained: the connection is closed once the answer is out.
      if (unread) headers.connection = "close";
      send(res, guard.status, { error: guard.error }, headers);
      if (unread) res.once("finish", () => req.destroy());
      return;
    }
    const log = options.log.child({ delivery: guard.id, event: guard.name });
    try {
      await probot.receive({
        id: guard.id,
        name: guard.name,
        payload: guard.payload,
      } as Parameters<Probot["receive"]>[0]);
    } catch (error) {
      takeDeliveryNote(guard.id);
      options.metrics?.delivery(guard.name, "failed");
      const errors = error instanceof AggregateError ? error.errors : [error];
      const redisDown = errors.find((e) => e instanceof RedisUnavailableError);
      log.error(
        { err: error, ms: Date.now() - started },
        redisDown ? "delivery failed: Redis unavailable" : "delivery failed",
      );
      send(res, redisDown ? 503 : 500, {
        error: redisDown
          ? `the job queue is unavailable (${(redisDown as Error).message}); redeliver this delivery when it is back`
          : `handling failed; see the app's logs for delivery ${guard.id}`,
      });
      return;
    }
    log.debug({ ms: Date.now() - started }, "delivery handled");
    options.metrics?.delivery(guard.name, takeDeliveryNote(guard.id) ?? "accepted");
    send(res, 200, { ok: true });
  }
}

export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res
    .writeHead(status, { "content-type": "application/json", ...headers })
    .end(`${JSON.stringify(body)}\n`);
}
