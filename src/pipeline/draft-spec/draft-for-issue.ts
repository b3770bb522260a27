import type { RepoFiles } from "../../forge/repo-files.js";
import { nextSpecId } from "../../spec/spec-id.js";
import { SPEC_DIRS, type ResearchOutcome } from "../find-research/find-research-spec.js";
import {
  draftImplementationSpec,
  type DraftedSpec,
  type DraftStatus,
} from "./draft-implementation-spec.js";

export type FoundResearch = Extract<ResearchOutcome, { kind: "found" | "ambiguous" }>;

export interface DraftOptions {
  /** Keep this id (a job run again keeps its spec and branch); else the next free one. */
  id?: string | undefined;
  issueNumber: number;
  issueTitle?: string | undefined;
  status: DraftStatus;
  now?: Date;
}

/** Draft the implementation spec for found research, with the next free spec id of the repository. */
export async function draftForIssue(
  files: RepoFiles,
  found: FoundResearch,
  options: DraftOptions,
): Promise<DraftedSpec> {
  const id =
    options.id ??
    nextSpecId(
      (await files.list(SPEC_DIRS)).map((f) => f.path),
      options.now,
    );
  return draftImplementationSpec({
    id,
    issueNumber: options.issueNumber,
    issueTitle: options.issueTitle,
    research: found.research,
    chain: found.chain,
    status: options.status,
  });
}
