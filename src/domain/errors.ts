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
