import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { AgentStatus } from "../../domain/health.js";
import { redactUrl } from "../../queue/chant-queues.js";
import { send, type Route } from "../http-server.js";

export const HEALTH_PATH = "/healthz";
export const READY_PATH = "/readyz";

/** What readiness needs of ChantQueues. */
export interface ReadinessQueues {
  redis: Redis;
  implement: Queue;
  checks: Queue;
}

export interface HealthOptions {
  queues: ReadinessQueues;
  /** CHANT_REDIS_URL, for messages (its password is never printed). Default: from the connection. */
  redisUrl?: string | undefined;
  /** How long Redis may take to answer. Default 1000 ms. */
  timeoutMs?: number;
  /** A worker's agent (its version; whether its last run found its credentials refused). */
  agent?: (() => AgentStatus) | undefined;
  /**
   * An agent that is not ready makes /readyz answer 503 (a worker alone). In a
   * process that also receives webhooks it is only reported: a bad model key
   * must not take the webhook endpoint out of a load balancer.
   */
  agentGatesReadiness?: boolean;
}

export type Readiness = { ready: true } | { ready: false; reason: string };

/**
 * `GET /healthz`: the process is alive (a liveness probe: never touches Redis,
 * so a Redis outage does not get the container restarted).
 * `GET /readyz`: Redis answers and the queues are usable (a readiness probe:
 * 503 takes the instance out of rotation until Redis is back); on a worker,
 * also its agent (`"agent": "claude 2.1.197 (Claude Code)"`), 503 with the
 * reason when its last run found its credentials refused or missing.
 */
export function healthRoutes(options: HealthOptions): Route[] {
  const healthz: Route = (req, res, url) => {
    if (url.pathname !== HEALTH_PATH) return false;
    if (!allowGet(req.method, res)) return true;
    send(res, 200, { status: "ok" });
    return true;
  };
  const readyz: Route = async (req, res, url) => {
    if (url.pathname !== READY_PATH) return false;
    if (!allowGet(req.method, res)) return true;
    const readiness = await checkReadiness(options);
    const agent = options.agent?.();
    const extra = agent
      ? { agent: agent.agent, ...(agent.ready ? {} : { agentProblem: agent.reason }) }
      : {};
    res.setHeader("cache-control", "no-store");
    if (!readiness.ready)
      send(res, 503, { status: "unavailable", reason: readiness.reason, ...extra });
    else if (agent && !agent.ready && options.agentGatesReadiness)
      send(res, 503, {
        status: "unavailable",
        reason: `agent ${agent.agent}: ${agent.reason}`,
        ...extra,
      });
    else send(res, 200, { status: "ok", ...extra });
    return true;
  };
  return [healthz, readyz];
}

function allowGet(method: string | undefined, res: Parameters<Route>[1]): boolean {
  if (method === "GET" || method === "HEAD") return true;
  res.setHeader("allow", "GET, HEAD");
  send(res, 405, { error: `${method} is not allowed here` });
  return false;
}

export async function checkReadiness(options: HealthOptions): Promise<Readiness> {
  const { queues } = options;
  const ms = options.timeoutMs ?? 1000;
  const where = options.redisUrl ? redactUrl(options.redisUrl) : describeConnection(queues.redis);
  try {
    const pong = await within(ms, queues.redis.ping());
    if (pong !== "PONG") throw new Error(`PING answered ${JSON.stringify(pong)}`);
  } catch (error) {
    const state = queues.redis.status === "ready" ? "" : ` (connection ${queues.redis.status})`;
    return {
      ready: false,
      reason: `Redis at ${where} did not answer: ${messageOf(error)}${state}`,
    };
  }
  for (const queue of [queues.implement, queues.checks]) {
    if (queue.closing) return { ready: false, reason: `the ${queue.name} queue is closed` };
    try {
      // Runs one of BullMQ's scripts: the queue's keys are readable with this connection.
      await within(ms, queue.getJobCounts("waiting"));
    } catch (error) {
      return {
        ready: false,
        reason: `the ${queue.name} queue is not usable on Redis at ${where}: ${messageOf(error)}`,
      };
    }
  }
  return { ready: true };
}

/** A Redis URL built from the connection's options: host, port and db only, no credentials. */
export function describeConnection(redis: Redis): string {
  const o = redis.options;
  if (o.path) return `unix:${o.path}`;
  const scheme = o.tls ? "rediss" : "redis";
  return `${scheme}://${o.host ?? "127.0.0.1"}:${o.port ?? 6379}/${o.db ? String(o.db) : ""}`;
}

async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The part of ioredis the start-up check uses (`redis.call`). */
export interface RedisCommands {
  call(command: string, ...args: string[]): Promise<unknown>;
}

const NOEVICTION_WARNING = "BullMQ can lose jobs: set maxmemory-policy noeviction";

/**
 * What about this Redis can make BullMQ lose jobs, as warnings to log at
 * start-up: an eviction policy other than `noeviction` (Redis may delete job
 * keys under memory pressure), and no persistence (a restart loses every
 * queued job). Servers that disable CONFIG (managed Redis) are read through
 * INFO where it tells; what cannot be read is said, not guessed.
 */
export async function checkRedisForBullMQ(redis: RedisCommands): Promise<string[]> {
  const warnings: string[] = [];

  const policy = await configValue(redis, "maxmemory-policy");
  const policyFromInfo = policy.ok
    ? undefined
    : await infoField(redis, "memory", "maxmemory_policy");
  const effectivePolicy = policy.ok ? policy.value : policyFromInfo;
  if (effectivePolicy === undefined) {
    warnings.push(
      `could not read Redis's maxmemory-policy (${policy.ok ? "empty" : policy.error}); make sure it is noeviction, or BullMQ can lose jobs`,
    );
  } else if (effectivePolicy !== "noeviction") {
    warnings.push(`Redis's maxmemory-policy is ${effectivePolicy}: ${NOEVICTION_WARNING}`);
  }

  const appendonly = await configValue(redis, "appendonly");
  const save = await configValue(redis, "save");
  if (appendonly.ok && save.ok) {
    const aof = appendonly.value === "yes";
    const rdb = save.value.trim() !== "";
    if (!aof && !rdb) {
      warnings.push(
        'Redis keeps nothing on disk (appendonly no, save ""): a Redis restart loses every queued job; set appendonly yes',
      );
    } else if (!aof) {
      warnings.push(
        `Redis only takes snapshots (save "${save.value}", appendonly no): jobs queued since the last snapshot are lost if Redis stops; appendonly yes is safer`,
      );
    }
  } else {
    const aofFromInfo = await infoField(redis, "persistence", "aof_enabled");
    if (aofFromInfo !== "1") {
      const failed = [appendonly, save].find((read) => !read.ok);
      const error = failed && !failed.ok ? failed.error : "unknown";
      warnings.push(
        `could not read Redis's persistence settings (${error}); make sure it keeps data on disk (appendonly yes), or a restart loses queued jobs`,
      );
    }
  }
  return warnings;
}

type ConfigRead = { ok: true; value: string } | { ok: false; error: string };

async function configValue(redis: RedisCommands, name: string): Promise<ConfigRead> {
  try {
    const reply = await redis.call("CONFIG", "GET", name);
    // RESP2: [name, value]; RESP3 (a map) as ioredis gives it: the same pairs.
    const pairs = Array.isArray(reply) ? reply : [];
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      if (String(pairs[i]) === name) return { ok: true, value: String(pairs[i + 1]) };
    }
    return { ok: false, error: `CONFIG GET ${name} returned nothing` };
  } catch (error) {
    return { ok: false, error: `CONFIG GET ${name} failed: ${messageOf(error)}` };
  }
}

async function infoField(
  redis: RedisCommands,
  section: string,
  field: string,
): Promise<string | undefined> {
  try {
    const text = String(await redis.call("INFO", section));
    const line = text.split(/\r?\n/).find((l) => l.startsWith(`${field}:`));
    return line?.slice(field.length + 1).trim() || undefined;
  } catch {
    return undefined;
  }
}
