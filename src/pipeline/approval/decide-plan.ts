import { recordRejection } from "../../chant-format/approval.js";
import { CHANT_CONFIG_PATH, readRejectionAction } from "../../chant-format/chant-config.js";
import { reviewPlan } from "../../chant-format/plan-problems.js";
import { serializeSpec } from "../../chant-format/serialize-spec.js";
import { SPEC_CHECK_NAME } from "../../domain/checks.js";
import { readText } from "../../domain/repo-files.js";
import { freshStatus, withNotice } from "../../domain/status.js";
import { GitError } from "../../process/git.js";
import type { ImplementDeps, ImplementOutcome, ImplementRequest } from "../implement-types.js";
import { describeStop, PipelineStop } from "../pipeline-stop.js";
import { commitFileFromIndex } from "../workspace/index-files.js";
import { openPinned, planPath } from "./approve-plan.js";

/**
 * A decision on a plan that runs no agent: `review` (a push to the plan's
 * branch: is the spec still one chant accepts?) or `reject` (chant's
 * rejection record committed on the branch at the commit the person saw).
 * Said in the status comment; a bad spec or a moved branch is an answer, not
 * a crash.
 */
export async function decidePlan(
  request: ImplementRequest,
  deps: ImplementDeps,
): Promise<ImplementOutcome> {
  const decision = request.decision!;
  try {
    return decision.kind === "review"
      ? await reviewPush(request, deps)
      : await reject(request, deps);
  } catch (error) {
    const described = describeStop(error);
    if (!described.final && !deps.lastAttempt) throw error;
    await deps.forge.ensureStatusComment(request.target, (previous) =>
      withNotice(
        previous,
        `${decision.kind === "reject" ? `@${decision.by}: the rejection was not recorded: ` : ""}${described.headline}. ${described.details.filter((l) => l !== "").join(" ")}`,
      ),
    );
    if (request.reactionTarget)
      await deps.forge
        .react(request.reactionTarget, "confused")
        .catch((e: unknown) => deps.log?.warn({ err: e }, "could not react confused"));
    return { kind: "stopped", ...described };
  }
}

async function reviewPush(
  request: ImplementRequest,
  deps: ImplementDeps,
): Promise<ImplementOutcome> {
  const decision = request.decision!;
  const path = planPath(request.specId);
  const text = await readText(deps.forge.files(decision.sha), path);
  const problems =
    text === undefined
      ? [`\`${path}\` is not on the branch at \`${decision.sha.slice(0, 7)}\``]
      : reviewPlan(path, text).problems;
  const short = decision.sha.slice(0, 7);
  // On the pushed commit, where a reviewer of the pull request looks first.
  await deps.forge.ensureCheckRun(decision.sha, SPEC_CHECK_NAME, {
    status: "completed",
    conclusion: problems.length === 0 ? "success" : "failure",
    title:
      problems.length === 0
        ? "The plan can be approved"
        : `The plan cannot be approved as it is (${problems.length} ${problems.length === 1 ? "problem" : "problems"})`,
    summary:
      problems.length === 0
        ? "chant reads the spec, it has a title and acceptance criteria, and it awaits approval. `/chant approve` runs the agent on this commit."
        : [
            ...problems.map((p) => `- ${p}`),
            "",
            "Fix the spec on the branch; every push is checked.",
          ].join("\n"),
  });
  await deps.forge.ensureStatusComment(request.target, (previous) =>
    withNotice(
      previous,
      problems.length === 0
        ? `The plan at \`${short}\` (pushed by @${decision.by}) was checked: chant reads it, it has acceptance criteria and still awaits approval. \`/chant approve\` runs the agent on it.`
        : [
            `The plan at \`${short}\` (pushed by @${decision.by}) cannot be approved as it is:`,
            ...problems.map((p) => `- ${p}`),
            "Fix the spec on the branch; it is checked again on every push.",
          ].join("\n"),
    ),
  );
  return { kind: "plan_reviewed", sha: decision.sha, problems };
}

async function reject(request: ImplementRequest, deps: ImplementDeps): Promise<ImplementOutcome> {
  const decision = request.decision!;
  const specPath = planPath(request.specId);
  const specId = request.specId!;
  const repo = await deps.forge.repo();
  const pinned = await openPinned(
    {
      forge: deps.forge,
      specId,
      decision,
      defaultBranch: repo.defaultBranch,
      workRoot: deps.workRoot,
      secrets: deps.secrets,
      signal: deps.signal,
    },
    specPath,
  );
  if (pinned.kind !== "at_pin") {
    await pinned.workspace.dispose();
    throw new PipelineStop(
      "not_awaiting_approval",
      `\`chant/${specId}\` was already implemented after an approval`,
      ["A rejection no longer applies; review the pull request instead."],
      "refused",
    );
  }
  const ws = pinned.workspace;
  try {
    const review = reviewPlan(specPath, pinned.specText);
    if (!review.spec) {
      throw new PipelineStop("plan_invalid", "the plan's spec cannot be read", review.problems);
    }
    const rejected = recordRejection(
      review.spec,
      decision.by,
      decision.reason ?? "",
      new Date(decision.at),
    );
    await commitFileFromIndex(
      ws.git,
      specPath,
      serializeSpec(rejected),
      `chant(${specId}): reject spec`,
    );
    try {
      await ws.gitRemote([
        "push",
        "--no-verify",
        `--force-with-lease=refs/heads/${ws.branch}:${decision.sha}`,
        "origin",
        `HEAD:refs/heads/${ws.branch}`,
      ]);
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      throw new PipelineStop(
        "push_rejected",
        `\`${ws.branch}\` moved while the rejection was written`,
        ["Comment `/chant reject <reason>` again on the new head."],
        "refused",
      );
    }
  } finally {
    await ws.dispose();
  }
  const action = readRejectionAction(
    await readText(deps.forge.files(repo.defaultBranch), CHANT_CONFIG_PATH),
  );
  const next =
    action.action === "manual"
      ? "The plan stays on the branch, `rejected`: edit the spec there, then `/chant approve` runs the agent on the new version."
      : `\`.chant/config.md\` sets \`approval.rejection_action: ${action.action}\`, which \`chant reject\` acts on locally (${action.action === "dependency" ? "a fix spec the plan then depends on" : "the plan split into member specs"}); chant-bot records the rejection only. Edit the spec on the branch (or run \`chant reject\` in a checkout for that), then \`/chant approve\`.`;
  await deps.forge.ensureStatusComment(request.target, (previous) =>
    freshStatus("awaiting_approval", `the plan was rejected by @${decision.by}`, {
      details: [
        `> ${(decision.reason ?? "").replace(/\n/g, "\n> ")}`,
        "",
        `Recorded in \`${specPath}\` (\`approval.status: rejected\`, \`## Approval Discussion\`) on \`chant/${specId}\`.`,
        next,
        ...(action.problem ? [`(${action.problem}; read as \`manual\`.)`] : []),
      ],
      links: previous?.links ?? [],
      jobId: deps.jobId,
    }),
  );
  if (request.reactionTarget) await deps.forge.react(request.reactionTarget, "+1");
  return { kind: "plan_rejected", specId, rejectionAction: action.action };
}
