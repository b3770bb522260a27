import type { AgentResult } from "../agents/agent.js";
import { plural } from "../util/plural.js";
import { isShutdown } from "../domain/shutdown.js";
import type { Forge } from "../forge/forge.js";
import { takeAgentChanges } from "./run-agent/agent-workspace.js";
import { runAgentStep } from "./run-agent/run-agent-step.js";
import { commitFix } from "./commit/commit-fix.js";
import { commitFollowUp } from "./commit/commit-follow-up.js";
import { describePr, type Committed } from "./commit/committed.js";
import { draftForIssue } from "./draft-spec/draft-for-issue.js";
import { findResearchForRequest } from "./find-research/find-research-for-request.js";
import type {
  ImplementDeps,
  ImplementOutcome,
  ImplementRequest,
  RunSoFar,
} from "./implement-types.js";
import { describeStop } from "./pipeline-stop.js";
import { publish, type Published } from "./publish/publish.js";
import { StepRunner } from "./step-runner.js";
import { openApprovedPlan } from "./approval/approve-plan.js";
import { commitPlan, planReason, withPendingApproval } from "./approval/commit-plan.js";
import { readFinishedBranch } from "./verify-result/read-finished-branch.js";
import { verifyResult, type VerifiedResult } from "./verify-result/verify-result.js";
import { prepareWorkspace, type Workspace } from "./workspace/prepare-workspace.js";

export type {
  ChecksHandover,
  ImplementDeps,
  ImplementOutcome,
  ImplementRequest,
} from "./implement-types.js";

/**
 * The implementation, as the list of steps ARCHITECTURE.md names:
 * find research -> draft spec -> prepare workspace -> run agent -> verify
 * result -> commit -> publish -> hand over to the checks. Each step is a
 * module with one entry point; this only runs them in order and keeps the
 * status comment (StepRunner). Written once against the Forge; run by the
 * worker (GitHub) and by `chant-bot implement` (local).
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
    const plan = planReason(request, deps.config, research);
    let draft: RunSoFar["draft"];
    const approval = request.decision?.kind === "approve" ? request.decision : undefined;
    if (approval) {
      // The plan a person approved, at the commit they saw: no new draft.
      const approved = await run.step(
        "prepare_workspace",
        () =>
          openApprovedPlan({
            forge: deps.forge,
            specId: request.specId,
            decision: approval,
            defaultBranch: research.defaultBranch,
            workRoot: deps.workRoot,
            secrets: deps.secrets,
            signal: deps.signal,
          }),
        (a) => `\`${a.workspace.branch}\` at \`${approval.sha.slice(0, 7)}\``,
      );
      workspace = approved.workspace;
      draft = approved.draft;
      run.mark("draft_spec", "done", `the plan approved by @${approval.by}`);
    } else {
      const drafted = await run.step(
        "draft_spec",
        () => draftSpec(research, request, deps, now()),
        (d) => `\`${d.path}\``,
      );
      draft = plan ? withPendingApproval(drafted) : drafted;
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
          w.resumed
            ? `\`${w.branch}\` (already finished by an earlier attempt)`
            : `\`${w.branch}\``,
      );
    }
    const soFar: RunSoFar = { request, deps, research, draft, workspace, now };

    const committed =
      plan && !workspace.resumed
        ? stopAtPlan(run, soFar, plan)
        : await implementAndCommit(run, soFar);
    const blobUrl = await blobBase(deps.forge, workspace.branch);
    const pr = await run.step(
      "publish",
      () =>
        publish({
          forge: deps.forge,
          workspace: soFar.workspace,
          base: research.defaultBranch,
          reviewers: request.requestedBy ? [request.requestedBy] : [],
          ...committed.pullRequest(blobUrl),
        }),
      (p) => describePr(p, soFar.workspace.branch),
    );
    await handOverChecks(run, soFar, committed, pr);
    const final = committed.final(pr, { details: run.details, blobUrl });
    await run.finish(
      final.state,
      final.reaction ?? "rocket",
      final.reaction ? request.reactionTarget : undefined,
    );
    return final.outcome;
  } catch (error) {
    return await stopped(run, request, deps, error);
  } finally {
    await workspace?.dispose();
  }
}

/** A plan awaits approval: no agent, nothing to verify; the spec alone is published. */
function stopAtPlan(run: StepRunner, soFar: RunSoFar, reason: string): Committed {
  for (const step of ["run_agent", "verify_result"] as const)
    run.mark(step, "skipped", "awaits approval");
  const committed = commitPlan(soFar, reason);
  run.mark("commit", "done", committed.note);
  return committed;
}

/**
 * Steps 4 to 6: the agent runs, its result is verified and committed (a fix,
 * or a follow-up research when the approach did not work). A branch an
 * earlier attempt finished is read back instead.
 */
async function implementAndCommit(run: StepRunner, soFar: RunSoFar): Promise<Committed> {
  const { workspace: ws } = soFar;
  if (ws.resumed) {
    for (const step of ["run_agent", "verify_result", "commit"] as const)
      run.mark(step, "skipped", "done by an earlier attempt");
    return commitFix(soFar, await readFinishedBranch(ws), undefined);
  }
  const agent = await run.step(
    "run_agent",
    () => runAgent(run, soFar),
    (a) =>
      [
        a.turns === undefined ? undefined : plural(a.turns, "turn"),
        a.costUsd === undefined ? undefined : `$${a.costUsd.toFixed(2)}`,
      ]
        .filter(Boolean)
        .join(", "),
  );
  run.stats = { turns: agent.turns, costUsd: agent.costUsd, model: agent.model };
  const verified = await run.step(
    "verify_result",
    async () => {
      await takeAgentChanges(ws, soFar.deps.sandbox, soFar.deps.signal);
      return verifyResult(ws, agent, soFar.deps.config);
    },
    describeVerified,
  );
  return run.step(
    "commit",
    () =>
      verified.needsResearch ? commitFollowUp(soFar, verified) : commitFix(soFar, verified, agent),
    (c) => c.note,
  );
}

async function runAgent(
  run: StepRunner,
  { deps, workspace, draft, research }: RunSoFar,
): Promise<AgentResult> {
  return runAgentStep({
    repoName: (await deps.forge.repo()).name,
    agent: deps.agent,
    sandbox: deps.sandbox,
    workspace,
    draft,
    found: research.found,
    issue: research.issue,
    config: deps.config,
    signal: deps.signal,
    onProgress: (line) => run.progress("run_agent", line),
  });
}

function describeVerified(v: VerifiedResult): string {
  if (v.needsResearch) return "the research's approach does not work";
  const unticked = v.unticked.length
    ? `, ${plural(v.unticked.length, "criterion", "criteria")} not ticked`
    : "";
  return `${plural(v.changedFiles.length, "file")} changed${unticked}`;
}

/** Step 8: the checks job (GitHub) or the checks run here (local); nothing for a follow-up research. */
async function handOverChecks(
  run: StepRunner,
  { deps, workspace: ws, research }: RunSoFar,
  committed: Committed,
  pr: Published,
): Promise<void> {
  if (!committed.checkable) {
    run.mark("hand_over_checks", "skipped", "no fix to check");
    return;
  }
  const handOver = deps.handOverChecks;
  if (!handOver) return;
  await run.step("hand_over_checks", () =>
    handOver({
      headSha: committed.headSha,
      baseSha: ws.baseSha,
      branch: ws.branch,
      pullRequest: pr.number,
      reproductionTests: research.found.chain.reproductionTests,
    }),
  );
}

/**
 * A run that stopped: said in the status comment through describeStop, then
 * ended (final) or thrown again for BullMQ to retry. A worker shutting down
 * is no outcome: the job goes back to the queue for another worker.
 */
async function stopped(
  run: StepRunner,
  request: ImplementRequest,
  deps: ImplementDeps,
  error: unknown,
): Promise<ImplementOutcome> {
  const couldNotSay = (e: unknown) =>
    deps.log?.warn({ err: e, job: deps.jobId }, "could not update the status comment");
  if (isShutdown(deps.signal)) {
    await run
      .retrying({
        phase: "running",
        headline: "the worker is shutting down",
        details: [],
        final: false,
      })
      .catch(couldNotSay);
    throw error;
  }
  const described = describeStop(error);
  deps.log?.warn({ err: error, job: deps.jobId }, `implementation stopped: ${described.headline}`);
  if (!described.final && !deps.lastAttempt) {
    await run.retrying(described).catch(couldNotSay);
    throw error;
  }
  await run
    .fail(described, request.reactionTarget)
    .catch((e: unknown) => deps.log?.error({ err: e }, "could not report the failure"));
  return { kind: "stopped", ...described };
}

async function draftSpec(
  research: RunSoFar["research"],
  request: ImplementRequest,
  deps: ImplementDeps,
  now: Date,
): Promise<RunSoFar["draft"]> {
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

async function blobBase(forge: Forge, branch: string): Promise<string | undefined> {
  const repo = await forge.repo();
  return repo.htmlUrl ? `${repo.htmlUrl}/blob/${branch}/` : undefined;
}
