import type { Agent } from "../agents/agent.js";
import type { CheckConclusion } from "../domain/checks.js";
import type { WorkerSettings } from "./start-workers.js";
import type { JobOutcome, Metrics } from "../observability/metrics.js";

type Hooks = Pick<WorkerSettings, "onStep" | "onConclusion" | "onJobDone" | "onAgentRun">;

/** The worker's hooks that move the metrics: steps, check conclusions, jobs, agent runs. */
export function workerMetricsHooks(metrics: Metrics, agent: Agent): Hooks {
  return {
    onStep: (step, outcome, ms) =>
      metrics.stepDuration(
        step,
        outcome === "done" ? "ok" : outcome === "failed" ? "failed" : "skipped",
        ms,
      ),
    onConclusion: (check, conclusion) =>
      metrics.checkConclusion(check, conclusion as CheckConclusion),
    onJobDone: (queue, outcome, ms) =>
      metrics.jobDuration(queue as "implement" | "checks", jobOutcome(outcome), ms),
    onAgentRun: (result) =>
      metrics.agentRun(agent.name, result.outcome, result.durationMs, result.costUsd),
  };
}

/** A job's returned `kind` as the metric's outcome. */
function jobOutcome(kind: string): JobOutcome {
  if (["succeeded", "checked", "needs_research", "superseded"].includes(kind)) return "completed";
  if (kind === "stopped" || kind === "config_invalid") return "stopped";
  if (kind === "cancelled") return "cancelled";
  return "failed";
}
