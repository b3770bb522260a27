/** Webhook deliveries the way GitHub sends them: signed raw JSON with GitHub's headers. */
import { createHmac, randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";

export interface DeliverOptions {
  /** X-GitHub-Delivery; a random uuid by default (redeliveries reuse the id). */
  id?: string;
  /** Signing secret; the stand-in's webhook secret by default. */
  secret?: string;
  /** GitHub gives up on a delivery after 10 s. */
  timeoutMs?: number;
  /** Extra or overriding headers (e.g. a bad signature). */
  headers?: Record<string, string>;
}

export interface DeliveryResult {
  id: string;
  /** 0 when the app did not answer within the timeout. */
  status: number;
  body: string;
  durationMs: number;
  timedOut: boolean;
}

/** `sha256=` + hex HMAC-SHA256 of the raw body, as in X-Hub-Signature-256. */
export function signPayload(secret: string, rawBody: string): string {
  return `sha256=${createHmac("sha256", secret).update(rawBody).digest("hex")}`;
}

export async function deliverWebhook(
  appUrl: string,
  event: string,
  payload: unknown,
  options: DeliverOptions & { secret: string; appId: number },
): Promise<DeliveryResult> {
  const id = options.id ?? randomUUID();
  const rawBody = JSON.stringify(payload);
  const started = performance.now();
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/fake-github",
    "x-github-event": event,
    "x-github-delivery": id,
    "x-github-hook-id": "1",
    "x-github-hook-installation-target-id": String(options.appId),
    "x-github-hook-installation-target-type": "integration",
    "x-hub-signature-256": signPayload(options.secret, rawBody),
    ...options.headers,
  };
  try {
    const response = await fetch(appUrl, {
      method: "POST",
      headers,
      body: rawBody,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const body = await response.text();
    return {
      id,
      status: response.status,
      body,
      durationMs: performance.now() - started,
      timedOut: false,
    };
  } catch (error) {
    if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
      return { id, status: 0, body: "", durationMs: performance.now() - started, timedOut: true };
    }
    throw error;
  }
}
