/**
 * One implement flow end to end, in process, against the GitHub stand-in and
 * a real Redis: a signed `chant:implement` label delivered over HTTP to
 * chant-bot's web server, the real workers (implement, then checks) with a
 * scripted agent, until the pull request has its four completed check runs.
 * The web side and the worker side have a Probot (token cache, throttle)
 * each, as the separate `chant-bot web` and `chant-bot worker` processes do.
 * Used by the API-request count (bench and test/bench) and the pipeline timing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { createProbot, ProbotOctokit, type Probot } from "probot";
import { agentFromEnv } from "../../src/agents/agent-from-env.js";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { sandboxFromEnv } from "../../src/sandbox/sandbox-from-env.js";
import type { StepName, StepState } from "../../src/domain/status.js";
import { shellQuote } from "../../src/process/command-line.js";
import { RedisMutex } from "../../src/queue/redis-mutex.js";
import { chantBotApp } from "../../src/web/app.js";
import { createWebServer } from "../../src/web/http-server.js";
import { githubForges } from "../../src/worker/forge-factory.js";
import { startWorkers } from "../../src/worker/start-workers.js";
import { drained, finished, UnthrottledOctokit } from "../../test/support/e2e-stack.js";
import { FakeGitHub, type RecordedRequest } from "../../test/support/fake-github/index.js";
import { FIXTURE_REPOS } from "../../test/support/memory-files.js";
import { openTestQueues } from "../../test/support/redis.js";
import { RedisStatusCommentStore } from "../../src/queue/redis-status-store.js";

export const AGENTS_DIR = join(import.meta.dirname, "..", "..", "test", "fixtures", "agents");
/** The scripted agent that makes kv-store's real fix (its checks then all pass). */
export const FIX_AGENT = join(AGENTS_DIR, "fix-kv-store.mjs");
/** Ticks the spec's boxes, fills the release notes, writes one file: an agent that costs nothing. */
export const NOOP_AGENT = join(import.meta.dirname, "..", "agents", "noop-agent.mjs");

/** Checks that cost (almost) nothing; the reproduction one still fails on base and passes on head. */
export const TRIVIAL_CHECKS_CONFIG = `label: chant:implement
checks:
  reproduction: test -e BENCH_NOOP.md
  tests: "true"
  lint: "true"
  format: "true"
pr:
  draft: true
`;

export interface FlowOptions {
  agentScript: string;
  /** Replaces the fixture's `.github/chant.yml`. */
  config?: string;
  /** Probot's production Octokit throttle (writes 1 s apart per installation) on the worker side. */
  throttledWorker?: boolean;
  /** Where agents and checks run (default: bubblewrap, with the bench's agents readable). */
  sandbox?: Sandbox;
}

/** The sandbox a benchmark runs in by default: the production one, the bench's agents visible. */
export function benchSandbox(workRoot: string): Promise<Sandbox> {
  return sandboxFromEnv(
    {
      PATH: process.env.PATH,
      CHANT_SANDBOX_READ: [
        join(import.meta.dirname, "..", "agents"),
        join(import.meta.dirname, "..", "..", "test", "fixtures"),
      ].join(":"),
    },
    { workRoot },
  );
}

export interface StepTiming {
  step: StepName;
  outcome: StepState;
  ms: number;
  /** Date.now() when the step ended. */
  endedAt: number;
}

export interface FlowResult {
  outcome: string;
  /** Requests the stand-in received, per phase, in order. */
  phases: { web: RecordedRequest[]; implement: RecordedRequest[]; checks: RecordedRequest[] };
  steps: StepTiming[];
  /** When the label delivery was sent to the web server (ms since the epoch). */
  labelAt: number;
  /** BullMQ's timestamps of the implement job (ms since the epoch). */
  job: { enqueuedAt: number; startedAt: number; finishedAt: number };
  /** When the publish step (push + pull request) ended. */
  prOpenedAt: number | undefined;
  /** When the last check run completed (the checks job finished). */
  checksDoneAt: number;
  /** The check runs of the PR's head, with the times the app gave them (the check's own run). */
  checkRuns: {
    name: string;
    status: string;
    conclusion: string | null;
    startedAt: string;
    completedAt: string | null;
  }[];
  pulls: number;
  statusComments: number;
  unrouted: string[];
}

const silent = pino({ level: "silent" });

function probotFor(fake: FakeGitHub, throttled: boolean): Probot {
  return createProbot({
    env: { ...fake.env(), LOG_LEVEL: "silent" },
    overrides: { Octokit: throttled ? ProbotOctokit : UnthrottledOctokit, log: silent },
  });
}

export async function runImplementFlow(options: FlowOptions): Promise<FlowResult> {
  const fake = new FakeGitHub();
  await fake.start();
  const { queues, settings, cleanup } = await openTestQueues();
  const workRoot = mkdtempSync(join(tmpdir(), "chant-bench-work-"));
  let workers: Awaited<ReturnType<typeof startWorkers>> | undefined;
  try {
    await fake.addRepo({
      owner: "acme",
      name: "kv-store",
      dir: join(FIXTURE_REPOS, "kv-store"),
      ...(options.config ? { files: { ".github/chant.yml": options.config } } : {}),
    });
    fake.addUser("alice", { permission: "admin" });
    fake.addUser("reporter", { permission: "read" });
    fake.addIssue("acme/kv-store", {
      number: 42,
      title: "Values disappear when two writes happen at once",
      body: "Updating email and phone at the same moment keeps only one of them.",
      user: "reporter",
    });

    // The web role: the label arrives signed over HTTP and is answered once queued.
    const mutex = new RedisMutex(queues.redis, queues.prefix);
    const probotWeb = probotFor(fake, false);
    await probotWeb.load(chantBotApp({ queues, appId: fake.appId, mutex }));
    const web = createWebServer({
      probot: probotWeb,
      webhookSecret: fake.webhookSecret,
      log: silent,
    });
    await new Promise<void>((resolve) => web.listen(0, "127.0.0.1", resolve));
    fake.resetRequests();
    const labelAt = Date.now();
    const delivery = await fake
      .deliver(
        `http://127.0.0.1:${(web.address() as AddressInfo).port}/api/github/webhooks`,
        "issues",
        fake.payloads.issuesLabeled({
          repo: "acme/kv-store",
          issue: 42,
          label: "chant:implement",
          sender: "alice",
        }),
      )
      .finally(() => web.close());
    if (delivery.status !== 200) throw new Error(`the label delivery got ${delivery.status}`);
    const afterWeb = fake.requests.length;
    const [job] = await queues.implement.getJobs(["waiting"]);
    if (!job?.id) throw new Error("the label delivery queued no job");

    // The worker role: implement first, the checks held until it has finished, so each
    // request belongs to one phase.
    await queues.checks.pause();
    const steps: StepTiming[] = [];
    let prOpenedAt: number | undefined;
    workers = await startWorkers({
      settings,
      queues,
      forges: githubForges({
        probot: probotFor(fake, options.throttledWorker ?? false),
        appId: fake.appId,
        mutex,
        log: silent,
        statusStore: new RedisStatusCommentStore(queues.redis, queues.prefix),
      }),
      agent: agentFromEnv({
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CHANT_AGENT: "command",
        CHANT_AGENT_COMMAND: `${shellQuote(process.execPath)} ${shellQuote(options.agentScript)}`,
      }),
      sandbox: options.sandbox ?? (await benchSandbox(workRoot)),
      workRoot,
      secrets: [fake.privateKey, fake.webhookSecret],
      log: silent,
      shutdownGraceMs: 2000,
      onStep: (step, outcome, ms) => {
        const endedAt = Date.now();
        steps.push({ step, outcome, ms, endedAt });
        if (step === "publish" && outcome === "done") prOpenedAt = endedAt;
      },
    });
    const done = await finished(queues.implement, job.id, 120_000);
    const afterImplement = fake.requests.length;
    await queues.checks.resume();
    await drained(queues.checks, 120_000);
    const checksJobs = await queues.checks.getJobs(["completed", "failed"]);
    const checksDoneAt = Math.max(...checksJobs.map((j) => j.finishedOn ?? 0));

    const all = fake.requests;
    const outcome = (done.returnvalue as { kind?: string } | undefined)?.kind ?? "failed";
    const sha = (done.returnvalue as { headSha?: string } | undefined)?.headSha;
    return {
      outcome,
      phases: {
        web: all.slice(0, afterWeb),
        implement: all.slice(afterWeb, afterImplement),
        checks: all.slice(afterImplement),
      },
      steps,
      labelAt,
      job: {
        enqueuedAt: done.timestamp,
        startedAt: done.processedOn ?? Number.NaN,
        finishedAt: done.finishedOn ?? Number.NaN,
      },
      prOpenedAt,
      checksDoneAt,
      checkRuns: (sha ? fake.checkRuns("acme/kv-store", sha) : []).map((r) => ({
        name: r.name,
        status: r.status,
        conclusion: r.conclusion,
        startedAt: r.started_at,
        completedAt: r.completed_at,
      })),
      pulls: (await fake.pulls("acme/kv-store")).length,
      statusComments: fake.comments("acme/kv-store", 42).length,
      unrouted: all.filter((r) => !r.routed).map((r) => `${r.method} ${r.path}`),
    };
  } finally {
    await workers?.close();
    await cleanup();
    await fake.stop();
    rmSync(workRoot, { recursive: true, force: true });
  }
}
