import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { queueSettingsFromEnv, type QueueSettings } from "../queue/connection.js";

/** A start-up problem, said in one line with what to set. */
export class StartupError extends Error {
  override readonly name = "StartupError";
}

/** The webhook secret used with CHANT_ALLOW_UNSIGNED_WEBHOOKS=1 and no WEBHOOK_SECRET: known to everyone. */
export const DEVELOPMENT_WEBHOOK_SECRET = "development";

/** Default cap on the bytes of webhook bodies held, across all requests, before their signature is checked. */
export const DEFAULT_WEBHOOK_INFLIGHT_MB = 64;

/**
 * Where clones are made: CHANT_WORK_DIR, else a directory of this user's own
 * under the temporary directory, `chant-bot-work-<uid>`. One name for every
 * user was another user's on a machine where two run chant-bot (a root CI run
 * and a developer: EACCES at the first job), and a directory another user made
 * is refused anyway (checkSandbox): whoever owns it can change the clones.
 */
export function workRootFromEnv(env: NodeJS.ProcessEnv): string {
  const uid = process.getuid?.();
  return (
    env.CHANT_WORK_DIR ||
    join(tmpdir(), uid === undefined ? "chant-bot-work" : `chant-bot-work-${uid}`)
  );
}

export interface AppEnv {
  appId: number;
  privateKey: string;
  webhookSecret: string;
  /** Cap on unverified webhook body bytes held at once (CHANT_WEBHOOK_INFLIGHT_MB). */
  webhookInflightBytes: number;
  /** Things to say loudly at start (the web role logs them as warnings). */
  warnings: string[];
  port: number;
  host: string | undefined;
  production: boolean;
  queue: QueueSettings;
  /** Where workers make their clones. */
  workRoot: string;
  concurrency: { implement: number; checks: number };
  shutdownGraceMs: number;
  /** How long a job's lock lasts without renewal: a crashed worker's job is taken up again after it. */
  jobLockMs: number;
  admin: { user: string; password: string } | undefined;
  metricsToken: string | undefined;
}

/** Whether the GitHub App's credentials are there at all (Probot's setup page serves when not). */
export function hasAppCredentials(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.APP_ID && (env.PRIVATE_KEY || env.PRIVATE_KEY_PATH));
}

/**
 * Read and check the app's environment. Every refusal is one line saying
 * what to set: a process that cannot work says so at start, not at the first
 * webhook.
 */
export function readAppEnv(env: NodeJS.ProcessEnv): AppEnv {
  const production = env.NODE_ENV === "production";
  const appId = Number(env.APP_ID);
  if (!env.APP_ID || !Number.isInteger(appId) || appId <= 0) {
    throw new StartupError(
      `APP_ID must be the GitHub App's numeric id (got ${env.APP_ID ? `"${env.APP_ID}"` : "nothing"}).`,
    );
  }
  const privateKey = readPrivateKey(env);
  const warnings: string[] = [];
  const webhookSecret = readWebhookSecret(env, production, warnings);
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new StartupError(`PORT "${env.PORT}" is not a port number.`);
  let queue: QueueSettings;
  try {
    queue = queueSettingsFromEnv(env);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
  const positive = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 64)
      throw new StartupError(`${name} "${raw}" must be a whole number from 1 to 64.`);
    return n;
  };
  const adminUser = env.CHANT_ADMIN_USER;
  const adminPassword = env.CHANT_ADMIN_PASSWORD;
  if (Boolean(adminUser) !== Boolean(adminPassword)) {
    throw new StartupError(
      "Set both CHANT_ADMIN_USER and CHANT_ADMIN_PASSWORD to serve the queue dashboard, or neither.",
    );
  }
  return {
    appId,
    privateKey,
    webhookSecret,
    webhookInflightBytes: readInflightMb(env) * 1024 * 1024,
    warnings,
    port,
    host: env.HOST || undefined,
    production,
    queue,
    workRoot: workRootFromEnv(env),
    concurrency: {
      implement: positive("CHANT_WORKER_CONCURRENCY", 1),
      checks: positive("CHANT_CHECKS_CONCURRENCY", 2),
    },
    shutdownGraceMs: positive("CHANT_SHUTDOWN_GRACE_SECONDS", 25) * 1000,
    jobLockMs: positive("CHANT_JOB_LOCK_SECONDS", 60) * 1000,
    admin: adminUser && adminPassword ? { user: adminUser, password: adminPassword } : undefined,
    metricsToken: env.CHANT_METRICS_TOKEN || undefined,
  };
}

/**
 * WEBHOOK_SECRET, required whatever NODE_ENV is: without it every delivery
 * would be checked against a secret anyone can guess. The one way around it is
 * explicit and for development only: CHANT_ALLOW_UNSIGNED_WEBHOOKS=1 accepts
 * deliveries signed with the literal secret `development` (as a local webhook
 * proxy or a test script can sign them), with a warning at start; production
 * refuses the flag.
 */
function readWebhookSecret(
  env: NodeJS.ProcessEnv,
  production: boolean,
  warnings: string[],
): string {
  const secret = env.WEBHOOK_SECRET ?? "";
  const allowUnsigned = env.CHANT_ALLOW_UNSIGNED_WEBHOOKS === "1";
  if (secret) return secret;
  if (!allowUnsigned) {
    throw new StartupError(
      "WEBHOOK_SECRET is not set: chant-bot refuses to accept webhooks it cannot verify. Set it to the GitHub App's webhook secret (for local development only: CHANT_ALLOW_UNSIGNED_WEBHOOKS=1).",
    );
  }
  if (production) {
    throw new StartupError(
      "CHANT_ALLOW_UNSIGNED_WEBHOOKS=1 is for development and is refused with NODE_ENV=production: set WEBHOOK_SECRET to the GitHub App's webhook secret.",
    );
  }
  warnings.push(
    `WEBHOOK_SECRET is not set and CHANT_ALLOW_UNSIGNED_WEBHOOKS=1: deliveries signed with the publicly known secret "${DEVELOPMENT_WEBHOOK_SECRET}" are accepted, so anyone who can reach this port can start jobs as any user; for local development only.`,
  );
  return DEVELOPMENT_WEBHOOK_SECRET;
}

/** CHANT_WEBHOOK_INFLIGHT_MB: at least one payload of GitHub's maximum size (25 MB) must fit. */
function readInflightMb(env: NodeJS.ProcessEnv): number {
  const raw = env.CHANT_WEBHOOK_INFLIGHT_MB;
  if (raw === undefined || raw === "") return DEFAULT_WEBHOOK_INFLIGHT_MB;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 25 || n > 4096)
    throw new StartupError(
      `CHANT_WEBHOOK_INFLIGHT_MB "${raw}" must be a whole number of MiB from 25 (one payload of GitHub's maximum size) to 4096.`,
    );
  return n;
}

/** PRIVATE_KEY (PEM, with \n escapes, or base64 of the PEM) or PRIVATE_KEY_PATH, checked to be a key. */
function readPrivateKey(env: NodeJS.ProcessEnv): string {
  let key = env.PRIVATE_KEY;
  if (!key && env.PRIVATE_KEY_PATH) {
    try {
      key = readFileSync(env.PRIVATE_KEY_PATH, "utf8");
    } catch (error) {
      throw new StartupError(
        `PRIVATE_KEY_PATH "${env.PRIVATE_KEY_PATH}" cannot be read: ${(error as NodeJS.ErrnoException).code ?? "error"}.`,
      );
    }
  }
  if (!key)
    throw new StartupError(
      "Set PRIVATE_KEY (the App's private key, PEM) or PRIVATE_KEY_PATH (the .pem file).",
    );
  key = key.replace(/\\n/g, "\n").trim();
  if (!key.startsWith("-----BEGIN")) {
    const decoded = Buffer.from(key, "base64").toString("utf8");
    if (decoded.startsWith("-----BEGIN")) key = decoded.trim();
  }
  try {
    createPrivateKey(key);
  } catch {
    throw new StartupError(
      "The private key (PRIVATE_KEY / PRIVATE_KEY_PATH) is not a valid PEM private key: download a new one from the GitHub App's settings.",
    );
  }
  return key;
}
