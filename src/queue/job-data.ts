import { z } from "zod";
import { CHECK_NAMES } from "../forge/forge.js";

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
});
export type ChecksJob = z.infer<typeof checksJobSchema>;
