import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { z } from "zod";

/** GitHub caps payloads at 25 MB; anything larger is not from GitHub. */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;

/** Default cap on unverified body bytes held at once, across all requests (CHANT_WEBHOOK_INFLIGHT_MB). */
export const DEFAULT_INFLIGHT_BYTES = 64 * 1024 * 1024;
/**
 * How long a body may take to arrive: GitHub sends a delivery at once and
 * wants the answer within 10 s, so a slower body only holds the budget.
 */
export const WEBHOOK_BODY_TIMEOUT_MS = 10_000;
/** Seconds a refused sender is asked to wait (the `Retry-After` of a 503 over the cap). */
export const INFLIGHT_RETRY_AFTER_SECONDS = 10;

export type GuardResult =
  | { ok: true; id: string; name: string; payload: Record<string, unknown> }
  | { ok: false; status: number; error: string; retryAfter?: number };

/**
 * The bytes of webhook bodies held in memory before their signature is
 * checked, across all requests of one server: anyone can send those, so
 * their total is capped (one request is capped at MAX_WEBHOOK_BYTES on its
 * own). A body's bytes are taken as they arrive and given back once it is
 * verified or refused.
 */
export class InflightBudget {
  private held = 0;
  /** The most ever held at once: what the cap bounds. */
  peak = 0;
  /** Requests refused because the budget was spent. */
  refused = 0;

  constructor(readonly limit: number = DEFAULT_INFLIGHT_BYTES) {}

  get bytes(): number {
    return this.held;
  }

  /** Whether `n` more bytes would fit now. */
  fits(n: number): boolean {
    return this.held + n <= this.limit;
  }

  /** Take `n` bytes, or nothing and false when they do not fit. */
  take(n: number): boolean {
    if (!this.fits(n)) return false;
    this.held += n;
    this.peak = Math.max(this.peak, this.held);
    return true;
  }

  give(n: number): void {
    this.held = Math.max(0, this.held - n);
  }
}

/**
 * Everything a delivery must pass before a handler sees it: size, headers,
 * signature, JSON, and for the events we act on, the shape our handlers read.
 * Probot's own middleware answers 500 to some signed but malformed payloads;
 * here they get a 4xx that says what is wrong.
 */
export async function guardWebhook(
  req: IncomingMessage,
  secret: string,
  limits: { budget?: InflightBudget; bodyTimeoutMs?: number } = {},
): Promise<GuardResult> {
  if (req.method !== "POST") return fail(405, `use POST for webhooks, not ${req.method ?? "?"}`);
  const type = req.headers["content-type"] ?? "";
  if (!/^\s*application\/json\s*(;|$)/i.test(type)) {
    return fail(
      415,
      'content-type must be "application/json" (set the webhook\'s content type to JSON)',
    );
  }
  const name = header(req, "x-github-event");
  const id = header(req, "x-github-delivery");
  const signature = header(req, "x-hub-signature-256");
  const missing = [
    ["x-github-event", name],
    ["x-github-delivery", id],
    ["x-hub-signature-256", signature],
  ]
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length > 0) return fail(400, `missing headers: ${missing.join(", ")}`);
  // `constructor` and `__proto__` look like event names but are properties of every object:
  // Probot's handler lookup would find them and fail with a 500.
  if (!/^[a-z_]{1,64}$/.test(name!) || name! in Object.prototype)
    return fail(400, "x-github-event is not an event name");
  if (!/^[A-Za-z0-9-]{1,100}$/.test(id!))
    return fail(400, "x-github-delivery is not a delivery id");
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_WEBHOOK_BYTES)
    return fail(413, `payload larger than ${MAX_WEBHOOK_BYTES} bytes`);

  const read = await readBody(
    req,
    MAX_WEBHOOK_BYTES,
    limits.budget ?? new InflightBudget(),
    declared,
    limits.bodyTimeoutMs ?? WEBHOOK_BODY_TIMEOUT_MS,
  );
  if (read === "busy") {
    if (limits.budget) limits.budget.refused += 1;
    return {
      ok: false,
      status: 503,
      error:
        "too many webhook bytes are waiting to be verified; try again later (GitHub: redeliver it)",
      retryAfter: INFLIGHT_RETRY_AFTER_SECONDS,
    };
  }
  if (read === "too_large") return fail(413, `payload larger than ${MAX_WEBHOOK_BYTES} bytes`);
  if (read === "aborted") return fail(400, "the request ended before its body did");
  if (read === "timeout")
    return fail(
      408,
      `the body did not arrive within ${Math.round((limits.bodyTimeoutMs ?? WEBHOOK_BODY_TIMEOUT_MS) / 1000)} s`,
    );
  const { body, release } = read;
  const verified = verifySignature(secret, body, signature!);
  // From here the body is either refused or GitHub's own: it no longer counts as unverified.
  release();
  if (!verified) return fail(401, "signature does not match the webhook secret");

  let payload: unknown;
  try {
    payload = JSON.parse(body.toString("utf8"));
  } catch {
    return fail(400, "payload is not valid JSON");
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    return fail(400, "payload is not a JSON object");
  }
  const record = payload as Record<string, unknown>;
  // GitHub's `action` is always a string; anything else would make a TypeError (a 500) where
  // Probot builds `event.action` from it.
  if (record.action !== undefined && typeof record.action !== "string") {
    return fail(400, "payload's `action` is not a string");
  }
  const schema = HANDLED_SHAPES[`${name}.${String(record.action)}`];
  if (schema) {
    const parsed = schema.safeParse(record);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail(
        400,
        `payload is not a ${name}.${String(record.action)} event: \`${issue?.path.join(".") ?? ""}\` ${issue?.message ?? ""}`,
      );
    }
  }
  return { ok: true, id: id!, name: name!, payload: record };
}

export function verifySignature(secret: string, body: Buffer, signature: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function fail(status: number, error: string): GuardResult {
  return { ok: false, status, error };
}

/**
 * The body, read within the shared budget: "too_large" past `limit` bytes;
 * "busy" when the budget cannot hold it: at once, unread, when its declared
 * length does not fit what is left, else as soon as the bytes that arrived do
 * not (bytes are counted as they arrive, so holding the budget costs a sender
 * the bytes, not a header); "timeout" when it has not all arrived within
 * `timeoutMs` (GitHub sends a delivery at once: a trickle only holds the
 * budget). Reading stops there and the bytes are given back; on success the
 * caller gives them back with `release` once the body is verified.
 */
function readBody(
  req: IncomingMessage,
  limit: number,
  budget: InflightBudget,
  declared: number,
  timeoutMs: number,
): Promise<{ body: Buffer; release: () => void } | "too_large" | "busy" | "aborted" | "timeout"> {
  if (Number.isSafeInteger(declared) && declared > 0 && !budget.fits(Math.min(declared, limit)))
    return Promise.resolve("busy");
  let taken = 0;
  const release = () => {
    budget.give(taken);
    taken = 0;
  };
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      done = true;
      clearTimeout(timer);
      req.removeListener("data", onData);
    };
    const stop = (result: "too_large" | "busy" | "timeout" | "aborted") => {
      finish();
      chunks.length = 0;
      release();
      req.pause();
      resolve(result);
    };
    const timer = setTimeout(() => {
      if (!done) stop("timeout");
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      if (done) return;
      if (taken + chunk.length > limit) return stop("too_large");
      if (!budget.take(chunk.length)) return stop("busy");
      taken += chunk.length;
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("end", () => {
      if (done) return;
      finish();
      resolve({ body: Buffer.concat(chunks), release });
    });
    req.on("error", (error) => {
      if (done) return;
      finish();
      release();
      reject(error);
    });
    // The client went away mid-body: nothing more will come; give the bytes back.
    req.on("close", () => {
      if (!done) stop("aborted");
    });
  });
}

// The fields our handlers read, for the (event, action) pairs they handle. Names are held
// to GitHub's own character sets and lengths (a job's data is bounded the same way): other
// names are not from GitHub, and would fail later with a 500 (a lone surrogate cannot go into
// an API URL; a name over 100 characters cannot be enqueued) and be redelivered forever.
const name = z.string().regex(/^[\w.-]{1,100}$/);
const user = z.object({ login: z.string().regex(/^[\w.-]{1,100}(\[bot\])?$/), type: z.string() });
const common = {
  installation: z.object({ id: z.number().int().positive() }),
  repository: z.object({
    id: z.number().int().positive(),
    name,
    full_name: z.string().min(1),
    owner: z.object({ login: name }),
  }),
  sender: user,
};
const prRefs = z.array(z.object({ number: z.number().int().positive() }));
const app = z.object({ id: z.number() }).nullable().optional();
const headBranch = z.string().nullable().optional();

const HANDLED_SHAPES: Record<string, z.ZodType> = {
  "issues.labeled": z.object({
    ...common,
    issue: z.object({ number: z.number().int().positive() }),
    label: z.object({ name: z.string() }).optional(),
  }),
  "issue_comment.created": z.object({
    ...common,
    issue: z.object({ number: z.number().int().positive() }),
    comment: z.object({ id: z.number().int().positive(), body: z.string().nullable() }),
  }),
  "check_run.rerequested": z.object({
    ...common,
    check_run: z.object({
      name: z.string(),
      head_sha: z.string().regex(/^[0-9a-f]{40}$/),
      app,
      pull_requests: prRefs,
      // null: the head branch is in a fork (see headInFork).
      check_suite: z.object({ head_branch: headBranch }).nullable().optional(),
    }),
  }),
  "check_suite.rerequested": z.object({
    ...common,
    check_suite: z.object({
      head_sha: z.string().regex(/^[0-9a-f]{40}$/),
      head_branch: headBranch,
      app,
      pull_requests: prRefs,
    }),
  }),
  "pull_request.synchronize": z.object({
    ...common,
    pull_request: z.object({
      number: z.number().int().positive(),
      head: z.object({
        ref: z.string(),
        sha: z.string().regex(/^[0-9a-f]{40}$/),
        repo: z.object({ full_name: z.string() }).nullable(),
      }),
    }),
  }),
};
