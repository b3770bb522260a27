import { keepApprovalRecord } from "../../chant-format/approval.js";
import type { SpecFrontmatter } from "../../chant-format/frontmatter.js";
import type { SpecDocument } from "../../chant-format/serialize-spec.js";
import type { ParsedSpec } from "../../chant-format/parse-spec.js";
import { serializeSpec } from "../../chant-format/serialize-spec.js";
import { oneLine } from "../../util/untrusted-text.js";
import type { VerifiedResult } from "../verify-result/verify-result.js";
import { commitFileFromIndex } from "../workspace/index-files.js";
import type { Workspace } from "../workspace/prepare-workspace.js";

export interface CommittedResult {
  headSha: string;
  /** Short shas of the work commits, as the spec records them. */
  commits: string[];
  /** The spec as finalized on the branch. */
  spec: ParsedSpec;
}

/** chant's `completed_at`: RFC 3339, UTC, whole seconds. */
export function completedAt(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Commit the agent's changes (staged by takeAgentChanges) as ONE commit
 * `chant(<ID>): <title>`, by chant-bot: the agent's own commits and their
 * messages stay in its sandbox.
 */
export async function commitAgentChanges(
  workspace: Workspace,
  specId: string,
  title: string,
): Promise<void> {
  // Porcelain v1: the first column is the index's state; a space means nothing staged.
  const status = await workspace.git(["status", "--porcelain", "-z", "--untracked-files=no"]);
  if (!status.split("\0").some((entry) => entry.length > 2 && entry[0] !== " ")) return;
  await workspace.git(["commit", "--no-verify", "-m", `chant(${specId}): ${oneLine(title, 200)}`]);
}

/** Write the spec through the index (never a working-tree path) and commit it. */
export async function writeAndCommitSpec(
  workspace: Workspace,
  spec: ParsedSpec,
  message: string,
): Promise<void> {
  await commitFileFromIndex(workspace.git, spec.path, serializeSpec(spec), message);
}

/**
 * Step 6: commit the agent's work, then finalize the spec the way chant
 * does: `status: completed`, `completed_at`, `model` and the work `commits`
 * when every criterion is ticked; `needs_attention` (with the unticked
 * criteria reported) when not, since chant would not complete it either.
 */
export async function commitResult(
  workspace: Workspace,
  verified: VerifiedResult,
  options: {
    specId: string;
    title: string;
    model: string | undefined;
    now: Date;
    /** The spec as approved (when it was): its approval record is kept, whatever the agent did. */
    approved?: SpecDocument | undefined;
  },
): Promise<CommittedResult> {
  await commitAgentChanges(workspace, options.specId, options.title);
  const commits = (
    await workspace.git(["log", "--reverse", "--format=%h", `${workspace.draftCommit}..HEAD`])
  )
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);
  const complete = verified.unticked.length === 0;
  const frontmatter: SpecFrontmatter = {
    ...verified.spec.frontmatter,
    status: complete ? "completed" : "needs_attention",
    commits,
    ...(options.model ? { model: options.model } : {}),
  };
  if (complete) frontmatter.completed_at = completedAt(options.now);
  const finished = { ...verified.spec, frontmatter };
  const spec = options.approved ? keepApprovalRecord(options.approved, finished) : finished;
  await writeAndCommitSpec(workspace, spec, `chant(${options.specId}): finalize spec`);
  return { headSha: (await workspace.git(["rev-parse", "HEAD"])).trim(), commits, spec };
}
