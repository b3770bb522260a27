import { RateLimitedError } from "../../domain/errors.js";
import type { Logger } from "pino";
import type { Octokit } from "./octokit.js";

/**
 * The ONE rate-limit policy of every Octokit of the app, configured here:
 *
 * - the throttling plugin spaces writes (as GitHub asks) and retries nothing:
 *   Probot's own handlers would retry a primary limit twice and ignore a
 *   secondary one, on top of what follows;
 * - the retry plugin retries server errors only (it would try a 429 again
 *   after 1, 4 and 9 s whatever `retry-after` says);
 * - a job's requests wait out rate limits (waitOutRateLimits, below): as long
 *   as GitHub asks, abortable, bounded. The web process does not wait: it must
 *   answer within GitHub's 10 s, and its acknowledgements are best effort.
 */
export const OCTOKIT_RETRY_OPTIONS = { doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] };

/** Octokit instance options with the policy applied (for `ProbotOctokit.defaults(fn)`). */
export function withRateLimitPolicy(options: Record<string, unknown>): Record<string, unknown> {
  const throttle = (options.throttle ?? {}) as Record<string, unknown>;
  return {
    ...options,
    retry: OCTOKIT_RETRY_OPTIONS,
    throttle: { ...throttle, onRateLimit: () => false, onSecondaryRateLimit: () => false },
  };
}

export interface RateLimitOptions {
  log?: Logger | undefined;
  /** Longest single wait; a longer retry-after is still honoured up to this. */
  maxWaitMs?: number;
  /** Give up (RateLimitedError) once the waits of one request add up to this. */
  maxTotalWaitMs?: number;
  signal?: AbortSignal | undefined;
  /** For tests: how to wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

interface ResponseLike {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined> };
}

/** How long GitHub asks us to wait for this error, or undefined when it is not a rate limit. */
export function rateLimitWait(error: unknown, attempt: number, now: number): number | undefined {
  const e = error as ResponseLike;
  if (e?.status !== 403 && e?.status !== 429) return undefined;
  const headers = e.response?.headers ?? {};
  const retryAfter = Number(headers["retry-after"]);
  if (Number.isFinite(retryAfter) && retryAfter >= 0) return Math.max(1000, retryAfter * 1000);
  if (String(headers["x-ratelimit-remaining"]) === "0") {
    const reset = Number(headers["x-ratelimit-reset"]) * 1000;
    if (Number.isFinite(reset)) return Math.max(1000, reset - now + 1000);
  }
  if (e.status === 429 || /rate limit/i.test(e.message ?? "")) {
    // GitHub: without a header, wait at least a minute, longer each time.
    return 60_000 * 2 ** Math.min(attempt, 4);
  }
  return undefined;
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      },
      { once: true },
    );
  });

/** Make every request of this Octokit wait out rate limits (in place). */
export function waitOutRateLimits(octokit: Octokit, options: RateLimitOptions = {}): Octokit {
  const maxWait = options.maxWaitMs ?? 15 * 60_000;
  const maxTotal = options.maxTotalWaitMs ?? 60 * 60_000;
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  octokit.hook.wrap("request", async (request, requestOptions) => {
    let waited = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        return await request(requestOptions);
      } catch (error) {
        const wait = rateLimitWait(error, attempt, now());
        if (wait === undefined) throw error;
        const label = `${String(requestOptions.method)} ${String(requestOptions.url)}`;
        const ms = Math.min(wait, maxWait);
        if (waited + ms > maxTotal) throw new RateLimitedError(waited, label);
        options.log?.warn(
          { waitMs: ms, request: label },
          "GitHub rate limit: waiting before trying again",
        );
        await sleep(ms, options.signal);
        waited += ms;
      }
    }
  });
  return octokit;
}
