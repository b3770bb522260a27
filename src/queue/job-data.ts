import { z } from "zod";
import { CHECK_NAMES } from "../domain/checks.js";
import { planDecisionSchema } from "../domain/plan.js";

/**
 * What a job carries through Redis: ids, numbers and shas only. Never a
 * token: the worker mints its own from the installation id.
 */

/** Longest `/chant implement SPEC` argument a job carries (parseCommand refuses longer ones). */
export const MAX_EXPLICIT_SPEC = 300;

const repoRef = z.object({
  id: z.number().int().positive(),
  owner: z.string().min(1).max(100),
  name: z.string().min(1).max(100),
});

/**
 * What the webhook's payload (or the job before) already said, so that the
 * worker does not ask GitHub again: the repository's basics, the issue, and
 * `.github/chant.yml` as read then, with its blob id (a job whose repository
 * has another one now reads it again).
 */
const knownRepo = z.object({
  owner: z.string().min(1).max(100),
  name: z.string().min(1).max(100),
  fullName: z.string().min(1).max(201),
  defaultBranch: z.string().min(1).max(255),
  cloneUrl: z.string().min(1).max(2000),
  htmlUrl: z.string().max(2000).optional(),
});
const knownIssue = z.object({
  number: z.number().int().positive(),
  title: z.string().max(1024),
  body: z.string().max(70_000),
  url: z.string().max(2000).optional(),
  isPullRequest: z.boolean(),
});
const knownConfig = z.object({
  /** null: the repository has no `.github/chant.yml` (defaults or the owner's). */
  sha: z
    .string()
    .regex(/^[0-9a-f]{40}$/)
    .nullable(),
  /** Validated again by the worker. */
  value: z.unknown(),
});
const known = z
  .object({
    repo: knownRepo.optional(),
    issue: knownIssue.optional(),
    config: knownConfig.optional(),
  })
  .optional();
export type KnownData = z.infer<typeof known>;

export const implementJobSchema = z.object({
  installationId: z.number().int().positive(),
  repo: repoRef,
  /** The issue or pull request the request came from: the status comment lives there. */
  target: z.number().int().positive(),
  /** The issue to fix, when known (on a pull request it may come from the research spec). */
  issueNumber: z.number().int().positive().optional(),
  /** Set when the request came from a pull request. */
  pullRequest: z.number().int().positive().optional(),
  /** `/chant implement SPEC`, unvalidated text (the linker validates it). */
  explicitSpec: z.string().max(MAX_EXPLICIT_SPEC).optional(),
  force: z.boolean().default(false),
  /** Who asked: review is requested from them. */
  requestedBy: z.string().min(1).max(100),
  trigger: z.enum(["label", "comment", "retry"]),
  /** The comment that asked, for the final reaction. */
  triggerCommentId: z.number().int().positive().optional(),
  deliveryId: z.string().min(1).max(100),
  /** Set by the worker after drafting, so a second run of the job keeps the same spec id and branch. */
  specId: z.string().max(120).optional(),
  /** Stop at the plan: the spec pushed alone, awaiting `/chant approve` (the plan label, `/chant plan`). */
  plan: z.boolean().optional(),
  /** A decision on the plan `chant/<specId>` (with specId): approve it and run, reject it, or review it. */
  decision: planDecisionSchema.optional(),
  known,
});
export type ImplementJob = z.infer<typeof implementJobSchema>;

export const checksJobSchema = z.object({
  installationId: z.number().int().positive(),
  repo: repoRef,
  headSha: z.string().regex(/^[0-9a-f]{40}$/),
  /** The pull request, when the checks are for one (its base is the reproduction's "before"). */
  pullRequest: z.number().int().positive().optional(),
  /** Only these checks (a re-run of one check run); all four when absent. */
  only: z.array(z.enum(CHECK_NAMES)).optional(),
  reason: z.enum(["implemented", "rerequested", "command", "push"]),
  requestedBy: z.string().min(1).max(100),
  deliveryId: z.string().min(1).max(100),
  known,
});
export type ChecksJob = z.infer<typeof checksJobSchema>;

/**
 * Only the parts of `candidate` that are what a job may carry: a payload
 * GitHub did not send (odd names, huge bodies) costs the worker a request,
 * never the delivery.
 */
export function validKnown(candidate: {
  repo?: unknown;
  issue?: unknown;
  config?: unknown;
}): NonNullable<KnownData> {
  const repo = knownRepo.safeParse(candidate.repo);
  const issue = knownIssue.safeParse(candidate.issue);
  const config = knownConfig.safeParse(candidate.config);
  return {
    ...(repo.success ? { repo: repo.data } : {}),
    ...(issue.success ? { issue: issue.data } : {}),
    ...(config.success && candidate.config !== undefined ? { config: config.data } : {}),
  };
}
