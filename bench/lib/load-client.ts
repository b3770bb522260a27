import { createHmac, randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";

/** One signed delivery, ready to send: the body and its signature are made before the clock runs. */
export interface Delivery {
  event: string;
  body: Buffer;
  signature: string;
  /** X-GitHub-Delivery; a fresh uuid per request when absent. */
  id?: string;
}

export function signedDelivery(
  event: string,
  payload: unknown,
  secret: string,
  id?: string,
): Delivery {
  const body = Buffer.from(JSON.stringify(payload));
  const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  return { event, body, signature, ...(id ? { id } : {}) };
}

export interface LoadResult {
  requests: number;
  /** Answers by HTTP status; 0 = no answer (connection error or timeout). */
  statuses: Record<string, number>;
  latenciesMs: number[];
  wallMs: number;
  perSecond: number;
}

/**
 * A closed-loop load client: `concurrency` keep-alive connections, each
 * sending the next delivery as soon as the previous one is answered (as
 * GitHub's hookshot does per delivery). Time to response is measured from
 * the request being written to the whole answer being read.
 */
export async function runLoad(options: {
  url: string;
  concurrency: number;
  deliveries: (index: number) => Delivery;
  total: number;
  timeoutMs?: number;
}): Promise<LoadResult> {
  const url = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  const send = (delivery: Delivery) =>
    new Promise<number>((resolve) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          agent,
          timeout: options.timeoutMs ?? 30_000,
          headers: {
            "content-type": "application/json",
            "content-length": delivery.body.length,
            "user-agent": "GitHub-Hookshot/bench",
            "x-github-event": delivery.event,
            "x-github-delivery": delivery.id ?? randomUUID(),
            "x-github-hook-id": "1",
            "x-hub-signature-256": delivery.signature,
          },
        },
        (res) => {
          res.resume();
          res.once("end", () => resolve(res.statusCode ?? 0));
          res.once("error", () => resolve(0));
        },
      );
      req.once("timeout", () => req.destroy(new Error("timeout")));
      req.once("error", () => resolve(0));
      req.end(delivery.body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.total) {
        const delivery = options.deliveries(next++);
        const t0 = performance.now();
        const status = await send(delivery);
        latencies.push(performance.now() - t0);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  const wallMs = performance.now() - started;
  agent.destroy();
  return {
    requests: latencies.length,
    statuses,
    latenciesMs: latencies,
    wallMs,
    perSecond: (latencies.length / wallMs) * 1000,
  };
}
