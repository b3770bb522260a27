import { z } from "zod";

/**
 * What a person decided on a plan, pinned to the commit they saw: `approve`
 * runs the agent on exactly that commit, `reject` records the reason,
 * `review` re-validates the spec after a push.
 */
export const planDecisionSchema = z.object({
  kind: z.enum(["approve", "reject", "review"]),
  sha: z.string().regex(/^[0-9a-f]{40}$/),
  /** Who decided (a GitHub login, or the local user's name). */
  by: z.string().min(1).max(100),
  /** When they asked (ISO 8601): the time chant's record carries. */
  at: z
    .string()
    .max(40)
    .refine((s) => !Number.isNaN(Date.parse(s)), "must be a date and time"),
  /** A rejection's reason. */
  reason: z.string().max(2000).optional(),
});
export type PlanDecision = z.infer<typeof planDecisionSchema>;
