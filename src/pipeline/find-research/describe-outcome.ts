import { oneLine } from "../../util/untrusted-text.js";
import type { ResearchOutcome, Rule } from "./find-research-spec.js";

const RULE_WORDS: Record<Rule, string> = {
  explicit: "named in the command",
  mentioned: "mentioned in the issue or pull request",
  label: "labelled with the issue",
  pull_request: "changed by the pull request",
};

export interface OutcomeText {
  /** One line, for a CLI error or the top of the status comment. */
  headline: string;
  /** Markdown lines with the details and exactly what to do. */
  details: string[];
}

/** What to tell a maintainer about the research search, in words. */
export function describeResearchOutcome(outcome: ResearchOutcome): OutcomeText {
  const notes = outcome.notes.map((n) => `- ${n}`);
  switch (outcome.kind) {
    case "invalid":
      return { headline: outcome.message, details: notes };
    case "not_found": {
      const issue = outcome.issueNumber;
      const label = issue === undefined ? "issue-<N>" : `issue-${issue}`;
      return {
        headline: `No research spec found${issue === undefined ? "" : ` for issue #${issue}`}${outcome.limited ? " (not every spec file was searched: the repository has more than one job reads)" : ""}.`,
        details: [
          `Searched: ${outcome.searched.length ? outcome.searched.join("; ") : "spec ids and `.chant/specs/` paths mentioned in the text"}.`,
          `To fix: add a completed research spec to \`.chant/specs/\` with \`prompt: research\` and the label \`${label}\` (its \`target_files\` naming the RCA document, e.g. \`.chant/research/${label}-rca.md\`), or name one: \`/chant implement <spec-id>\`.`,
          ...notes,
        ],
      };
    }
    case "not_completed": {
      const { research } = outcome;
      return {
        headline: `Research spec \`${research.id}\` is \`${research.frontmatter.status}\`, not completed.`,
        details: [
          `Found \`${research.path}\` (${RULE_WORDS[outcome.rule]}).`,
          `To fix: finish the research so that its status is \`completed\`, or go ahead anyway with \`/chant implement ${research.id} --force\`.`,
          ...others(outcome.candidates.slice(1)),
          ...notes,
        ],
      };
    }
    case "found":
    case "ambiguous": {
      const { research, chain } = outcome;
      return {
        headline: `Research spec \`${research.id}\` found (${RULE_WORDS[outcome.rule]}).`,
        details: [
          ...(outcome.kind === "ambiguous"
            ? [
                `${outcome.candidates.length} research specs match; chose ${outcome.reason}.`,
                ...others(outcome.candidates.slice(1)),
              ]
            : []),
          `RCA: ${chain.rcaDocuments.length ? chain.rcaDocuments.map((d) => `\`${d.path}\``).join(", ") : "none readable"}${chain.missingRca.length ? ` (missing: ${chain.missingRca.map((p) => `\`${p}\``).join(", ")})` : ""}.`,
          `Reproduction test: ${chain.reproductionTests.length ? chain.reproductionTests.map((p) => `\`${p}\``).join(", ") : "none known"}.`,
          ...(chain.rejectedTests?.length
            ? [
                `Not run as reproduction tests, because they are not plain paths inside the repository: ${chain.rejectedTests.map(shownPath).join(", ")}.`,
              ]
            : []),
          ...notes,
        ],
      };
    }
  }
}

/** A path from a spec, shown in a code span on one line (it may hold anything). */
function shownPath(path: string): string {
  return `\`${oneLine(path, 80).replace(/`/g, "'")}\``;
}

function others(specs: { id: string; path: string; frontmatter: { status: string } }[]): string[] {
  return specs.map((s) => `- also matched: \`${s.path}\` (${s.frontmatter.status})`);
}
