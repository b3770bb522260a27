/**
 * Webhook ingress: signed deliveries over real HTTP at a fixed concurrency,
 * against separate server processes, all in one run (the three paths that
 * make no GitHub call are measured in turns, round after round, so that
 * drift in whatever else the machine does falls on all of them alike):
 *  - a bare Probot app (no-op handler, Probot's createNodeMiddleware): the baseline;
 *  - `chant-bot web` (the real CLI, production settings): a bot's comment
 *    (ignored before any Redis or GitHub call), and a redelivery storm of one
 *    `/chant implement` delivery (a Redis round trip, no GitHub call);
 *  - chant-bot's web role with Probot's write throttle off: `chant:implement`
 *    labels on distinct issues, each one enqueued (Redis) and acknowledged
 *    through the GitHub stand-in (config, permission, 👀, status comment);
 *  - `chant-bot web` again, with the production throttle: a small burst of labels.
 */
import { join } from "node:path";
import { FakeGitHub } from "../../test/support/fake-github/index.js";
import { FIXTURE_REPOS } from "../../test/support/memory-files.js";
import { deleteKeysUnder } from "../lib/redis-keys.js";
import { runLoad, signedDelivery, type Delivery, type LoadResult } from "../lib/load-client.js";
import {
  built,
  CLI,
  memoryOf,
  processEnv,
  sampleRss,
  startNode,
  type BenchProcess,
} from "../lib/processes.js";
import { median, mib, percentile, round } from "../lib/stats.js";
import type { Table } from "../lib/table.js";

export interface IngressSettings {
  redisUrl: string;
  prefix: string;
  concurrency: number;
  /** Deliveries per fast path (bare Probot, ignored, duplicate) and round, after `warmup` more. */
  fastRequests: number;
  /** Rounds of the fast paths, taken in turns. */
  rounds: number;
  /** Enqueueing deliveries (each a distinct issue), after `warmup / 5` more. */
  enqueueRequests: number;
  /** Enqueueing deliveries against the production throttle, all at once. */
  throttledBurst: number;
  warmup: number;
}

export interface IngressRow {
  name: string;
  process: string;
  concurrency: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  perSecond: number;
  statuses: Record<string, number>;
  /** p50 / bare Probot's p50 (and p99, deliveries/s), measured in this run. */
  vsProbot: { p50: number; p99: number; perSecond: number };
  /** Requests the GitHub stand-in served per delivery, and their median service time. */
  github: { perDelivery: number; medianMs: number };
  note?: string;
}

export interface ProcessMemory {
  process: string;
  idleMiB: number;
  /** Largest RSS sampled (every 100 ms) while under load. */
  loadMiB: number;
  /** The kernel's high-water mark (VmHWM) at the end. */
  peakMiB: number;
  load: string;
}

export interface IngressResult {
  rounds: number;
  rows: IngressRow[];
  memory: ProcessMemory[];
}

const REPO = "acme/kv-store";

type Measured = { result: LoadResult & { roundRates?: number[] }; github: IngressRow["github"] };

/** Rounds of one path as one result: every latency, the median round's rate. */
function pool(results: LoadResult[]): LoadResult & { roundRates: number[] } {
  const statuses: Record<string, number> = {};
  for (const r of results)
    for (const [status, n] of Object.entries(r.statuses))
      statuses[status] = (statuses[status] ?? 0) + n;
  return {
    requests: results.reduce((n, r) => n + r.requests, 0),
    statuses,
    latenciesMs: results.flatMap((r) => r.latenciesMs),
    wallMs: results.reduce((n, r) => n + r.wallMs, 0),
    perSecond: median(results.map((r) => r.perSecond)),
    roundRates: results.map((r) => r.perSecond),
  };
}
const LABEL = "chant:implement";

export async function benchIngress(settings: IngressSettings): Promise<IngressResult> {
  const fake = new FakeGitHub();
  await fake.start();
  const processes: BenchProcess[] = [];
  try {
    await fake.addRepo({ owner: "acme", name: "kv-store", dir: join(FIXTURE_REPOS, "kv-store") });
    fake.addUser("alice", { permission: "admin" });
    fake.addUser("ci-helper[bot]", { type: "Bot" });
    const labelIssues = settings.enqueueRequests + Math.ceil(settings.warmup / 5);
    const totalIssues = 2 + labelIssues + settings.throttledBurst;
    for (let n = 1; n <= totalIssues; n++)
      fake.addIssue(REPO, { number: n, title: `Bug ${n}`, user: "alice" });
    const secret = fake.webhookSecret;

    // The payloads, built and signed before any clock runs.
    const botComment = signedDelivery(
      "issue_comment",
      fake.payloads.issueCommentCreated({
        repo: REPO,
        issue: 1,
        body: "Thanks, looks good to me.",
        user: "ci-helper[bot]",
      }),
      secret,
    );
    const redelivered = signedDelivery(
      "issue_comment",
      fake.payloads.issueCommentCreated({
        repo: REPO,
        issue: 2,
        body: "/chant implement",
        user: "alice",
      }),
      secret,
      "bench-redelivered-0001",
    );
    const labels: Delivery[] = [];
    for (let n = 3; n <= totalIssues; n++) {
      labels.push(
        signedDelivery(
          "issues",
          fake.payloads.issuesLabeled({ repo: REPO, issue: n, label: LABEL, sender: "alice" }),
          secret,
        ),
      );
    }

    const env = (extra: Record<string, string> = {}) =>
      processEnv({
        ...fake.env(),
        NODE_ENV: "production",
        LOG_LEVEL: "info",
        LOG_FORMAT: "json",
        PORT: "0",
        CHANT_REDIS_URL: settings.redisUrl,
        CHANT_QUEUE_PREFIX: settings.prefix,
        ...extra,
      });
    const start = async (name: string, script: string, args: string[]) => {
      const proc = startNode(name, script, args, env());
      processes.push(proc);
      const port = (await proc.waitFor(/listening on port (\d+)/))[1];
      // Let start-up work (connections, JIT of the first paths) settle before "idle" is read.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return { proc, url: `http://127.0.0.1:${port}/api/github/webhooks` };
    };
    const memory: ProcessMemory[] = [];
    const measure = async (
      proc: BenchProcess,
      url: string,
      deliveries: (i: number) => Delivery,
      total: number,
      concurrency: number,
      warmup: number,
    ) => {
      if (warmup > 0)
        await runLoad({ url, concurrency, deliveries: (i) => deliveries(i), total: warmup });
      const rss = sampleRss(proc.pid);
      const before = fake.requests.length;
      const result = await runLoad({
        url,
        concurrency,
        deliveries: (i) => deliveries(warmup + i),
        total,
      });
      const calls = fake.requests.slice(before);
      return {
        result,
        peakKiB: rss.stop(),
        github: {
          perDelivery: round(calls.length / total),
          medianMs: calls.length ? round(median(calls.map((c) => c.durationMs))) : 0,
        },
      };
    };

    // 1-3. The baseline and `chant-bot web` side by side, measured in turns (round after
    // round, each path in turn), so that whatever else the machine does falls on all alike.
    const bare = await start("bare-probot", built("bare-probot"), []);
    const web = await start("chant-web", CLI, ["web"]);
    const bareIdle = memoryOf(bare.proc.pid);
    const webIdle = memoryOf(web.proc.pid);
    // The first delivery of the id is handled for real (it also mints the installation token).
    const first = await runLoad({
      url: web.url,
      concurrency: 1,
      deliveries: () => redelivered,
      total: 1,
    });
    if (first.statuses["200"] !== 1)
      throw new Error(`the first /chant implement delivery failed: ${JSON.stringify(first)}`);
    const fast = [
      { url: bare.url, delivery: botComment },
      { url: web.url, delivery: botComment },
      { url: web.url, delivery: redelivered },
    ];
    for (const path of fast) {
      await runLoad({
        url: path.url,
        concurrency: settings.concurrency,
        deliveries: () => path.delivery,
        total: settings.warmup,
      });
    }
    const bareRss = sampleRss(bare.proc.pid);
    const webRss = sampleRss(web.proc.pid);
    const rounds: LoadResult[][] = fast.map(() => []);
    const fastCalls = fast.map(() => 0);
    for (let turn = 0; turn < settings.rounds; turn++) {
      for (const [i, path] of fast.entries()) {
        const before = fake.requests.length;
        rounds[i]!.push(
          await runLoad({
            url: path.url,
            concurrency: settings.concurrency,
            deliveries: () => path.delivery,
            total: settings.fastRequests,
          }),
        );
        fastCalls[i]! += fake.requests.length - before;
      }
    }
    memory.push(
      memoryRow("bare Probot (baseline)", bareIdle.rssKiB, bareRss.stop(), bare.proc, "row 1"),
    );
    await bare.proc.stop();
    const [bareRun, ignored, duplicate] = rounds.map((results, i) => ({
      result: pool(results),
      github: {
        perDelivery: round(fastCalls[i]! / (settings.rounds * settings.fastRequests)),
        medianMs: 0,
      },
    })) as [Measured, Measured, Measured];

    // 3. The enqueueing path, throttle off (a separate process, same wiring).
    const open = await start("chant-web-no-throttle", built("chant-web-no-throttle"), []);
    const openIdle = memoryOf(open.proc.pid);
    const labelWarmup = Math.ceil(settings.warmup / 5);
    const enqueued = await measure(
      open.proc,
      open.url,
      (i) => labels[i]!,
      settings.enqueueRequests,
      settings.concurrency,
      labelWarmup,
    );
    memory.push(
      memoryRow(
        "chant web role, throttle off",
        openIdle.rssKiB,
        enqueued.peakKiB,
        open.proc,
        "row 4",
      ),
    );
    await open.proc.stop();

    // 4. The same path against the production throttle: a small burst at once.
    const offset = labelWarmup + settings.enqueueRequests;
    const throttled = await measure(
      web.proc,
      web.url,
      (i) => labels[offset + i]!,
      settings.throttledBurst,
      settings.throttledBurst,
      0,
    );
    memory.push(
      memoryRow("`chant-bot web`", webIdle.rssKiB, webRss.stop(), web.proc, "rows 2, 3, 5"),
    );
    await web.proc.stop();

    const base = bareRun.result;
    const rates = (m: Measured) =>
      (m.result.roundRates ?? []).map((r) => Math.round(r)).join(" / ");
    const row = (
      name: string,
      process: string,
      { result, github }: Measured,
      concurrency: number,
      note?: string,
    ): IngressRow => {
      const p50 = percentile(result.latenciesMs, 50);
      const p99 = percentile(result.latenciesMs, 99);
      return {
        name,
        process,
        concurrency,
        requests: result.requests,
        p50Ms: round(p50),
        p99Ms: round(p99),
        maxMs: round(Math.max(...result.latenciesMs)),
        perSecond: round(result.perSecond),
        statuses: result.statuses,
        github,
        vsProbot: {
          p50: significant(p50 / percentile(base.latenciesMs, 50)),
          p99: significant(p99 / percentile(base.latenciesMs, 99)),
          perSecond: significant(result.perSecond / base.perSecond),
        },
        ...(note ? { note } : {}),
      };
    };
    const firstFifth = enqueued.result.latenciesMs.slice(
      0,
      Math.ceil(enqueued.result.requests / 5),
    );
    const lastFifth = enqueued.result.latenciesMs.slice(-Math.ceil(enqueued.result.requests / 5));
    return {
      rounds: settings.rounds,
      rows: [
        row(
          "bare Probot, no-op handler (bot comment)",
          "bare-probot",
          bareRun,
          settings.concurrency,
        ),
        row(
          "chant: bot comment, ignored (no Redis, no GitHub)",
          "chant-bot web",
          ignored,
          settings.concurrency,
          `deliveries/s per round ${rates(ignored)} (bare Probot: ${rates(bareRun)})`,
        ),
        row(
          "chant: redelivered /chant implement (1 Redis SET NX)",
          "chant-bot web",
          duplicate,
          settings.concurrency,
          `deliveries/s per round ${rates(duplicate)}`,
        ),
        row(
          "chant: label -> enqueue + 👀 + status comment",
          "web role, throttle off",
          enqueued,
          settings.concurrency,
          `p50 ${round(percentile(firstFifth, 50))} ms over the first fifth, ${round(percentile(lastFifth, 50))} ms over the last (waiting jobs grow from ${labelWarmup} to ${labelWarmup + settings.enqueueRequests})`,
        ),
        row(
          "chant: label -> enqueue, production throttle",
          "chant-bot web",
          throttled,
          settings.throttledBurst,
          "Probot's Octokit spaces writes 1 s apart (3 s for comments) per installation",
        ),
      ],
      memory,
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await fake.stop();
    await deleteKeysUnder(settings.redisUrl, settings.prefix);
  }
}

function significant(value: number): number {
  return Number(value.toPrecision(3));
}

/** 1.06x; a tiny rate as a fraction (1/14000x), which rounding would show as 0x. */
function ratio(value: number): string {
  return value >= 0.1 ? `${round(value)}x` : `1/${Math.round(1 / value)}x`;
}

function memoryRow(
  name: string,
  idleKiB: number,
  loadKiB: number,
  proc: BenchProcess,
  load: string,
): ProcessMemory {
  return {
    process: name,
    idleMiB: mib(idleKiB),
    loadMiB: mib(loadKiB),
    peakMiB: mib(memoryOf(proc.pid).hwmKiB),
    load: `ingress ${load}`,
  };
}

export function ingressTables(result: IngressResult): Table[] {
  return [
    {
      title: "Webhook ingress (signed deliveries over HTTP, keep-alive)",
      headers: [
        "path",
        "process",
        "conc.",
        "n",
        "p50 ms",
        "p99 ms",
        "max ms",
        "deliveries/s",
        "GitHub calls each",
        "p50 vs Probot",
        "rate vs Probot",
        "non-200",
      ],
      rows: result.rows.map((r) => [
        r.name,
        r.process,
        r.concurrency,
        r.requests,
        r.p50Ms,
        r.p99Ms,
        r.maxMs,
        r.perSecond,
        r.github.perDelivery,
        ratio(r.vsProbot.p50),
        ratio(r.vsProbot.perSecond),
        Object.entries(r.statuses)
          .filter(([s]) => s !== "200")
          .reduce((n, [, c]) => n + c, 0),
      ]),
      notes: result.rows.filter((r) => r.note).map((r) => `${r.name}: ${r.note}`),
    },
  ];
}
