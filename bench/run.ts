/**
 * `npm run bench`: chant-bot's benchmarks, in one run, on this machine.
 * Needs Redis on 127.0.0.1:6379 (or CHANT_REDIS_URL); every key it writes
 * sits under a `bench-<random>` prefix and is deleted afterwards.
 *
 *   npm run bench                    all of it (a few minutes), then bench/results/latest.json
 *                                    and the results section of BENCHMARKS.md are rewritten
 *   npm run bench -- --quick         smaller settings, a smoke run (BENCHMARKS.md untouched)
 *   npm run bench -- --only=ingress,api,pipeline,sandbox,queue   some of it (BENCHMARKS.md untouched)
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { API_BUDGET, countApi, countByEndpoint, GIT_BUDGET, PHASES } from "./lib/api-requests.js";
import { FIX_AGENT, runImplementFlow } from "./lib/implement-flow.js";
import { describeMachine } from "./lib/machine.js";
import { buildForBench, RESULTS_DIR, ROOT } from "./lib/processes.js";
import { printTables, resultsSection, updateMarkdown } from "./lib/report.js";
import type { Table } from "./lib/table.js";
import { benchIngress, ingressTables, type ProcessMemory } from "./suites/ingress.js";
import { benchPipeline, pipelineTables } from "./suites/pipeline.js";
import { benchQueue, queueTables } from "./suites/queue.js";
import { benchSandboxCost, sandboxTables } from "./suites/sandbox.js";

const SUITES = ["ingress", "api", "pipeline", "sandbox", "queue"] as const;
type Suite = (typeof SUITES)[number];

const { values } = parseArgs({
  options: { quick: { type: "boolean", default: false }, only: { type: "string" } },
});
const only = values.only?.split(",").map((s) => s.trim()) as Suite[] | undefined;
for (const suite of only ?? []) {
  if (!SUITES.includes(suite)) {
    console.error(`bench: unknown suite "${suite}"; known: ${SUITES.join(", ")}`);
    process.exit(2);
  }
}
const wanted = (suite: Suite) => !only || only.includes(suite);
const quick = values.quick ?? false;
const redisUrl = process.env.CHANT_REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = () => `bench-${randomBytes(4).toString("hex")}`;
const log = (text: string) => process.stderr.write(`bench: ${text}\n`);

const started = Date.now();
const machine = await describeMachine(redisUrl);
log(
  `${machine.nproc} CPUs, ${machine.cpuModel}, Node ${machine.node}, Redis ${machine.redis}, load ${machine.loadAverage}`,
);
if (machine.loadAverage > machine.nproc / 2)
  log(`the machine is busy (load ${machine.loadAverage}): the figures will be skewed`);
log("compiling src/ and bench/processes/ to .tmp/bench-dist");
await buildForBench();

const tables: Table[] = [];
const results: Record<string, unknown> = {};
const memory: ProcessMemory[] = [];

if (wanted("ingress")) {
  log("webhook ingress");
  const ingress = await benchIngress({
    redisUrl,
    prefix: prefix(),
    concurrency: 50,
    fastRequests: quick ? 500 : 3000,
    rounds: quick ? 2 : 5,
    enqueueRequests: quick ? 200 : 600,
    throttledBurst: quick ? 3 : 5,
    warmup: quick ? 200 : 500,
  });
  results.ingress = ingress;
  memory.push(...ingress.memory);
  tables.push(...ingressTables(ingress));
}

if (wanted("api")) {
  log("GitHub requests per implement flow");
  const flow = await runImplementFlow({ agentScript: FIX_AGENT });
  if (flow.outcome !== "succeeded") throw new Error(`the implement flow ended ${flow.outcome}`);
  const counts = countApi(flow);
  const endpoints = countByEndpoint(flow);
  results.apiRequests = { counts, budget: { api: API_BUDGET, git: GIT_BUDGET }, endpoints };
  tables.push({
    title: "GitHub requests per implement flow (label -> draft PR with 4 completed check runs)",
    headers: ["endpoint", ...PHASES, "total"],
    rows: [
      ...endpoints.map((e) => [e.endpoint, e.web, e.implement, e.checks, e.total]),
      ["API requests (REST + GraphQL)", ...PHASES.map((p) => counts.api[p]), counts.api.total],
      [
        "  budget (test/bench/api-budget.test.ts)",
        ...PHASES.map((p) => API_BUDGET[p]),
        API_BUDGET.total,
      ],
      [
        "  of which writes (spaced >= 1 s by Probot)",
        ...PHASES.map((p) => counts.writes[p]),
        counts.writes.total,
      ],
      ["git requests (budget " + GIT_BUDGET + ")", "", "", "", counts.git],
    ],
    notes: [
      "web = the label delivery; implement = the implement job; checks = the checks job (held until the implement job finished)",
      "the fixture repository kv-store, the scripted agent that makes its real fix, its real checks (all four pass)",
    ],
  });
}

if (wanted("pipeline")) {
  log("pipeline overhead");
  const pipeline = await benchPipeline({ runs: quick ? 3 : 5, throttledRun: !quick });
  results.pipeline = pipeline;
  tables.push(...pipelineTables(pipeline));
}

if (wanted("sandbox")) {
  log("sandbox cost");
  const settings = {
    startRuns: quick ? 5 : 30,
    bigTreeFiles: quick ? 1000 : 5000,
    flowRuns: quick ? 2 : 10,
  };
  const sandbox = await benchSandboxCost(settings);
  results.sandbox = sandbox;
  tables.push(...sandboxTables(sandbox, settings));
}

if (wanted("queue")) {
  log("queue throughput and pickup");
  const queue = await benchQueue({
    redisUrl,
    prefix: prefix(),
    workerCounts: [1, 2, 4],
    burstJobs: quick ? 2000 : 10_000,
    pacedJobs: quick ? 100 : 300,
    pacedEveryMs: 5,
    checksJobsPerWorker: 2,
  });
  results.queue = queue;
  memory.push(...queue.memory);
  tables.push(...queueTables(queue));
}

if (memory.length > 0) {
  tables.push({
    title: "Resident memory (VmRSS of the real processes, /proc/<pid>/status)",
    headers: ["process", "idle MiB", "under load MiB", "VmHWM MiB", "load"],
    rows: memory.map((m) => [m.process, m.idleMiB, m.loadMiB, m.peakMiB, m.load]),
    notes: [
      "idle: 1 s after start; under load: the largest of samples every 100 ms; VmHWM: the kernel's peak",
      "processes run from JavaScript compiled to .tmp/bench-dist (node dist/..., as deployed), not through tsx",
    ],
  });
}

printTables(tables);
const durationS = (Date.now() - started) / 1000;
const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
const endLoad = Math.round(loadavg()[0]! * 100) / 100;
mkdirSync(RESULTS_DIR, { recursive: true });
const json = join(RESULTS_DIR, "latest.json");
writeFileSync(
  json,
  `${JSON.stringify({ date, durationS, quick, only: only ?? [...SUITES], machine, endLoad, ...results }, null, 2)}\n`,
);
log(`wrote ${json} (${Math.round(durationS)} s)`);
if (!only && !quick) {
  const commands = [
    "redis-server &            # Redis >= 6.2 on 127.0.0.1:6379 (or set CHANT_REDIS_URL)",
    "npm ci",
    "npm run bench             # this section, and bench/results/latest.json",
    "npx vitest run test/bench # the API budget test",
  ];
  await updateMarkdown(
    join(ROOT, "BENCHMARKS.md"),
    resultsSection(machine, date, durationS, endLoad, commands, tables),
  );
  log("updated BENCHMARKS.md");
}
process.exit(0);
