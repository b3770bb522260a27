import { describe, expect, it } from "vitest";
import { ChaosStack } from "../support/chaos-stack.js";
import {
  primaryRateLimitOnHit,
  secondaryRateLimit,
  type FaultHandle,
  type FaultOptions,
  type RecordedRequest,
} from "../support/fake-github/index.js";

interface Limit {
  matcher: string;
  fault: FaultOptions;
  /** At least this long between a limited request and its next try. */
  waitMs: number;
}

/**
 * GitHub rate limiting the calls of one whole flow (label -> pull request ->
 * four completed check runs), answered to a real `chant-bot worker` process:
 * status comments, the blob reads (GraphQL), the pull request, check runs. The
 * worker waits as long as GitHub asks before trying the same request again
 * (never sooner, never more than once per answer), and the user sees
 * success.
 */
describe.concurrent("GitHub's rate limits during a flow", { timeout: 150_000 }, () => {
  it("secondary limits (retry-after) on the status comment, the blob reads and the pull request", async () => {
    await flowUnder([
      { matcher: "POST /repos/{owner}/{repo}/issues/{n}/comments", ...secondary(2, 403) },
      { matcher: "PATCH /repos/{owner}/{repo}/issues/comments/{id}", ...secondary(2, 429) },
      { matcher: "POST /api/graphql", ...secondary(3, 429) },
      { matcher: "POST /repos/{owner}/{repo}/pulls", ...secondary(2, 403) },
    ]);
  });

  // Quick checks' runs are created completed (one POST each); a check still running after
  // 2 s would add a PATCH, which goes through the same waiting as every request.
  it("secondary limits (retry-after) on the check runs, twice in a row", async () => {
    await flowUnder([
      { matcher: "GET /repos/{owner}/{repo}/commits/{sha}/check-runs", ...secondary(2, 403) },
      { matcher: "POST /repos/{owner}/{repo}/check-runs", ...secondary(2, 429, 2) },
    ]);
  });

  it("the primary limit (x-ratelimit-reset) on the status comment, the tree and blob reads", async () => {
    await flowUnder([
      { matcher: "POST /repos/{owner}/{repo}/issues/{n}/comments", ...primary(2, 403) },
      { matcher: "GET /repos/{owner}/{repo}/git/trees/{sha}", ...primary(2, 429) },
      { matcher: "POST /api/graphql", ...primary(2, 403) },
    ]);
  });

  it("the primary limit (x-ratelimit-reset) on the pull request and the check runs", async () => {
    await flowUnder([
      { matcher: "POST /repos/{owner}/{repo}/pulls", ...primary(3, 429) },
      { matcher: "GET /repos/{owner}/{repo}/commits/{sha}/check-runs", ...primary(2, 429) },
      { matcher: "POST /repos/{owner}/{repo}/check-runs", ...primary(2, 403) },
    ]);
  });
});

function secondary(seconds: number, status: 403 | 429, times = 1) {
  return { fault: { ...secondaryRateLimit(seconds, status), times }, waitMs: seconds * 1000 };
}

/** The reset is `seconds` after the limited request (a whole second, rounded up, as GitHub's). */
function primary(seconds: number, status: 403 | 429) {
  return { fault: primaryRateLimitOnHit(seconds, status), waitMs: seconds * 1000 };
}

async function flowUnder(limits: Limit[]): Promise<void> {
  const stack = await ChaosStack.start();
  try {
    const handles: [Limit, FaultHandle][] = limits.map((limit) => [
      limit,
      stack.fake.failNext(limit.matcher, limit.fault),
    ]);
    await stack.spawnWorker();
    const jobId = await stack.enqueue();
    await stack.expectExactlyOnce(jobId);

    for (const [limit, handle] of handles) {
      expect(handle.hits, limit.matcher).toBe(limit.fault.times ?? 1);
    }
    const requests = stack.fake.requests;
    const limited = requests.filter((r) => r.injected);
    expect(limited).toHaveLength(limits.reduce((n, l) => n + (l.fault.times ?? 1), 0));
    for (const request of limited) {
      const limit = limits.find((l) => matches(l, request))!;
      // The next request to the very same endpoint with the same body is the retry (check runs
      // of other names go to the same path meanwhile): not sooner than asked.
      const next = requests.find(
        (r) =>
          r.at > request.at &&
          r.method === request.method &&
          r.path === request.path &&
          JSON.stringify(r.body) === JSON.stringify(request.body),
      );
      expect(next, `${request.method} ${request.path} was tried again`).toBeDefined();
      expect(next!.at - request.at, `${request.method} ${request.path}`).toBeGreaterThanOrEqual(
        limit.waitMs - 50,
      );
    }
  } finally {
    await stack.stop();
  }
}

function matches(limit: Limit, request: RecordedRequest): boolean {
  const [method, template] = limit.matcher.split(" ") as [string, string];
  const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`);
  return request.method === method && pattern.test(request.path);
}
