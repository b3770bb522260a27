import { WaitingError, type Job } from "bullmq";
import type { Logger } from "pino";
import type { Agent } from "../agents/agent.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import { ConfigError, type LoadedConfig } from "../domain/repo-config.js";
import type { ChantQueues } from "../queue/chant-queues.js";
import { enqueueChecks, isCancelRequested } from "../queue/enqueue.js";
import { implementJobSchema, type ImplementJob } from "../queue/job-data.js";
import { runImplementation, type ImplementOutcome } from "../pipeline/run-implementation.js";
import { decidePlan } from "../pipeline/approval/decide-plan.js";
import { forgetPlan, recordPlan } from "../queue/plans.js";
import { freshStatus } from "../domain/status.js";
import { describeStop, stopStatus } from "../pipeline/pipeline-stop.js";
import type { ForgeFactory } from "./forge-factory.js";
import { isShutdown } from "../domain/shutdown.js";

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
  const carried = data.known?.config;
  const { forge } = await deps.forges.forRepo(data.installationId, data.repo, signal, "implement", {
    repo: data.known?.repo,
    issue: data.known?.issue,
    // The web process's read stands while the default branch's tree lists the same blob.
    config: carried && { ...carried, trust: "tree" },
  });
  const reactionTarget = data.triggerCommentId
    ? { comment: data.triggerCommentId }
    : { issue: data.target };

  if (await isCancelRequested(deps.queues, job.id!)) {
    await forge.ensureStatusComment(data.target, () =>
      freshStatus("cancelled", "cancelled before it started"),
    );
    return { kind: "cancelled" };
  }
  let loaded: LoadedConfig;
  try {
    loaded = await forge.repoConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    await forge.ensureStatusComment(data.target, () => stopStatus(error));
    return { kind: "stopped", ...describeStop(error) };
  }

  const config = loaded.config;
  const request = {
    target: data.target,
    issueNumber: data.issueNumber,
    pullRequest: data.pullRequest,
    explicitSpec: data.explicitSpec,
    force: data.force,
    requestedBy: data.requestedBy,
    specId: data.specId,
    reactionTarget,
    plan: data.plan,
    decision: data.decision,
  };
  try {
    // What a run of this job needs, with or without the pipeline.
    const base = {
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
    };
    if (data.decision && data.decision.kind !== "approve") {
      // A rejection or a re-validation: no agent, no pipeline.
      return await decidePlan(request, base);
    }
    const outcome = await runImplementation(request, {
      ...base,
      onStep: deps.onStep,
      onSpecId: async (specId) => {
        if (data.specId !== specId) await job.updateData({ ...data, specId });
      },
      handOverChecks: async (handover) => {
        // The check runs are made by the checks job, in their first real state; it gets
        // the config and the repository this job read. Adding it twice is a no-op.
        await enqueueChecks(deps.queues, {
          installationId: data.installationId,
          repo: data.repo,
          headSha: handover.headSha,
          pullRequest: handover.pullRequest,
          reason: "implemented" as const,
          requestedBy: data.requestedBy,
          deliveryId: `impl-${job.id}`,
          known: {
            repo: await forge.repo(),
            config: { sha: loaded.sha, value: loaded.config },
          },
        });
      },
    });
    if (data.decision?.kind === "approve" && data.specId && outcome.kind !== "stopped") {
      await forgetPlan(deps.queues, data.repo.id, data.specId);
    }
    if (outcome.kind === "awaiting_approval") {
      // Where `/chant approve` finds it: the issue that asked, and the plan's pull request.
      await recordPlan(deps.queues, {
        specId: outcome.specId,
        pullRequest: outcome.pullRequest.number,
        job: { ...data, specId: outcome.specId },
      });
    }
    return outcome;
  } catch (error) {
    if (isShutdown(signal) && token) {
      // Back to the queue for another worker; nothing is lost, nothing is done twice.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    throw error;
  }
}
