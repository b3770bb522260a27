import { LocalFiles } from "../../process/local-files.js";
import { parseSpec, type ParsedSpec } from "../../chant-format/parse-spec.js";
import { serializeSpec } from "../../chant-format/serialize-spec.js";
import { nextSpecId } from "../../chant-format/spec-id.js";
import { oneLine } from "../../util/untrusted-text.js";
import { SPEC_DIRS, SPECS_DIR } from "../find-research/find-research-spec.js";
import { balanceFences, demoteHeadings } from "../../chant-format/markdown.js";
import type { VerifiedResult } from "../verify-result/verify-result.js";
import type { Workspace } from "../workspace/prepare-workspace.js";
import { writeAndCommitSpec } from "./commit-result.js";

export interface FollowUpResearch {
  headSha: string;
  research: ParsedSpec;
  title: string;
  notes: string;
}

/**
 * When the implementation shows the research was wrong (implementation-
 * workflow.md, "Recommended Approach Doesn't Work"): no fix is published.
 * The code changes are dropped, the implementation spec keeps its notes as
 * `needs_attention`, and a follow-up research spec informed by the old
 * research and those notes is drafted on the same branch.
 */
export async function sendBackToResearch(
  workspace: Workspace,
  verified: VerifiedResult,
  options: {
    specId: string;
    issueNumber: number;
    oldResearch: ParsedSpec;
    rcaPaths: string[];
    now: Date;
  },
): Promise<FollowUpResearch> {
  const notes =
    verified.implementationNotes ??
    "The agent reported (exit code 3) that the recommended approach does not work, without writing Implementation Notes.";
  // The spec as the agent left it (verify read it from the index); its code changes are dropped.
  await workspace.git(["reset", "--hard", workspace.draftCommit]);
  await workspace.git(["clean", "-fd"]);
  const impl: ParsedSpec = {
    ...verified.spec,
    frontmatter: { ...verified.spec.frontmatter, status: "needs_attention" },
  };
  await writeAndCommitSpec(
    workspace,
    impl,
    `chant(${options.specId}): implementation notes: the recommended approach does not work`,
  );

  const existing = (await new LocalFiles(workspace.dir).list(SPEC_DIRS)).map((f) => f.path);
  const id = nextSpecId(existing, options.now);
  const summary = oneLine(notes.replace(/[#*`>]/g, " "), 70);
  const title = `Re-research issue #${options.issueNumber}: ${summary}`;
  const n = options.issueNumber;
  const body = [
    `# ${title}`,
    "",
    "## Context",
    "",
    `Implementation spec \`${options.specId}\` followed research \`${options.oldResearch.id}\` and found that the recommended approach does not work. Its implementation notes:`,
    "",
    balanceFences(demoteHeadings(notes)),
    "",
    "## Research Questions",
    "",
    "- [ ] Why does the recommended approach fail, given the implementation notes?",
    "- [ ] Which other approaches remain, and what are their trade-offs?",
    "- [ ] Which approach should the next implementation follow?",
    "",
    "## Acceptance Criteria",
    "",
    "- [ ] Root cause re-checked against the implementation notes",
    "- [ ] 2-3 approaches evaluated with trade-offs",
    "- [ ] Recommended approach with justification",
    "- [ ] Edge cases identified",
    "- [ ] Files that need modification listed",
    "",
  ].join("\n");
  const research: ParsedSpec = {
    id,
    path: `${SPECS_DIR}/${id}.md`,
    frontmatter: {
      type: "research",
      status: "pending",
      labels: ["research", `issue-${n}`],
      target_files: [`.chant/research/issue-${n}-rca-${id}.md`],
      prompt: "research",
      informed_by: [options.oldResearch.path, ...options.rcaPaths, workspace.specPath],
    },
    extraFields: {},
    body,
    eol: "\n",
    leniencies: [],
  };
  // Written strictly: it must read back as the same spec.
  parseSpec(research.path, serializeSpec(research));
  await writeAndCommitSpec(workspace, research, `chant(${id}): draft follow-up research spec`);
  return { headSha: (await workspace.git(["rev-parse", "HEAD"])).trim(), research, title, notes };
}
