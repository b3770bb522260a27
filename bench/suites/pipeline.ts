/**
 * The pipeline's own overhead: a no-op agent and trivial checks (`true`, and a
 * reproduction check that looks for the agent's one file), the real worker in
 * process against the GitHub stand-in and a real Redis. Time from the job's
 * start (BullMQ processedOn) to the pull request opened (end of the publish
 * step), split by step with the durations `onStep` reports; the median over
 * several runs, each on a fresh stand-in and queue (one run first to warm up,
 * not counted). One more run with Probot's production write throttle on the
 * worker shows what pacing writes to GitHub adds.
 */
import { STEP_NAMES, type StepName } from "../../src/domain/status.js";
import {
  NOOP_AGENT,
  runImplementFlow,
  TRIVIAL_CHECKS_CONFIG,
  type FlowResult,
} from "../lib/implement-flow.js";
import { countApi } from "../lib/api-requests.js";
import { median, round, sum } from "../lib/stats.js";
import type { Table } from "../lib/table.js";

export interface PipelineSettings {
  runs: number;
  throttledRun: boolean;
}

export interface PipelineSummary {
  runs: number;
  /** Per step: median ms over the runs. */
  steps: Record<StepName, number>;
  /** Job start -> PR opened, outside any step: token, config, cancel check, first status comment, repo lookups. */
  outsideStepsMs: number;
  jobStartToPrMs: number;
  /** Every run's job start -> PR opened, in order. */
  jobStartToPrAllMs: number[];
  prToChecksDoneMs: number;
  /** The label delivered -> the last check run completed: what a maintainer waits. */
  labelToChecksDoneMs: number;
  /** Writes to GitHub up to the PR, and in the whole implement job. */
  writes: { implement: number; checks: number };
}

export interface PipelineResult {
  unthrottled: PipelineSummary;
  throttled: PipelineSummary | undefined;
}

export async function benchPipeline(settings: PipelineSettings): Promise<PipelineResult> {
  const flow = (throttledWorker: boolean) =>
    runImplementFlow({ agentScript: NOOP_AGENT, config: TRIVIAL_CHECKS_CONFIG, throttledWorker });
  await flow(false); // warm-up: module loading, JIT, git's caches
  const runs: FlowResult[] = [];
  for (let i = 0; i < settings.runs; i++) runs.push(await flow(false));
  return {
    unthrottled: summarize(runs),
    throttled: settings.throttledRun ? summarize([await flow(true)]) : undefined,
  };
}

function summarize(runs: FlowResult[]): PipelineSummary {
  for (const run of runs) {
    if (run.outcome !== "succeeded" || run.prOpenedAt === undefined)
      throw new Error(`a pipeline run ended ${run.outcome}`);
  }
  const untilPr = (run: FlowResult) => {
    const publishAt = STEP_NAMES.indexOf("publish");
    return run.steps.filter((s) => STEP_NAMES.indexOf(s.step) <= publishAt);
  };
  const steps = Object.fromEntries(
    STEP_NAMES.map((name) => [
      name,
      round(median(runs.map((r) => r.steps.find((s) => s.step === name)?.ms ?? Number.NaN))),
    ]),
  ) as Record<StepName, number>;
  const total = runs.map((r) => r.prOpenedAt! - r.job.startedAt);
  const counts = runs.map(countApi);
  return {
    runs: runs.length,
    steps,
    outsideStepsMs: round(
      median(runs.map((r) => r.prOpenedAt! - r.job.startedAt - sum(untilPr(r).map((s) => s.ms)))),
    ),
    jobStartToPrMs: round(median(total)),
    jobStartToPrAllMs: total,
    prToChecksDoneMs: round(median(runs.map((r) => r.checksDoneAt - r.prOpenedAt!))),
    labelToChecksDoneMs: round(median(runs.map((r) => r.checksDoneAt - r.labelAt))),
    writes: {
      implement: median(counts.map((c) => c.writes.implement)),
      checks: median(counts.map((c) => c.writes.checks)),
    },
  };
}

export function pipelineTables(result: PipelineResult): Table[] {
  const { unthrottled: u, throttled: t } = result;
  const headers = [
    "",
    `median of ${u.runs} runs, ms`,
    ...(t ? ["production throttle, 1 run, ms"] : []),
  ];
  const row = (label: string, pick: (s: PipelineSummary) => number) => [
    label,
    pick(u),
    ...(t ? [pick(t)] : []),
  ];
  return [
    {
      title: "Pipeline overhead (no-op agent, trivial checks): job start -> PR opened, by step",
      headers,
      rows: [
        row("outside the steps (token, config, first status comment)", (s) => s.outsideStepsMs),
        ...STEP_NAMES.filter((n) => n !== "hand_over_checks").map((n) => row(n, (s) => s.steps[n])),
        row("= job start -> PR opened", (s) => s.jobStartToPrMs),
        row("hand_over_checks (after the PR)", (s) => s.steps.hand_over_checks),
        row("PR opened -> 4 check runs completed", (s) => s.prToChecksDoneMs),
        row("= label delivered -> last check run completed", (s) => s.labelToChecksDoneMs),
        row("writes to GitHub, implement job (count)", (s) => s.writes.implement),
        row("writes to GitHub, checks job (count)", (s) => s.writes.checks),
      ],
      notes: [
        `job start -> PR opened, every run: ${u.jobStartToPrAllMs.map((ms) => Math.round(ms)).join(", ")} ms`,
        "a step's time includes any status-comment update it makes (one PATCH)",
        "the checks job is held until the implement job ends (each request is counted in one phase); unheld it starts at hand_over_checks, up to two writes earlier",
      ],
    },
  ];
}
