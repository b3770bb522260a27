import type { Context } from "probot";
import { ConfigError } from "../../domain/repo-config.js";
import { CHECK_NAMES, type CheckName } from "../../domain/checks.js";
import { enqueueChecks, enqueueImplement } from "../../queue/enqueue.js";
import { planFor, type PlanRecord } from "../../queue/plans.js";
import type { ChecksJob } from "../../queue/job-data.js";
import { isBot, mayTrigger, roleOf } from "../authorize.js";
import {
  forgeFor,
  knownFromPayload,
  onceForDelivery,
  type WebDeps,
  noteDelivery,
} from "../web-deps.js";

function isOurCheck(name: string): name is CheckName {
  return (CHECK_NAMES as readonly string[]).includes(name);
}

/** "Re-run" on one of our check runs: that check again, on that sha. */
export async function onCheckRunRerequested(
  context: Context<"check_run.rerequested">,
  deps: WebDeps,
): Promise<void> {
  const run = context.payload.check_run;
  if (run.app?.id !== deps.appId || !isOurCheck(run.name)) return;
  await enqueueChecksFor(context, deps, {
    headSha: run.head_sha,
    pullRequest: run.pull_requests[0]?.number,
    only: [run.name],
    reason: "rerequested",
    fromFork: headInFork(run.pull_requests, run.check_suite?.head_branch),
  });
}

/** "Re-run all checks" on our suite: the four checks again. */
export async function onCheckSuiteRerequested(
  context: Context<"check_suite.rerequested">,
  deps: WebDeps,
): Promise<void> {
  const suite = context.payload.check_suite;
  if (suite.app?.id !== deps.appId) return;
  await enqueueChecksFor(context, deps, {
    headSha: suite.head_sha,
    pullRequest: suite.pull_requests[0]?.number,
    reason: "rerequested",
    fromFork: headInFork(suite.pull_requests, suite.head_branch),
  });
}

/** A person pushed to a chant/* branch of this repository: check the new head. */
export async function onPullRequestSynchronize(
  context: Context<"pull_request.synchronize">,
  deps: WebDeps,
): Promise<void> {
  const pr = context.payload.pull_request;
  const sameRepo = pr.head.repo?.full_name === context.payload.repository.full_name;
  if (!pr.head.ref.startsWith("chant/") || !sameRepo) return;
  if (!isBot(context.payload.sender)) {
    // A plan awaiting approval has no fix to check: its spec is checked again instead.
    const plan = await planFor(deps.queues, context.payload.repository.id, pr.number);
    if (plan && pr.head.ref === `chant/${plan.specId}`) {
      await reviewPlanPush(context, deps, plan, pr.head.sha);
      return;
    }
  }
  await enqueueChecksFor(context, deps, {
    headSha: pr.head.sha,
    pullRequest: pr.number,
    reason: "push",
  });
}

/**
 * Whether a check run's or suite's head is in a fork, from the payload alone.
 * GitHub's documented signal: "when the check suite's head_branch is in a
 * forked repository it will be null and the pull_requests array will be
 * empty". A listed pull request whose head repository differs from its base
 * counts too. Unknown (no pull request, branch not null) is not a fork: the
 * head is a branch of this repository.
 */
export function headInFork(
  pullRequests: readonly {
    head?: { repo?: { id?: number } | null } | null;
    base?: { repo?: { id?: number } | null } | null;
  }[],
  headBranch: string | null | undefined,
): boolean {
  if (pullRequests.length === 0) return headBranch === null;
  return pullRequests.some((pr) => {
    const head = pr.head?.repo?.id;
    const base = pr.base?.repo?.id;
    return head !== undefined && base !== undefined && head !== base;
  });
}

async function enqueueChecksFor(
  context: Context<
    "check_run.rerequested" | "check_suite.rerequested" | "pull_request.synchronize"
  >,
  deps: WebDeps,
  job: Pick<ChecksJob, "headSha" | "reason"> & {
    pullRequest: number | undefined;
    only?: CheckName[];
    /** The head is in a fork: only with `checks.fork_pull_requests: run`. */
    fromFork?: boolean;
  },
): Promise<void> {
  const { payload } = context;
  if (isBot(payload.sender)) return;
  await onceForDelivery(context, deps, async () => {
    const { owner, repo } = context.repo();
    const role = await roleOf(context.octokit, owner, repo, payload.sender.login);
    if (!mayTrigger(role)) {
      context.log.info(
        { delivery: context.id, sender: payload.sender.login, role },
        "checks not re-run: no write permission",
      );
      noteDelivery(context.id, "refused");
      return;
    }
    if (job.fromFork && !(await forkChecksAllowed(context, deps))) {
      context.log.info(
        { delivery: context.id, sha: job.headSha, pullRequest: job.pullRequest },
        "checks not re-run: the head is in a fork (checks.fork_pull_requests is not `run`)",
      );
      noteDelivery(context.id, "refused");
      return;
    }
    const result = await enqueueChecks(deps.queues, {
      installationId: payload.installation!.id,
      repo: { id: payload.repository.id, owner, name: repo },
      headSha: job.headSha,
      ...(job.pullRequest === undefined ? {} : { pullRequest: job.pullRequest }),
      ...(job.only ? { only: job.only } : {}),
      reason: job.reason,
      requestedBy: payload.sender.login,
      deliveryId: context.id,
      known: { repo: knownFromPayload(context)?.repo },
    });
    context.log.info(
      { delivery: context.id, job: result.jobId, outcome: result.outcome },
      "checks requested",
    );
  });
}

/** `checks.fork_pull_requests: run` on the default branch; an unreadable or invalid config is a no. */
async function forkChecksAllowed(context: Context, deps: WebDeps): Promise<boolean> {
  try {
    const { config } = await forgeFor(context, deps).repoConfig();
    return config.checks.fork_pull_requests === "run";
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    context.log.info(
      { delivery: context.id, err: error },
      "the config is invalid: a fork's checks are not run",
    );
    return false;
  }
}

/** Queue a re-validation of the plan's spec at the pushed head (reported in the status comment). */
async function reviewPlanPush(
  context: Context<"pull_request.synchronize">,
  deps: WebDeps,
  plan: PlanRecord,
  sha: string,
): Promise<void> {
  await onceForDelivery(context, deps, async () => {
    const result = await enqueueImplement(deps.queues, {
      ...plan.job,
      plan: undefined,
      specId: plan.specId,
      trigger: "comment",
      triggerCommentId: undefined,
      deliveryId: context.id,
      decision: {
        kind: "review",
        sha,
        by: context.payload.sender.login,
        at: new Date().toISOString(),
      },
    });
    context.log.info(
      { delivery: context.id, job: result.jobId, outcome: result.outcome, sha },
      "plan re-validation requested",
    );
  });
}
