import type { StatusState } from "../../domain/status.js";
import type { ImplementOutcome } from "../implement-types.js";
import type { Published } from "../publish/publish.js";

/**
 * What the commit step left on the branch, and how it is presented. A fix
 * and a follow-up research (the research's approach did not work) take the
 * same path from here: publish, hand over to the checks when there is a fix
 * to check, then the final word.
 */
export interface Committed {
  headSha: string;
  /** The commit step's note in the status comment. */
  note: string | undefined;
  /** The pull request's title, body and draft flag (`blobUrl` links files on the branch). */
  pullRequest(blobUrl: string | undefined): { title: string; body: string; draft: boolean };
  /** A fix to check; a follow-up research has none. */
  checkable: boolean;
  /** Once the pull request is there: the final status, the reaction on the trigger, the outcome. */
  final(
    pr: Published,
    context: { details: string[]; blobUrl: string | undefined },
  ): {
    state: StatusState;
    /** None: the trigger keeps its 👀 (a plan awaiting approval is not an outcome yet). */
    reaction: "rocket" | "confused" | undefined;
    outcome: ImplementOutcome;
  };
}

/** "opened #12"; a local run has no pull request number. */
export function describePr(pr: { number: number; created: boolean }, branch: string): string {
  return pr.number > 0
    ? `${pr.created ? "opened" : "updated"} #${pr.number}`
    : `branch ${branch} ready`;
}
