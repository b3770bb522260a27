import { WaitingError, type Job } from "bullmq";
import type { Logger } from "pino";
import type { Agent } from "../agents/agent.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import { ConfigError } from "../config/repo-config.js";
import type { ChantQueues } from "../queue/chant-queues.js";
import { checksJobExists, enqueueChecks, isCancelRequested } from "../queue/enqueue.js";
import { implementJobSchema, type ImplementJob } from "../queue/job-data.js";
import { CHECK_NAMES } from "../forge/forge.js";
import { runImplementation, type ImplementOutcome } from "../pipeline/run-implementation.js";
import { freshStatus } from "../pipeline/status/status-comment.js";
import { describeConfigError, loadRepoConfig } from "../web/load-repo-config.js";
import type { ForgeFactory } from "./forge-factory.js";
import { isShutdown } from "./shutdown.js";

export interface ImplementWorkerDeps {
  queues: ChantQueues;
  forges: ForgeFactory;
  agent: Agent;
  sandbox: Sandbox;
  workRoot: string;
  secrets: readonly string[];
  log: Logger;
  onStep?: Parameters<typeof runImplementation>[1]["onStep"];
}

/** The implement queue's processor: one job = one run of the pipeline on GitHub. */
export async function processImplementJob(
  job: Job<ImplementJob>,
  token: string | undefined,
  signal: AbortSignal | undefined,
  deps: ImplementWorkerDeps,
): Promise<ImplementOutcome | { kind: "cancelled" }> {
  const data = implementJobSchema.parse(job.data);
  const log = deps.log.child({
    job: job.id,
    repo: `${data.repo.owner}/${data.repo.name}`,
    target: data.target,
  });
  const { forge, octokit } = await deps.forges.forRepo(
    data.installationId,
    data.repo,
    signal,
    "implement",
  );
  const reactionTarget = data.triggerCommentId
    ? { comment: data.triggerCommentId }
    : { issue: data.target };

  if (await isCancelRequested(deps.queues, job.id!)) {
    await forge.ensureStatusComment(data.target, () =>
      freshStatus("cancelled", "cancelled before it started"),
    );
    return { kind: "cancelled" };
  }
  let config;
  try {
    config = await loadRepoConfig(octokit, data.repo.owner, data.repo.name);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    await forge.ensureStatusComment(data.target, () =>
      freshStatus("refused", "the configuration is invalid", {
        details: describeConfigError(error),
      }),
    );
    return {
      kind: "stopped",
      phase: "refused",
      headline: "the configuration is invalid",
      details: [],
      final: true,
    };
  }

  try {
    return await runImplementation(
      {
        target: data.target,
        issueNumber: data.issueNumber,
        pullRequest: data.pullRequest,
        explicitSpec: data.explicitSpec,
        force: data.force,
        requestedBy: data.requestedBy,
        specId: data.specId,
        reactionTarget,
      },
      {
        forge,
        agent: deps.agent,
        sandbox: deps.sandbox,
        config,
        workRoot: deps.workRoot,
        secrets: deps.secrets,
        signal,
        log,
        jobId: job.id,
        lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
        onStep: deps.onStep,
        onSpecId: async (specId) => {
          if (data.specId !== specId) await job.updateData({ ...data, specId });
        },
        handOverChecks: async (handover) => {
          const checks = {
            installationId: data.installationId,
            repo: data.repo,
            headSha: handover.headSha,
            pullRequest: handover.pullRequest,
            reason: "implemented" as const,
            requestedBy: data.requestedBy,
            deliveryId: `impl-${job.id}`,
          };
          // A second run of this job (BullMQ is at-least-once) finds its checks job added
          // already, maybe finished: adding it again is a no-op, so setting the check runs
          // back to queued would leave them queued for good.
          if (!(await checksJobExists(deps.queues, checks))) {
            for (const name of CHECK_NAMES) {
              await forge.ensureCheckRun(handover.headSha, name, { status: "queued" });
            }
          }
          await enqueueChecks(deps.queues, checks);
        },
      },
    );
  } catch (error) {
    if (isShutdown(signal) && token) {
      // Back to the queue for another worker; nothing is lost, nothing is done twice.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    throw error;
  }
}
