import type { ReactionTarget } from "../forge/forge.js";
import {
  freshStatus,
  pendingSteps,
  type StatusState,
  type StepName,
  type StepState,
} from "../domain/status.js";
import type { ImplementDeps } from "./implement-types.js";
import { PipelineStop, type Described } from "./pipeline-stop.js";

const PROGRESS_EVERY_MS = 60_000;

/**
 * Steps that say so in the status comment as they start: the first (the job
 * began) and the agent (it takes minutes). Any other step says so only when it
 * is still running after SLOW_STEP_MS (a big clone, a slow push): an edit is
 * a write, and GitHub wants writes few and about a second apart.
 */
const ANNOUNCED_STEPS = new Set<StepName>(["find_research", "run_agent"]);
const SLOW_STEP_MS = 10_000;

/**
 * Runs steps in order and keeps the ONE status comment current: which step
 * runs, how long each took, the agent's latest progress (at most once a
 * minute), and the final outcome with a reaction on the trigger.
 */
export class StepRunner {
  private readonly steps = pendingSteps();
  private readonly started = Date.now();
  private lastProgress = 0;
  details: string[] = [];
  stats: StatusState["stats"] = undefined;

  constructor(
    private readonly target: number,
    private readonly deps: ImplementDeps,
  ) {}

  async step<T>(
    name: StepName,
    work: () => Promise<T>,
    note?: (result: T) => string | undefined,
  ): Promise<T> {
    if (this.deps.signal?.aborted)
      throw new PipelineStop("cancelled", "cancelled before the next step", [], "cancelled");
    const startedAt = Date.now();
    const log = this.deps.log?.child({ step: name });
    this.mark(name, "running");
    log?.info("step started");
    let slow: NodeJS.Timeout | undefined;
    if (ANNOUNCED_STEPS.has(name)) await this.report("running", `${stepVerb(name)}…`);
    else {
      slow = setTimeout(() => {
        this.report("running", `${stepVerb(name)}…`).catch((error: unknown) =>
          log?.warn({ err: error }, "could not update the status comment"),
        );
      }, SLOW_STEP_MS);
    }
    try {
      const result = await work();
      clearTimeout(slow);
      const ms = Date.now() - startedAt;
      this.mark(name, "done", note?.(result), ms);
      this.deps.onStep?.(name, "done", ms);
      log?.info({ ms }, "step done");
      return result;
    } catch (error) {
      clearTimeout(slow);
      const ms = Date.now() - startedAt;
      this.mark(name, "failed", undefined, ms);
      this.deps.onStep?.(name, "failed", ms);
      log?.warn({ ms, err: error }, "step failed");
      throw error;
    }
  }

  mark(name: StepName, state: StepState, note?: string, ms?: number): void {
    const step = this.steps.find((s) => s.name === name)!;
    step.state = state;
    if (note !== undefined) step.note = note;
    if (ms !== undefined) step.ms = ms;
  }

  progress(name: StepName, line: string): void {
    this.mark(name, "running", line.slice(0, 200));
    if (Date.now() - this.lastProgress < PROGRESS_EVERY_MS) return;
    this.lastProgress = Date.now();
    void this.report("running", "running the agent…").catch((error: unknown) =>
      this.deps.log?.warn({ err: error }, "could not update the status comment with progress"),
    );
  }

  private report(phase: "running", headline: string): Promise<unknown> {
    return this.deps.forge.ensureStatusComment(this.target, (previous) => ({
      ...freshStatus(phase, headline, {
        details: this.details,
        steps: this.steps.map((s) => ({ ...s })),
        jobId: this.deps.jobId,
        ...(this.stats ? { stats: this.stats } : {}),
      }),
      // A reply to someone (e.g. "already running") stays until the outcome.
      ...(previous?.notice ? { notice: previous.notice } : {}),
    }));
  }

  async finish(
    state: StatusState,
    reaction: "rocket" | "confused",
    target: ReactionTarget | undefined,
  ): Promise<void> {
    const durationMs = Date.now() - this.started;
    await this.deps.forge.ensureStatusComment(this.target, () => ({
      ...state,
      steps: this.steps.map((s) => ({ ...s })),
      stats: { ...this.stats, durationMs },
      jobId: this.deps.jobId,
    }));
    if (target) {
      await this.deps.forge
        .react(target, reaction)
        .catch((error: unknown) =>
          this.deps.log?.warn({ err: error }, `could not react ${reaction}`),
        );
    }
  }

  async fail(described: Described, target: ReactionTarget | undefined): Promise<void> {
    await this.finish(
      freshStatus(described.phase, described.headline, {
        details: [...described.details, ...(this.details.length ? ["", ...this.details] : [])],
      }),
      "confused",
      target,
    );
  }

  async retrying(described: Described): Promise<void> {
    await this.report("running", `${described.headline}; the job will run again`);
  }
}

function stepVerb(name: StepName): string {
  const verbs: Record<StepName, string> = {
    find_research: "looking for the research spec",
    draft_spec: "drafting the implementation spec",
    prepare_workspace: "cloning the repository",
    run_agent: "running the agent",
    verify_result: "verifying the result",
    commit: "committing",
    publish: "pushing and opening the pull request",
    hand_over_checks: "starting the checks",
  };
  return verbs[name];
}
