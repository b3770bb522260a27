import { z } from "zod";
import type { ChantQueues } from "./chant-queues.js";
import { readRecord, withinTimeout } from "./connection.js";
import { implementJobSchema, type ImplementJob } from "./job-data.js";

/** A plan is remembered as long as a last job is (90 days). */
const PLAN_TTL_SECONDS = 90 * 24 * 3600;

const planRecordSchema = z.object({
  specId: z.string().min(1).max(120),
  /** The plan's draft pull request. */
  pullRequest: z.number().int().positive(),
  /** The job that drafted the plan: a decision's job is made from it. */
  job: implementJobSchema,
});
export type PlanRecord = z.infer<typeof planRecordSchema>;

/**
 * A plan awaiting approval, found from the issue (or pull request) that asked
 * for it and from the plan's own pull request: who asked (for
 * `approval.separate_approver`), where the status comment lives, which spec.
 * Ids and numbers only, as every job.
 */
export async function recordPlan(
  queues: ChantQueues,
  plan: { specId: string; pullRequest: number; job: ImplementJob },
): Promise<void> {
  const record = planRecordSchema.parse(plan);
  const repoId = record.job.repo.id;
  const multi = queues.redis
    .multi()
    .set(queues.key("plan", repoId, record.specId), JSON.stringify(record), "EX", PLAN_TTL_SECONDS)
    .set(queues.key("plan-for", repoId, record.job.target), record.specId, "EX", PLAN_TTL_SECONDS)
    .set(queues.key("plan-for", repoId, record.pullRequest), record.specId, "EX", PLAN_TTL_SECONDS);
  await withinTimeout("record the plan", multi.exec());
}

/** The plan asked for on this issue, or held by this pull request; undefined when there is none. */
export async function planFor(
  queues: ChantQueues,
  repoId: number,
  number: number,
): Promise<PlanRecord | undefined> {
  const specId = await withinTimeout(
    "find the plan",
    queues.redis.get(queues.key("plan-for", repoId, number)),
  );
  if (!specId) return undefined;
  return readRecord(
    queues.redis,
    "read the plan",
    queues.key("plan", repoId, specId),
    planRecordSchema,
  );
}

/** The plan was approved and implemented: its branch is a fix now (a push runs the checks again). */
export async function forgetPlan(
  queues: ChantQueues,
  repoId: number,
  specId: string,
): Promise<void> {
  await withinTimeout("forget the plan", queues.redis.del(queues.key("plan", repoId, specId)));
}
