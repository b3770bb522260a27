import { pendingApproval } from "../../chant-format/approval.js";
import { serializeSpec } from "../../chant-format/serialize-spec.js";
import type { RepoConfig } from "../../domain/repo-config.js";
import { freshStatus } from "../../domain/status.js";
import type { DraftedSpec } from "../draft-spec/draft-implementation-spec.js";
import type { ImplementRequest, RunSoFar } from "../implement-types.js";
import type { ResearchForRequest } from "../find-research/find-research-for-request.js";
import { describePr, type Committed } from "../commit/committed.js";

/**
 * Why this run stops at the plan, or undefined when it goes on to the agent:
 * `approval.required` in `.github/chant.yml`, the trigger (the plan label,
 * `/chant plan`), or a research spec of the chain that itself required
 * approval (chant's `approval.required: true`). An approved plan goes on.
 */
export function planReason(
  request: ImplementRequest,
  config: RepoConfig,
  research: Pick<ResearchForRequest, "found">,
): string | undefined {
  if (request.decision?.kind === "approve") return undefined;
  if (config.approval.required) return "`.github/chant.yml` sets `approval.required: true`";
  if (request.plan) return "the request asked for a plan first";
  const specs = [
    research.found.research,
    ...(research.found.chain.members ?? []).map((m) => m.spec),
  ];
  const gated = specs.find((s) => s.frontmatter.approval?.required);
  return gated ? `the research spec \`${gated.id}\` has \`approval.required: true\`` : undefined;
}

/** The draft as chant's `chant add --needs-approval` writes it: `approval: {required: true, status: pending}`. */
export function withPendingApproval(draft: DraftedSpec): DraftedSpec {
  const spec = { ...draft, frontmatter: { ...draft.frontmatter, approval: pendingApproval() } };
  return { ...spec, content: serializeSpec(spec) };
}

/** How to give or refuse the approval, the same words in the pull request and the status comment. */
export function approvalHowTo(config: RepoConfig, requestedBy: string | undefined): string[] {
  return [
    "To approve, someone with write permission comments `/chant approve` on this pull request or on the issue: the agent then runs on the spec exactly as it is at the branch's head now (`/chant approve <sha>` names the commit you reviewed). A push after the approval needs a new approval.",
    "To refuse, comment `/chant reject <reason>`: the reason is recorded in the spec's `## Approval Discussion`; edit the spec on the branch and approve later.",
    ...(config.approval.separate_approver && requestedBy
      ? [
          `\`approval.separate_approver\` is set: @${requestedBy}, who asked for this plan, cannot approve it.`,
        ]
      : []),
    "Edit the spec on the branch `chant/<ID>` before approving if the plan needs changes: chant-bot checks it after every push.",
  ];
}

/**
 * The commit step of a run stopped at the plan: the drafted spec alone on
 * `chant/<ID>` (committed by prepareWorkspace), presented as a draft pull
 * request that awaits approval. Nothing to check, no agent ran.
 */
export function commitPlan(run: RunSoFar, reason: string): Committed {
  const { research, draft, workspace: ws, deps, request } = run;
  const howTo = approvalHowTo(deps.config, request.requestedBy).map((l) =>
    l.replace("`chant/<ID>`", `\`${ws.branch}\``),
  );
  return {
    headSha: ws.draftCommit,
    note: "the plan only: awaits approval",
    checkable: false,
    pullRequest: (blobUrl) => ({
      title: `Plan for #${research.issueNumber}: ${draft.title} (awaits approval)`,
      body: [
        `Plan for #${research.issueNumber}, awaiting approval before any agent runs (${reason}).`,
        "",
        `This pull request holds only the implementation spec ${blobUrl ? `[\`${draft.path}\`](${blobUrl}${draft.path})` : `\`${draft.path}\``}, drafted from the research \`${research.found.research.id}\` with \`approval: {required: true, status: pending}\`, as chant's approval gate has it.`,
        "",
        ...howTo.flatMap((l) => [`- ${l}`]),
      ].join("\n"),
      draft: true,
    }),
    final: (pr, { details, blobUrl }) => ({
      state: freshStatus(
        "awaiting_approval",
        `${describePr(pr, ws.branch)}: the plan awaits approval`,
        {
          details: [...details, "", `Stopped before the agent: ${reason}.`, "", ...howTo],
          links: [
            ...(pr.number > 0 ? [{ label: `#${pr.number}`, url: pr.url }] : []),
            ...(blobUrl ? [{ label: "the plan", url: `${blobUrl}${draft.path}` }] : []),
          ],
        },
      ),
      reaction: undefined,
      outcome: {
        kind: "awaiting_approval",
        specId: draft.id,
        branch: ws.branch,
        headSha: ws.draftCommit,
        pullRequest: pr,
      },
    }),
  };
}
