import type { Logger } from "pino";
import type { Agent, AgentResult } from "../agents/agent.js";
import type { RepoConfig } from "../domain/repo-config.js";
import type { Forge, ReactionTarget } from "../forge/forge.js";
import { uncheckedCriteria } from "../spec/acceptance-criteria.js";
import { sections, sectionText } from "../spec/markdown.js";
import { parseSpec } from "../spec/parse-spec.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import { takeAgentChanges } from "./run-agent/agent-workspace.js";
import { readRegularFile } from "./workspace/index-files.js";
import { commitResult } from "./commit/commit-result.js";
import { sendBackToResearch } from "./commit/send-back-to-research.js";
import { draftForIssue } from "./draft-spec/draft-for-issue.js";
import { releaseNotesFilled, type DraftedSpec } from "./draft-spec/draft-implementation-spec.js";
import {
  findResearchForRequest,
  type ResearchForRequest,
  type ResearchRequestInput,
} from "./find-research/find-research-for-request.js";
import { describeStop, PipelineStop, type Described } from "./pipeline-stop.js";
import { publish } from "./publish/publish.js";
import { fixPullRequestBody, reResearchPullRequestBody } from "./publish/pull-request-body.js";
import { runAgentStep } from "./run-agent/run-agent-step.js";
import {
  freshStatus,
  pendingSteps,
  type StatusState,
  type StepName,
  type StepState,
} from "../domain/status.js";
import { verifyResult, type VerifiedResult } from "./verify-result/verify-result.js";
import { prepareWorkspace, type Workspace } from "./workspace/prepare-workspace.js";
import { isShutdown } from "../domain/shutdown.js";
import { plural } from "../util/plural.js";

export interface ImplementRequest extends ResearchRequestInput {
  /** Who asked: review is requested from them. */
  requestedBy?: string | undefined;
  /** The spec id an earlier attempt of this job drafted: same spec, same branch. */
  specId?: string | undefined;
  /** Where the final 🚀 / 😕 goes. */
  reactionTarget?: ReactionTarget | undefined;
}

export interface ChecksHandover {
  headSha: string;
  baseSha: string;
  branch: string;
  pullRequest: number;
  reproductionTests: string[];
}

export interface ImplementDeps {
  forge: Forge;
  agent: Agent;
  /** Where the agent (and git over its tree) runs: nothing there can reach the worker's secrets. */
  sandbox: Sandbox;
  /** `.github/chant.yml` of the default branch. */
  config: RepoConfig;
  /** Where workspaces are made (and removed). */
  workRoot: string;
  /** Secrets of this process to redact from every output. */
  secrets: readonly string[];
  /** Step 8: create the check runs and queue the checks (GitHub) or run them (local); none: no checks (`--no-checks`). */
  handOverChecks?: ((handover: ChecksHandover) => Promise<void>) | undefined;
  /** Remember the drafted spec's id, so a second run of the job keeps it. */
  onSpecId?: (id: string) => Promise<void>;
  /** Measure a step (metrics). */
  onStep?: (step: StepName, outcome: StepState, ms: number) => void;
  /** This is the job's last attempt: an unexpected error is final. */
  lastAttempt?: boolean;
  jobId?: string | undefined;
  signal?: AbortSignal | undefined;
  log?: Logger | undefined;
  now?: () => Date;
}

export type ImplementOutcome =
  | {
      kind: "succeeded";
      specId: string;
      branch: string;
      headSha: string;
      pullRequest: { number: number; url: string };
    }
  | {
      kind: "needs_research";
      specId: string;
      branch: string;
      pullRequest: { number: number; url: string };
    }
  | ({ kind: "stopped" } & Described);

/**
 * The implementation, as the list of steps DESIGN.md names:
 * find research -> draft spec -> prepare workspace -> run agent -> verify
 * result -> commit -> publish -> hand over to the checks. Written once against
 * the Forge; run by the worker (GitHub) and by `chant-bot implement` (local).
 */
export async function runImplementation(
  request: ImplementRequest,
  deps: ImplementDeps,
): Promise<ImplementOutcome> {
  const run = new StepRunner(request.target, deps);
  const now = deps.now ?? (() => new Date());
  let workspace: Workspace | undefined;
  try {
    const research = await run.step(
      "find_research",
      () => findResearchForRequest(deps.forge, request),
      (r) => `\`${r.found.research.id}\``,
    );
    run.details = research.summary;

    const draft = await run.step(
      "draft_spec",
      () => draftSpec(research, request, deps, now()),
      (d) => `\`${d.path}\``,
    );

    workspace = await run.step(
      "prepare_workspace",
      () =>
        prepareWorkspace({
          forge: deps.forge,
          draft,
          defaultBranch: research.defaultBranch,
          workRoot: deps.workRoot,
          secrets: deps.secrets,
          signal: deps.signal,
        }),
      (w) =>
        w.resumed ? `\`${w.branch}\` (already finished by an earlier attempt)` : `\`${w.branch}\``,
    );
    const ws = workspace;

    const repoName = (await deps.forge.repo()).name;
    let agent: AgentResult | undefined;
    let verified: VerifiedResult;
    let headSha: string;
    if (ws.resumed) {
      for (const step of ["run_agent", "verify_result", "commit"] as const)
        run.mark(step, "skipped", "done by an earlier attempt");
      verified = await readFinishedBranch(ws);
      headSha = (await ws.git(["rev-parse", "HEAD"])).trim();
    } else {
      agent = await run.step(
        "run_agent",
        () =>
          runAgentStep({
            agent: deps.agent,
            sandbox: deps.sandbox,
            workspace: ws,
            draft,
            found: research.found,
            issue: research.issue,
            config: deps.config,
            repoName,
            signal: deps.signal,
            onProgress: (line) => run.progress("run_agent", line),
          }),
        (a) =>
          [
            a.turns === undefined ? undefined : plural(a.turns, "turn"),
            a.costUsd === undefined ? undefined : `$${a.costUsd.toFixed(2)}`,
          ]
            .filter(Boolean)
            .join(", "),
      );
      run.stats = { turns: agent.turns, costUsd: agent.costUsd, model: agent.model };
      const agentResult = agent;
      verified = await run.step(
        "verify_result",
        async () => {
          await takeAgentChanges(ws, deps.sandbox, deps.signal);
          return verifyResult(ws, agentResult, deps.config);
        },
        (v) =>
          v.needsResearch
            ? "the research's approach does not work"
            : `${plural(v.changedFiles.length, "file")} changed${v.unticked.length ? `, ${plural(v.unticked.length, "criterion", "criteria")} not ticked` : ""}`,
      );

      if (verified.needsResearch) {
        const v = verified;
        const followUp = await run.step("commit", () =>
          sendBackToResearch(ws, v, {
            specId: draft.id,
            issueNumber: research.issueNumber,
            oldResearch: research.found.research,
            rcaPaths: research.found.chain.rcaDocuments.map((d) => d.path),
            now: now(),
          }),
        );
        const blobUrl = await blobBase(deps.forge, ws.branch);
        const pr = await run.step("publish", () =>
          publish({
            forge: deps.forge,
            workspace: ws,
            base: research.defaultBranch,
            title: followUp.title,
            body: reResearchPullRequestBody({
              issueNumber: research.issueNumber,
              implSpecPath: draft.path,
              research: followUp.research,
              oldResearch: research.found.research,
              notes: followUp.notes,
              blobUrl,
            }),
            draft: true,
            reviewers: request.requestedBy ? [request.requestedBy] : [],
          }),
        );
        run.mark("hand_over_checks", "skipped", "no fix to check");
        await run.finish(
          freshStatus(
            "needs_research",
            // A local run has no pull request: it names the branch.
            pr.number > 0
              ? `the research's approach does not work: opened #${pr.number} to re-research issue #${research.issueNumber}`
              : `the research's approach does not work: branch ${ws.branch} holds the follow-up research spec for issue #${research.issueNumber}`,
            {
              details: [
                "The agent's implementation notes:",
                "",
                ...followUp.notes.split("\n").map((l) => `> ${l}`),
              ],
              links: pr.number > 0 ? [{ label: `#${pr.number}`, url: pr.url }] : [],
            },
          ),
          "confused",
          request.reactionTarget,
        );
        return { kind: "needs_research", specId: draft.id, branch: ws.branch, pullRequest: pr };
      }

      const v = verified;
      const committed = await run.step(
        "commit",
        () =>
          commitResult(ws, v, {
            specId: draft.id,
            title: draft.title,
            // The model chant records: what the agent reported, else what it was asked to use.
            model:
              agentResult.model ??
              (deps.agent.name === "command" ? undefined : deps.config.agent.model),
            now: now(),
          }),
        (c) => plural(c.commits.length, "commit"),
      );
      headSha = committed.headSha;
    }

    const blobUrl = await blobBase(deps.forge, ws.branch);
    const v = verified;
    const pr = await run.step(
      "publish",
      () =>
        publish({
          forge: deps.forge,
          workspace: ws,
          base: research.defaultBranch,
          title: draft.title,
          body: fixPullRequestBody({
            issueNumber: research.issueNumber,
            spec: v.spec,
            research: research.found.research,
            rcaPaths: research.found.chain.rcaDocuments.map((d) => d.path),
            blobUrl,
            agent,
            unticked: v.unticked,
            releaseNotesFilled: v.releaseNotesFilled,
            implementationNotes: v.implementationNotes,
            reproductionTests: research.found.chain.reproductionTests,
            changedFiles: v.changedFiles,
          }),
          draft: deps.config.pr.draft,
          reviewers: request.requestedBy ? [request.requestedBy] : [],
        }),
      (p) => describePr(p, ws.branch),
    );
    const handOverChecks = deps.handOverChecks;
    if (handOverChecks) {
      await run.step("hand_over_checks", () =>
        handOverChecks({
          headSha,
          baseSha: ws.baseSha,
          branch: ws.branch,
          pullRequest: pr.number,
          reproductionTests: research.found.chain.reproductionTests,
        }),
      );
    }
    const warnings = [
      ...(v.unticked.length
        ? [
            `⚠️ ${v.unticked.length} acceptance criteria are not ticked; the spec is \`needs_attention\`.`,
          ]
        : []),
      ...(v.releaseNotesFilled ? [] : ["⚠️ The agent did not fill in the Release Notes."]),
    ];
    await run.finish(
      freshStatus("succeeded", `${describePr(pr, ws.branch)}: ${draft.title}`, {
        details: [...run.details, ...(warnings.length ? ["", ...warnings] : [])],
        links: [
          { label: `#${pr.number}`, url: pr.url },
          ...(blobUrl ? [{ label: "implementation spec", url: `${blobUrl}${draft.path}` }] : []),
        ],
      }),
      "rocket",
      request.reactionTarget,
    );
    return { kind: "succeeded", specId: draft.id, branch: ws.branch, headSha, pullRequest: pr };
  } catch (error) {
    if (isShutdown(deps.signal)) {
      // Not an outcome: the job goes back to the queue and another worker takes it.
      await run
        .retrying({
          phase: "running",
          headline: "the worker is shutting down",
          details: [],
          final: false,
        })
        .catch(() => undefined);
      throw error;
    }
    const described = describeStop(error);
    deps.log?.warn(
      { err: error, job: deps.jobId },
      `implementation stopped: ${described.headline}`,
    );
    if (!described.final && !deps.lastAttempt) {
      await run.retrying(described).catch(() => undefined);
      throw error;
    }
    await run
      .fail(described, request.reactionTarget)
      .catch((e: unknown) => deps.log?.error({ err: e }, "could not report the failure"));
    return { kind: "stopped", ...described };
  } finally {
    await workspace?.dispose();
  }
}

async function draftSpec(
  research: ResearchForRequest,
  request: ImplementRequest,
  deps: ImplementDeps,
  now: Date,
): Promise<DraftedSpec> {
  const draft = await draftForIssue(deps.forge.files(research.defaultBranch), research.found, {
    id: request.specId,
    issueNumber: research.issueNumber,
    issueTitle: research.issue?.title,
    status: deps.config.spec_status,
    now,
  });
  await deps.onSpecId?.(draft.id);
  return draft;
}

/** What verify would have found, read back from a branch an earlier attempt finished. */
async function readFinishedBranch(ws: Workspace): Promise<VerifiedResult> {
  const text = await readRegularFile(ws.git, "HEAD", ws.specPath);
  if (text === undefined) throw new Error(`${ws.specPath} is not a regular file on ${ws.branch}`);
  const spec = parseSpec(ws.specPath, text);
  const changed = (await ws.git(["diff", "--name-only", "-z", `${ws.baseSha}..HEAD`]))
    .split("\0")
    .filter((p) => p && p !== ws.specPath);
  const all = sections(spec.body);
  const notes = all.find((s) => s.level === 2 && /^implementation notes$/i.test(s.title.trim()));
  const release = all.find((s) => s.level === 2 && /^release notes$/i.test(s.title.trim()));
  return {
    changedFiles: changed,
    spec,
    unticked: uncheckedCriteria(spec.body),
    releaseNotesFilled: release ? releaseNotesFilled(sectionText(release)) : false,
    implementationNotes: notes ? sectionText(notes) || undefined : undefined,
    needsResearch: false,
  };
}

/** "opened #12"; a local run has no pull request number. */
function describePr(pr: { number: number; created: boolean }, branch: string): string {
  return pr.number > 0
    ? `${pr.created ? "opened" : "updated"} #${pr.number}`
    : `branch ${branch} ready`;
}

async function blobBase(forge: Forge, branch: string): Promise<string | undefined> {
  const repo = await forge.repo();
  return repo.htmlUrl ? `${repo.htmlUrl}/blob/${branch}/` : undefined;
}

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
class StepRunner {
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
    void this.report("running", "running the agent…").catch(() => undefined);
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
    if (target) await this.deps.forge.react(target, reaction).catch(() => undefined);
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
