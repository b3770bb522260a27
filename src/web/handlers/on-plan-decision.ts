import type { Context } from "probot";
import { ConfigError } from "../../domain/repo-config.js";
import { withNotice } from "../../domain/status.js";
import { stopStatus } from "../../pipeline/pipeline-stop.js";
import { enqueueImplement } from "../../queue/enqueue.js";
import { planFor } from "../../queue/plans.js";
import type { ChantCommand } from "../parse-command.js";
import { acknowledge, forgeFor, noteDelivery, type WebDeps } from "../web-deps.js";

type Decision = Extract<ChantCommand, { name: "approve" | "reject" }>;

/**
 * `/chant approve [sha]` or `/chant reject <reason>` on the plan's pull
 * request or on the issue that asked for it, from someone already known to
 * have write permission (and not a bot). The approval is pinned to the commit
 * the approver saw: the plan's head now, or the sha they name, which must
 * still be the head. The worker writes chant's record and, for an approval,
 * runs the agent on exactly that commit.
 */
export async function onPlanDecision(
  context: Context<"issue_comment.created">,
  deps: WebDeps,
  command: Decision,
): Promise<void> {
  const { payload } = context;
  const forge = forgeFor(context, deps);
  const target = payload.issue.number;
  const login = payload.sender.login;
  const comment = { comment: payload.comment.id };
  const say = async (text: string, reaction: "eyes" | "confused") => {
    await acknowledge(context, deps, "answer the decision", async () => {
      await forge.ensureStatusComment(target, (previous) => withNotice(previous, text));
      await forge.react(comment, reaction);
    });
  };
  const refuse = async (text: string) => {
    noteDelivery(context.id, "refused");
    await say(`@${login}: ${text}`, "confused");
  };

  const plan = await planFor(deps.queues, payload.repository.id, target);
  if (!plan) {
    await refuse(
      `no plan awaits approval here, so there is nothing to ${command.name}. \`/chant plan\` on the issue drafts one.`,
    );
    return;
  }
  let config;
  try {
    config = (await forge.repoConfig()).config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    await acknowledge(context, deps, "report the invalid config", () =>
      forge.ensureStatusComment(target, () => stopStatus(error)),
    );
    return;
  }
  if (
    command.name === "approve" &&
    config.approval.separate_approver &&
    login.toLowerCase() === plan.job.requestedBy.toLowerCase()
  ) {
    await refuse(
      "you asked for this plan, and `approval.separate_approver` in `.github/chant.yml` wants someone else to approve it, so nothing was started. Another maintainer can comment `/chant approve`.",
    );
    return;
  }
  const pr = await forge.pullRequest(plan.pullRequest);
  const branch = `chant/${plan.specId}`;
  if (pr.fromFork || pr.headRef !== branch) {
    await refuse(
      `the plan's pull request #${plan.pullRequest} no longer comes from \`${branch}\` of this repository, so it cannot be ${command.name === "approve" ? "approved" : "rejected"}; ask for a new plan with \`/chant plan\`.`,
    );
    return;
  }
  let sha = pr.headSha;
  if (command.name === "approve" && command.sha !== undefined && !sha.startsWith(command.sha)) {
    await refuse(
      `\`${command.sha}\` is not the head of \`${branch}\` (it is at \`${sha.slice(0, 7)}\`): either the sha is unknown, or the branch moved after the commit you reviewed, and a push after a review needs a new one. Review the head and comment \`/chant approve\` again; nothing was started.`,
    );
    return;
  }
  sha = pr.headSha;

  const result = await enqueueImplement(deps.queues, {
    ...plan.job,
    plan: undefined,
    specId: plan.specId,
    trigger: "comment",
    triggerCommentId: payload.comment.id,
    deliveryId: context.id,
    decision: {
      kind: command.name,
      sha,
      by: login,
      at: commentTime(payload.comment.created_at),
      ...(command.name === "reject" ? { reason: command.reason } : {}),
    },
  });
  context.log.info(
    { delivery: context.id, job: result.jobId, outcome: result.outcome, sha },
    `plan ${command.name} requested`,
  );
  if (result.outcome === "already") {
    await refuse(
      `a job for this issue is already ${result.state} (\`${result.jobId}\`), so the ${command.name === "approve" ? "approval" : "rejection"} was not queued; ask again when it is done.`,
    );
    return;
  }
  await say(
    command.name === "approve"
      ? `@${login} approved the plan at \`${sha.slice(0, 7)}\`: the agent will run on exactly that commit (a push to \`${branch}\` before it starts needs a new approval).`
      : `@${login} rejected the plan at \`${sha.slice(0, 7)}\`; the reason is being recorded in the spec.`,
    "eyes",
  );
}

/** When the comment was written (GitHub's `created_at`), or now when the payload has no usable time. */
function commentTime(createdAt: string | undefined): string {
  const ms = Date.parse(createdAt ?? "");
  return Number.isNaN(ms) ? new Date().toISOString() : new Date(ms).toISOString();
}
