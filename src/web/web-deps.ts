import type { Context } from "probot";
import { GitHubForge } from "../forge/github/github-forge.js";
import { type Mutex } from "../forge/status-comment-store.js";
import type { ChantQueues } from "../queue/chant-queues.js";
import { RedisStatusCommentStore } from "../queue/redis-status-store.js";
import { validKnown, type KnownData } from "../queue/job-data.js";
import type { LoadedConfig } from "../domain/repo-config.js";
import {
  claimDelivery,
  completeDelivery,
  DELIVERY_CLAIM_SECONDS,
  releaseDelivery,
} from "../queue/enqueue.js";

/** What the webhook handlers need besides the event. */
export interface WebDeps {
  queues: ChantQueues;
  /** Our GitHub App's id (APP_ID): only our own check runs are re-run. */
  appId: number | undefined;
  /** Serializes status-comment edits across processes. */
  mutex: Mutex;
  /** Runs acknowledgements after the answer to GitHub (the web process); absent: they are awaited. */
  defer?: ((work: Promise<void>) => void) | undefined;
  /** Counts deliveries by outcome (the web server reads what handlers noted). */
  metrics?: { delivery(event: string, outcome: DeliveryOutcome): void } | undefined;
}

export type DeliveryOutcome =
  "accepted" | "duplicate" | "ignored" | "refused" | "failed" | "invalid";

/**
 * What a handler made of a delivery, noted by delivery id and taken once by
 * the web server when it answers: each delivery is counted exactly once.
 */
const notes = new Map<string, DeliveryOutcome>();

export function noteDelivery(id: string, outcome: DeliveryOutcome): void {
  notes.set(id, outcome);
}

export function takeDeliveryNote(id: string): DeliveryOutcome | undefined {
  const outcome = notes.get(id);
  notes.delete(id);
  return outcome;
}

const forges = new WeakMap<Context, GitHubForge>();

/** The delivery's forge: one per delivery, so what it read (the config, the repository) is read once. */
export function forgeFor(context: Context, deps: WebDeps): GitHubForge {
  let forge = forges.get(context);
  if (!forge) {
    const { owner, repo } = context.repo();
    const known = knownFromPayload(context);
    forge = new GitHubForge({
      octokit: context.octokit,
      owner,
      name: repo,
      appId: deps.appId,
      mutex: deps.mutex,
      log: context.log,
      statusStore: new RedisStatusCommentStore(deps.queues.redis, deps.queues.prefix),
      known: { repo: known.repo, issue: known.issue },
    });
    forges.set(context, forge);
  }
  return forge;
}

/**
 * Handle a delivery at most once. The id is claimed first (a redelivery, or
 * the same delivery arriving twice at once, finds it taken and does nothing);
 * if handling fails the claim is released, so GitHub's redelivery is handled
 * and nothing is half-written.
 */
export async function onceForDelivery(
  context: Context,
  deps: WebDeps,
  handle: () => Promise<void>,
): Promise<void> {
  if (!(await claimDelivery(deps.queues, context.id))) {
    context.log.info({ delivery: context.id }, "delivery already handled; nothing to do");
    noteDelivery(context.id, "duplicate");
    return;
  }
  try {
    await handle();
  } catch (error) {
    // Redis going away is a likely reason for the failure: then keep trying to
    // release the claim until it answers again (the claim runs out anyway).
    if (!(await releaseDelivery(deps.queues, context.id))) releaseLater(deps, context.id);
    throw error;
  }
  try {
    await completeDelivery(deps.queues, context.id);
  } catch (error) {
    // The work is done (a job has an id made from the delivery's, so a redelivery
    // after the claim ran out finds that job and makes no second one).
    context.log.warn({ err: error, delivery: context.id }, "could not record the delivery");
  }
}

function releaseLater(deps: WebDeps, deliveryId: string): void {
  const until = Date.now() + DELIVERY_CLAIM_SECONDS * 1000;
  const retry = () =>
    setTimeout(() => {
      void releaseDelivery(deps.queues, deliveryId).then((released) => {
        if (!released && Date.now() < until) retry();
      });
    }, 1000).unref();
  retry();
}

/**
 * Acknowledge a delivery (a reaction, the status comment): best effort, and,
 * where the web process gives `defer`, without holding up the answer to
 * GitHub. Probot spaces writes a second apart per installation, so a few
 * triggers at once would otherwise push answers past GitHub's 10 s.
 */
export function acknowledge(
  context: Context,
  deps: WebDeps,
  what: string,
  work: () => Promise<unknown>,
): Promise<void> {
  const run = () => bestEffort(context, what, work());
  if (!deps.defer) return run();
  deps.defer(run());
  return Promise.resolve();
}

/** An acknowledgement must not fail a delivery whose job is already queued: log and go on. */
export async function bestEffort(
  context: Context,
  what: string,
  work: Promise<unknown>,
): Promise<void> {
  try {
    await work;
  } catch (error) {
    context.log.warn({ err: error, delivery: context.id }, `could not ${what}`);
  }
}

/**
 * What the delivery's payload tells the worker, so that it does not ask
 * GitHub again: the repository's basics, the issue (or pull request) the
 * event is about, and the config the handler read (with its blob id).
 */
export function knownFromPayload(context: Context, loaded?: LoadedConfig): NonNullable<KnownData> {
  const payload = context.payload as {
    repository?: {
      name: string;
      full_name: string;
      default_branch?: string;
      clone_url?: string;
      html_url?: string;
      owner: { login: string };
    };
    issue?: {
      number: number;
      title?: string;
      body?: string | null;
      html_url?: string;
      pull_request?: unknown;
    };
  };
  const repo = payload.repository;
  const issue = payload.issue;
  return validKnown({
    repo: repo && {
      owner: repo.owner?.login,
      name: repo.name,
      fullName: repo.full_name,
      defaultBranch: repo.default_branch,
      cloneUrl: repo.clone_url,
      ...(typeof repo.html_url === "string" ? { htmlUrl: repo.html_url } : {}),
    },
    issue: issue && {
      number: issue.number,
      title: issue.title,
      body: issue.body ?? "",
      ...(typeof issue.html_url === "string" ? { url: issue.html_url } : {}),
      isPullRequest: issue.pull_request !== undefined && issue.pull_request !== null,
    },
    ...(loaded ? { config: { sha: loaded.sha, value: loaded.config } } : {}),
  });
}

/** [owner, repo] of the event's repository. */
export function repoOf(context: Context): [string, string] {
  const { owner, repo } = context.repo();
  return [owner, repo];
}
