/**
 * The forge kept answering "rate limited" for longer than a job waits
 * (forge/github-rate-limit.ts gives up with this; describeStop says it).
 */
export class RateLimitedError extends Error {
  override readonly name = "RateLimitedError";
  constructor(
    readonly waitedMs: number,
    readonly request: string,
  ) {
    super(
      `GitHub kept rate limiting ${request}; gave up after waiting ${Math.round(waitedMs / 1000)} s`,
    );
  }
}

/**
 * Whether a forge said "there is no such thing" (HTTP 404 or 410: missing,
 * deleted, or not visible to this installation), as opposed to a failure to
 * ask (network, rate limit, server error), which must not pass for an answer.
 */
export function isNotFound(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return status === 404 || status === 410;
}
