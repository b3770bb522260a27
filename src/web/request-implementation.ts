import type { Context } from "probot";
import { ConfigError, type LoadedConfig } from "../domain/repo-config.js";
import type { ReactionTarget } from "../forge/forge.js";
import { freshStatus, pendingSteps, withNotice } from "../domain/status.js";
import { stopStatus } from "../pipeline/pipeline-stop.js";
import { enqueueImplement } from "../queue/enqueue.js";
import type { ImplementJob } from "../queue/job-data.js";
import { acknowledge, bestEffort, forgeFor, knownFromPayload, type WebDeps } from "./web-deps.js";

export type ImplementationRequest = Omit<ImplementJob, "installationId" | "repo" | "deliveryId">;

/**
 * Queue an implementation and say so: a 👀 on the trigger and the status
 * comment (queued with its position, or "already running" for a second ask).
 * An invalid config is reported instead, and nothing is queued.
 */
export async function requestImplementation(
  context: Context,
  deps: WebDeps,
  request: ImplementationRequest,
  reactionTarget: ReactionTarget,
): Promise<void> {
  const forge = forgeFor(context, deps);
  const payload = context.payload as { installation?: { id: number }; repository: { id: number } };
  const { owner, repo } = context.repo();
  let loaded: LoadedConfig;
  try {
    loaded = await forge.repoConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    await acknowledge(context, deps, "report the invalid config", async () => {
      await forge.ensureStatusComment(request.target, () => stopStatus(error));
      await forge.react(reactionTarget, "confused");
    });
    return;
  }

  const result = await enqueueImplement(deps.queues, {
    ...request,
    installationId: payload.installation!.id,
    repo: { id: payload.repository.id, owner, name: repo },
    deliveryId: context.id,
    known: knownFromPayload(context, loaded),
  });
  context.log.info(
    { delivery: context.id, job: result.jobId, outcome: result.outcome },
    "implementation requested",
  );

  const what = request.issueNumber ? `#${request.issueNumber}` : `#${request.target}`;
  await acknowledge(context, deps, "acknowledge the request", async () => {
    await bestEffort(context, "react", forge.react(reactionTarget, "eyes"));
    if (result.outcome === "queued") {
      const place = result.position > 0 ? `position ${result.position} in the queue` : "starting";
      await forge.ensureStatusComment(request.target, (previous) =>
        // A worker that already took the job has written newer news: keep it.
        previous?.jobId === result.jobId && previous.phase !== "queued"
          ? previous
          : freshStatus("queued", `queued to implement ${what} (${place})`, {
              details: [
                `Requested by @${request.requestedBy} (${request.trigger === "label" ? "label" : `\`/chant ${request.trigger === "retry" ? "retry" : "implement"}\``}). The worker looks for the research spec next.`,
              ],
              steps: pendingSteps(),
              jobId: result.jobId,
            }),
      );
    } else {
      const place = result.position > 0 ? `, position ${result.position}` : "";
      await forge.ensureStatusComment(request.target, (previous) =>
        withNotice(
          previous,
          `@${request.requestedBy}: a job for ${what} is already ${result.state}${place} (\`${result.jobId}\`), so this request was not queued again. \`/chant cancel\` stops it; \`/chant status\` shows where it is.`,
        ),
      );
    }
  });
}
