import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { z } from "zod";

/** GitHub caps payloads at 25 MB; anything larger is not from GitHub. */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;

export type GuardResult =
  | { ok: true; id: string; name: string; payload: Record<string, unknown> }
  | { ok: false; status: number; error: string };

/**
 * Everything a delivery must pass before a handler sees it: size, headers,
 * signature, JSON, and for the events we act on, the shape our handlers read.
 * Probot's own middleware answers 500 to some signed but malformed payloads;
 * here they get a 4xx that says what is wrong.
 */
export async function guardWebhook(req: IncomingMessage, secret: string): Promise<GuardResult> {
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

  const body = await readBody(req, MAX_WEBHOOK_BYTES);
  if (body === undefined) return fail(413, `payload larger than ${MAX_WEBHOOK_BYTES} bytes`);
  if (!verifySignature(secret, body, signature!))
    return fail(401, "signature does not match the webhook secret");

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

/** The body, or undefined past `limit` bytes (reading stops there). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on("error", (error) => {
      if (!done) reject(error);
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
    }),
  }),
  "check_suite.rerequested": z.object({
    ...common,
    check_suite: z.object({
      head_sha: z.string().regex(/^[0-9a-f]{40}$/),
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
