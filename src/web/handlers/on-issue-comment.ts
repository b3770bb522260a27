import type { Context } from "probot";
import { ConfigError, type LoadedConfig } from "../../domain/repo-config.js";
import { withNotice } from "../../domain/status.js";
import {
  activeImplementJob,
  enqueueChecks,
  lastImplementJob,
  queuePosition,
  requestCancel,
} from "../../queue/enqueue.js";
import { isBot, mayTrigger, refusalNotice, roleOf } from "../authorize.js";
import { stopStatus } from "../../pipeline/pipeline-stop.js";
import { COMMAND_HELP, parseCommand, type ChantCommand } from "../parse-command.js";
import { takePoliteReply } from "../polite-reply.js";
import { requestImplementation } from "../request-implementation.js";
import { onPlanDecision } from "./on-plan-decision.js";
import {
  acknowledge,
  forgeFor,
  knownFromPayload,
  onceForDelivery,
  type WebDeps,
  noteDelivery,
} from "../web-deps.js";

/** `/chant ...` on an issue or a pull request. */
export async function onIssueComment(
  context: Context<"issue_comment.created">,
  deps: WebDeps,
): Promise<void> {
  const { payload } = context;
  const fromBot = isBot(payload.sender);
  // Bots never start work (no loops); a plan decision by one gets one polite reply an hour.
  if (fromBot && !/^\s*\/chant\s+(approve|reject)\b/i.test(payload.comment.body ?? "")) return;
  if (fromBot && payload.comment.performed_via_github_app?.id === deps.appId) return;
  const command = parseCommand(payload.comment.body ?? "");
  if (!command) return;

  await onceForDelivery(context, deps, async () => {
    const asked = commandContext(context, deps);
    const { login, target, notice } = asked;
    // Everything, `/chant help` included, is answered in full only to people who may use
    // chant-bot. Anyone else gets one polite reply per issue per hour (see polite-reply.ts).
    if (fromBot) {
      noteDelivery(context.id, "refused");
      if (await takePoliteReply(deps.queues, asked.repoId, target))
        await notice(
          `@${login}: a bot cannot approve or reject a plan; a person with write permission decides, so nothing was started.`,
          "confused",
        );
      return;
    }
    const role = await roleOf(context.octokit, asked.owner, asked.repo, login);
    if (!mayTrigger(role)) {
      noteDelivery(context.id, "refused");
      if (await takePoliteReply(deps.queues, asked.repoId, target)) {
        await notice(refusalNotice(login, role), "confused");
      } else {
        context.log.info(
          { delivery: context.id, sender: login, role },
          "command refused without a reply: this issue had its polite reply within the hour",
        );
      }
      return;
    }
    await runCommand(asked, command);
  });
}

/** What every command's handler needs to know about the comment that asked. */
interface Asked {
  context: Context<"issue_comment.created">;
  deps: WebDeps;
  forge: ReturnType<typeof forgeFor>;
  target: number;
  isPullRequest: boolean;
  login: string;
  owner: string;
  repo: string;
  repoId: number;
  comment: { comment: number };
  /** A line in the status comment and a reaction on the command's comment. */
  notice: (text: string, reaction?: "eyes" | "confused") => Promise<void>;
}

function commandContext(context: Context<"issue_comment.created">, deps: WebDeps): Asked {
  const { payload } = context;
  const forge = forgeFor(context, deps);
  const target = payload.issue.number;
  const comment = { comment: payload.comment.id };
  const { owner, repo } = context.repo();
  return {
    context,
    deps,
    forge,
    target,
    isPullRequest: payload.issue.pull_request != null,
    login: payload.sender.login,
    owner,
    repo,
    repoId: payload.repository.id,
    comment,
    notice: async (text, reaction = "eyes") => {
      await acknowledge(context, deps, "answer the command", async () => {
        await forge.ensureStatusComment(target, (previous) => withNotice(previous, text));
        await forge.react(comment, reaction);
      });
    },
  };
}

async function runCommand(asked: Asked, command: ChantCommand): Promise<void> {
  const { context, deps, target, isPullRequest, login, comment } = asked;
  switch (command.name) {
    case "help":
      return asked.notice(helpText(login, command), command.problem ? "confused" : "eyes");
    case "approve":
    case "reject":
      return onPlanDecision(context, deps, command);
    case "plan":
    case "implement":
      return requestImplementation(
        context,
        deps,
        {
          target,
          ...(isPullRequest ? { pullRequest: target } : { issueNumber: target }),
          ...(command.spec === undefined ? {} : { explicitSpec: command.spec }),
          force: command.force,
          ...(command.name === "plan" ? { plan: true } : {}),
          requestedBy: login,
          trigger: "comment",
          triggerCommentId: context.payload.comment.id,
        },
        comment,
      );
    case "retry":
      return retry(asked);
    case "cancel":
      return cancel(asked);
    case "status":
      return status(asked);
    case "check":
      return check(asked);
  }
}

async function retry({ context, deps, repoId, target, login, comment, notice }: Asked) {
  const last = await lastImplementJob(deps.queues, repoId, target);
  if (!last) {
    await notice(
      `@${login}: there is no earlier job here to retry; use \`/chant implement\`.`,
      "confused",
    );
    return;
  }
  await requestImplementation(
    context,
    deps,
    { ...last, requestedBy: login, trigger: "retry", triggerCommentId: context.payload.comment.id },
    comment,
  );
}

async function cancel({ deps, repoId, target, login, notice }: Asked) {
  const job = await activeImplementJob(deps.queues, repoId, target);
  if (!job) {
    await notice(`@${login}: no job is queued or running here, so there is nothing to cancel.`);
    return;
  }
  const how = await requestCancel(deps.queues, job);
  await notice(
    how === "removed"
      ? `@${login} cancelled the queued job \`${job.id}\`; it will not run.`
      : `@${login} asked to cancel the running job \`${job.id}\`: the agent is being stopped.`,
  );
}

async function status({ deps, repoId, target, login, notice }: Asked) {
  const job = await activeImplementJob(deps.queues, repoId, target);
  if (!job) {
    await notice(`@${login}: no job is queued or running here. The last outcome is above.`);
    return;
  }
  const state = await job.getState();
  const position = await queuePosition(deps.queues.redis, deps.queues.implement, job.id!);
  await notice(
    `@${login}: job \`${job.id}\` is ${state}${position ? ` (position ${position} in the queue)` : ""}.`,
  );
}

/** `/chant check` on a pull request: the four checks of its head (a fork's only where allowed). */
async function check(asked: Asked) {
  const { context, deps, forge, target, login, notice } = asked;
  if (!asked.isPullRequest) {
    await notice(
      `@${login}: \`/chant check\` runs the checks of a pull request; comment it on one.`,
      "confused",
    );
    return;
  }
  let loaded: LoadedConfig;
  try {
    loaded = await forge.repoConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    await acknowledge(context, deps, "report the invalid config", () =>
      forge.ensureStatusComment(target, () => stopStatus(error)),
    );
    return;
  }
  const pr = await forge.pullRequest(target);
  if (pr.fromFork && loaded.config.checks.fork_pull_requests !== "run") {
    // A fork's head is code from outside the repository: not run unless the config says so.
    context.log.info(
      { delivery: context.id, pullRequest: target, sha: pr.headSha },
      "checks not queued: the pull request comes from a fork (checks.fork_pull_requests: refuse)",
    );
    noteDelivery(context.id, "refused");
    await notice(forkRefusal(login), "confused");
    return;
  }
  const result = await enqueueChecks(deps.queues, {
    installationId: context.payload.installation!.id,
    repo: { id: asked.repoId, owner: asked.owner, name: asked.repo },
    headSha: pr.headSha,
    pullRequest: target,
    reason: "command",
    requestedBy: login,
    deliveryId: context.id,
    known: knownFromPayload(context, loaded),
  });
  await notice(
    result.outcome === "queued"
      ? `@${login}: the four checks are queued for \`${pr.headSha.slice(0, 7)}\`.`
      : `@${login}: the checks of \`${pr.headSha.slice(0, 7)}\` are already ${result.state}.`,
  );
}

export function forkRefusal(login: string): string {
  return `@${login}: this pull request comes from a fork, and chant-bot does not run a fork's code in its checks unless the repository allows it, so nothing was queued. To allow it (the checks then run sandboxed, without network), set \`checks.fork_pull_requests: run\` in \`.github/chant.yml\` on the default branch.`;
}

function helpText(login: string, command: Extract<ChantCommand, { name: "help" }>): string {
  return [
    `@${login}: ${command.problem ? `${command.problem}. ` : ""}chant-bot understands, on the first line of a comment:`,
    ...COMMAND_HELP.map((line) => `- ${line}`),
  ].join("\n");
}
