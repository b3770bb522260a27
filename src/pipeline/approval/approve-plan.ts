import { recordApproval } from "../../chant-format/approval.js";
import { firstHeading } from "../../chant-format/markdown.js";
import { parseSpec } from "../../chant-format/parse-spec.js";
import { reviewPlan } from "../../chant-format/plan-problems.js";
import { serializeSpec } from "../../chant-format/serialize-spec.js";
import { isSpecId } from "../../chant-format/spec-id.js";
import type { PlanDecision } from "../../domain/plan.js";
import type { Forge } from "../../forge/forge.js";
import type { DraftedSpec } from "../draft-spec/draft-implementation-spec.js";
import { PipelineStop } from "../pipeline-stop.js";
import { commitFileFromIndex } from "../workspace/index-files.js";
import { prepareBranchAt, type Workspace } from "../workspace/prepare-workspace.js";

export interface PinnedPlanInput {
  forge: Forge;
  specId: string | undefined;
  decision: PlanDecision;
  defaultBranch: string;
  workRoot: string;
  secrets: readonly string[];
  signal?: AbortSignal | undefined;
}

export interface ApprovedPlan {
  workspace: Workspace;
  /** The approved spec, as the agent gets it. */
  draft: DraftedSpec;
  /** Whether an earlier attempt already finished it (only publishing is left). */
  finished: boolean;
}

export function planPath(specId: string | undefined): string {
  if (specId === undefined || !isSpecId(specId)) {
    throw new PipelineStop(
      "invalid_request",
      "the decision names no plan",
      ["A decision on a plan needs the plan's spec id (`chant/<ID>`)."],
      "refused",
    );
  }
  return `.chant/specs/${specId}.md`;
}

/**
 * The plan's branch at the commit the approver saw, with chant's approval
 * record committed on top (`chant(<ID>): approve spec`): that commit's spec
 * is what the agent runs on. Refused, with the reason, when the branch moved
 * after the approval, when the spec there is not a plan chant would accept,
 * or when it does not ask for approval.
 */
export async function openApprovedPlan(input: PinnedPlanInput): Promise<ApprovedPlan> {
  const specPath = planPath(input.specId);
  const specId = input.specId!;
  const pinned = await openPinned(input, specPath);
  if (pinned.kind === "finished") {
    const text = await pinned.workspace.git(["show", `HEAD:${specPath}`]);
    return { workspace: pinned.workspace, draft: asDraft(specId, specPath, text), finished: true };
  }
  const ws = pinned.workspace;
  try {
    const review = reviewPlan(specPath, pinned.specText);
    if (review.problems.length > 0 || !review.spec) {
      throw new PipelineStop(
        "plan_invalid",
        `the plan at \`${input.decision.sha.slice(0, 7)}\` cannot be approved as it is`,
        [
          ...review.problems.map((p) => `- ${p}`),
          "",
          "Fix the spec on the branch, then comment `/chant approve` again.",
        ],
        "refused",
      );
    }
    const { spec: approved, changed } = recordApproval(
      review.spec,
      input.decision.by,
      new Date(input.decision.at),
    );
    const content = serializeSpec(approved);
    if (changed) {
      await commitFileFromIndex(ws.git, specPath, content, `chant(${specId}): approve spec`);
      // The working tree too: the agent's copy is made from it.
      await ws.git(["checkout", "--", specPath]);
    }
    const draftCommit = (await ws.git(["rev-parse", "HEAD"])).trim();
    return {
      workspace: { ...ws, draftCommit },
      draft: asDraft(specId, specPath, content),
      finished: false,
    };
  } catch (error) {
    await ws.dispose();
    throw error;
  }
}

/** The plan's branch at the decision's commit, or a refusal that says where the branch went. */
export async function openPinned(input: PinnedPlanInput, specPath: string) {
  const pinned = await prepareBranchAt({
    forge: input.forge,
    specId: input.specId!,
    specPath,
    sha: input.decision.sha,
    defaultBranch: input.defaultBranch,
    workRoot: input.workRoot,
    secrets: input.secrets,
    signal: input.signal,
  });
  if (pinned.kind === "moved") {
    const branch = `chant/${input.specId!}`;
    throw new PipelineStop(
      "moved_after_approval",
      pinned.head
        ? `\`${branch}\` moved after the ${input.decision.kind === "approve" ? "approval" : "decision"}: \`${input.decision.sha.slice(0, 7)}\` was decided on, the branch is now at \`${pinned.head.slice(0, 7)}\``
        : `\`${branch}\` is gone`,
      [
        pinned.head
          ? `A push after an approval is not what was approved, so nothing ran. Review the new head and comment \`/chant ${input.decision.kind === "approve" ? "approve" : "reject <reason>"}\` again.`
          : "The plan's branch was deleted; ask for a new plan.",
      ],
      "refused",
    );
  }
  return pinned;
}

function asDraft(specId: string, specPath: string, content: string): DraftedSpec {
  const spec = parseSpec(specPath, content);
  return {
    ...spec,
    id: specId,
    path: specPath,
    title: firstHeading(spec.body) ?? specId,
    content,
    missing: [],
  };
}
