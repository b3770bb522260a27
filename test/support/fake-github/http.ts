/** Routing, replies and pagination shared by the stand-in's endpoints. */
import type { IncomingHttpHeaders } from "node:http";
import type { AuthInfo } from "./auth.js";

export interface Reply {
  status: number;
  body?: unknown;
  /** Sent as is instead of JSON (raw file contents). */
  raw?: { data: Buffer; contentType: string };
  headers?: Record<string, string>;
}

/** Thrown by handlers; becomes a GitHub-shaped error reply. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.message === "string" ? body.message : `HTTP ${status}`);
  }
}

export const notFound = (message = "Not Found") =>
  new HttpError(404, { message, documentation_url: "https://docs.github.com/rest" });

/** 422 the way GitHub words it: "Validation Failed" with an errors list. */
export function validationFailed(errors: Record<string, unknown>[]): HttpError {
  return new HttpError(422, {
    message: "Validation Failed",
    errors,
    documentation_url: "https://docs.github.com/rest",
  });
}

/** The older 422 form GitHub uses for schema violations ("Invalid request.\n\n..."). */
export function invalidRequest(detail: string): HttpError {
  return new HttpError(422, {
    message: `Invalid request.\n\n${detail}`,
    documentation_url: "https://docs.github.com/rest",
  });
}

export interface RequestContext {
  method: string;
  /** Path without the `/api/v3` prefix, as octokit routes spell it. */
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  body: unknown;
  headers: IncomingHttpHeaders;
  auth: AuthInfo;
  /** Absolute URL of the request, for Link headers. */
  url: URL;
}

export type Handler = (ctx: RequestContext) => Promise<Reply> | Reply;

interface Route {
  method: string;
  regex: RegExp;
  names: string[];
  handler: Handler;
}

/**
 * `:name` matches one path segment, `*name` the rest of the path (branch
 * names and file paths contain slashes). Captures are URL-decoded.
 */
export class Router {
  private readonly routes: Route[] = [];

  on(method: string, pattern: string, handler: Handler): void {
    const names: string[] = [];
    const source = pattern
      .split("/")
      .map((segment) => {
        if (segment.startsWith(":")) {
          names.push(segment.slice(1));
          return "([^/]+)";
        }
        if (segment.startsWith("*")) {
          names.push(segment.slice(1));
          return "(.*)";
        }
        return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      })
      .join("/");
    this.routes.push({ method, regex: new RegExp(`^${source}/?$`), names, handler });
  }

  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | null {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const match = route.regex.exec(path);
      if (!match) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = safeDecode(match[i + 1] ?? "");
      });
      return { handler: route.handler, params };
    }
    return null;
  }

  /** Whether any method serves this path (405 vs 404). */
  knowsPath(path: string): boolean {
    return this.routes.some((route) => route.regex.test(path));
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Page of `items` per GitHub's `per_page` (default 30, max 100) and `page`, with a Link header. */
export function paginate<T>(
  ctx: RequestContext,
  items: readonly T[],
): { page: T[]; headers: Record<string, string> } {
  const perPage = Math.min(100, Math.max(1, Number(ctx.query.get("per_page")) || 30));
  const page = Math.max(1, Number(ctx.query.get("page")) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const link = (n: number, rel: string) => {
    const url = new URL(ctx.url.toString());
    url.searchParams.set("per_page", String(perPage));
    url.searchParams.set("page", String(n));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, "prev"), link(1, "first"));
  if (page < last) links.push(link(page + 1, "next"), link(last, "last"));
  return { page: slice, headers: links.length > 0 ? { link: links.join(", ") } : {} };
}

export function isoNow(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Reads a JSON body field as an object; handlers validate the fields they use. */
export function bodyObject(ctx: RequestContext): Record<string, unknown> {
  const body = ctx.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== "object" || Array.isArray(body)) {
    throw new HttpError(400, { message: "Problems parsing JSON" });
  }
  return body as Record<string, unknown>;
}
