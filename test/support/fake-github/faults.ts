/**
 * Fault injection: the next N requests matching a pattern get an error reply
 * instead of being served. The default bodies carry the wording octokit's
 * throttling plugin looks for ("secondary rate limit"), so a 403/429 with
 * `retry-after` is treated as a secondary rate limit and one with
 * `x-ratelimit-remaining: 0` as the primary limit, as with GitHub.
 */

export type ApiKind = "rest" | "graphql" | "git" | "other";

export interface MatchableRequest {
  method: string;
  /** REST paths without `/api/v3`, e.g. `/repos/o/r/issues/1/comments`; `/api/graphql`; `/git/o/r.git/...`. */
  path: string;
  api: ApiKind;
}

/**
 * - `"POST /repos/{owner}/{repo}/issues/{n}/comments"`: method and path, `{x}`
 *   matches one segment, a trailing `*` the rest; `*` as method matches any.
 * - `"/repos/o/r/pulls"`: any method.
 * - a RegExp, tested against `"METHOD /path"`.
 * - a function of the request.
 */
export type RequestMatcher = string | RegExp | ((request: MatchableRequest) => boolean);

export interface FaultOptions {
  status: number;
  headers?: Record<string, string>;
  /** JSON body; by default a GitHub-worded message for the status and headers. */
  body?: unknown;
  /** How many matching requests fail (default 1). */
  times?: number;
  /** Headers computed when the fault answers (e.g. a reset time counted from that moment). */
  headersAt?: () => Record<string, string>;
}

export interface FaultHandle {
  /** Requests answered by this fault so far. */
  readonly hits: number;
  readonly remaining: number;
  cancel(): void;
}

interface Fault {
  test: (request: MatchableRequest) => boolean;
  options: FaultOptions;
  hits: number;
  remaining: number;
}

export function compileMatcher(matcher: RequestMatcher): (request: MatchableRequest) => boolean {
  if (typeof matcher === "function") return matcher;
  if (matcher instanceof RegExp) return (r) => matcher.test(`${r.method} ${r.path}`);
  const space = matcher.indexOf(" ");
  const method =
    space > 0 && !matcher.startsWith("/") ? matcher.slice(0, space).toUpperCase() : "*";
  const template =
    space > 0 && !matcher.startsWith("/") ? matcher.slice(space + 1).trim() : matcher.trim();
  const source = template
    .split(/(\{[^}]+\}|\*$)/)
    .map((part) => {
      if (/^\{[^}]+\}$/.test(part)) return "[^/]+";
      if (part === "*") return ".*";
      return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("");
  const regex = new RegExp(`^${source}$`);
  return (r) => (method === "*" || method === r.method) && regex.test(r.path);
}

export class Faults {
  private readonly faults: Fault[] = [];

  add(matcher: RequestMatcher, options: FaultOptions): FaultHandle {
    const fault: Fault = {
      test: compileMatcher(matcher),
      options,
      hits: 0,
      remaining: Math.max(1, options.times ?? 1),
    };
    this.faults.push(fault);
    const faults = this.faults;
    return {
      get hits() {
        return fault.hits;
      },
      get remaining() {
        return fault.remaining;
      },
      cancel() {
        const index = faults.indexOf(fault);
        if (index >= 0) faults.splice(index, 1);
      },
    };
  }

  /** The fault that answers this request (consuming one of its `times`), if any. */
  take(request: MatchableRequest): FaultOptions | null {
    const fault = this.faults.find((f) => f.remaining > 0 && f.test(request));
    if (!fault) return null;
    fault.remaining--;
    fault.hits++;
    if (fault.remaining === 0) this.faults.splice(this.faults.indexOf(fault), 1);
    const { headersAt, ...options } = fault.options;
    return headersAt ? { ...options, headers: { ...options.headers, ...headersAt() } } : options;
  }

  clear(): void {
    this.faults.length = 0;
  }
}

const DOCS = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api";

export function defaultFaultBody(options: FaultOptions, installationId: number | null): unknown {
  const headers = lowerKeys(options.headers ?? {});
  const { status } = options;
  if ((status === 403 || status === 429) && headers["retry-after"] !== undefined) {
    return {
      message:
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
      documentation_url: `${DOCS}#about-secondary-rate-limits`,
    };
  }
  if ((status === 403 || status === 429) && headers["x-ratelimit-remaining"] === "0") {
    return {
      message: `API rate limit exceeded for installation ID ${installationId ?? 0}.`,
      documentation_url: `${DOCS}#about-the-primary-rate-limit`,
    };
  }
  const messages: Record<number, string> = {
    401: "Bad credentials",
    403: "Resource not accessible by integration",
    404: "Not Found",
    422: "Validation Failed",
    500: "Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
  };
  return { message: messages[status] ?? `HTTP ${status}` };
}

/** The headers of GitHub's primary rate limit, reset `seconds` from now. */
export function primaryRateLimit(seconds: number, status: 403 | 429 = 403): FaultOptions {
  return {
    status,
    headers: {
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-used": "5000",
      "x-ratelimit-resource": "core",
      "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000 + seconds)),
    },
  };
}

/** The primary limit, exhausted until `seconds` after the moment each matching request arrives. */
export function primaryRateLimitOnHit(seconds: number, status: 403 | 429 = 403): FaultOptions {
  return {
    status,
    headersAt: () => primaryRateLimit(seconds, status).headers ?? {},
  };
}

/** A secondary rate limit answered with `retry-after: seconds`. */
export function secondaryRateLimit(seconds: number, status: 403 | 429 = 403): FaultOptions {
  return { status, headers: { "retry-after": String(seconds) } };
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

export interface HoldOptions {
  /**
   * `request` (default): the request waits before it is served, as if GitHub
   * were slow to take it. `response`: it is served (a push lands, a pull
   * request is created) and only the answer waits, as if the caller died
   * before hearing back.
   */
  when?: "request" | "response";
  /** How many matching requests are held (default 1). */
  times?: number;
}

export interface HoldHandle {
  /** Resolves when the first matching request is being held. */
  readonly reached: Promise<void>;
  readonly hits: number;
  /** Let the held requests go on (and stop holding new ones). */
  release(): void;
}

interface Hold {
  test: (request: MatchableRequest) => boolean;
  when: "request" | "response";
  remaining: number;
  hits: number;
  gate: Promise<void>;
  open: () => void;
  arrived: () => void;
}

/** Requests a test keeps waiting, to stop a caller at a known step (then kill it). */
export class Holds {
  private readonly holds: Hold[] = [];

  add(matcher: RequestMatcher, options: HoldOptions = {}): HoldHandle {
    let open = () => {};
    let arrived = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    const hold: Hold = {
      test: compileMatcher(matcher),
      when: options.when ?? "request",
      remaining: Math.max(1, options.times ?? 1),
      hits: 0,
      gate,
      open,
      arrived,
    };
    this.holds.push(hold);
    const holds = this.holds;
    return {
      reached,
      get hits() {
        return hold.hits;
      },
      release() {
        const index = holds.indexOf(hold);
        if (index >= 0) holds.splice(index, 1);
        hold.open();
      },
    };
  }

  /** The hold this request waits on (consuming one of its `times`), if any. */
  take(request: MatchableRequest): { when: "request" | "response"; gate: Promise<void> } | null {
    const hold = this.holds.find((h) => h.remaining > 0 && h.test(request));
    if (!hold) return null;
    hold.remaining--;
    hold.hits++;
    hold.arrived();
    return { when: hold.when, gate: hold.gate };
  }

  /** Let everything held go (a stopping stand-in must not leave requests hanging). */
  releaseAll(): void {
    for (const hold of this.holds.splice(0)) hold.open();
  }
}
