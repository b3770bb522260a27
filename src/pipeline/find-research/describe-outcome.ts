import type { ParsedSpec } from "../../chant-format/parse-spec.js";
import { oneLine } from "../../util/untrusted-text.js";
import {
  specHint,
  type Audience,
  type ChainMember,
  type ResearchOutcome,
} from "./find-research-spec.js";
import { PHASE_WORDS } from "./phases.js";
import { RULE_WORDS } from "./rules.js";

export interface OutcomeText {
  /** One line, for a CLI error or the top of the status comment. */
  headline: string;
  /** Markdown lines with the details and exactly what to do. */
  details: string[];
}

/**
 * What to tell a maintainer about the research search, in words, for where
 * it is read: the status comment names `/chant implement ID --force`, the
 * command line `--spec ID --force` (default: what the search was asked for).
 */
export function describeResearchOutcome(
  outcome: ResearchOutcome,
  audience: Audience | undefined = outcome.audience,
): OutcomeText {
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
          `To fix: add a completed research spec to \`.chant/specs/\` with \`prompt: research\` and the label \`${label}\` (its \`target_files\` naming the RCA document, e.g. \`.chant/research/${label}-root-cause.md\`), or name one: ${specHint(audience)}.`,
          ...notes,
        ],
      };
    }
    case "not_completed": {
      const { research } = outcome;
      const incomplete = outcome.incomplete ?? [research];
      const others = incomplete.filter((s) => s !== research);
      const researchDone = !incomplete.includes(research);
      return {
        headline: researchDone
          ? `The research chain of ${shownPath(research.id)} is not completed: ${incomplete.map(statusOf).join(", ")}.`
          : `Research spec ${shownPath(research.id)} is \`${research.frontmatter.status}\`, not completed.`,
        details: [
          `Found ${shownPath(research.path)} (${RULE_WORDS[outcome.rule]}).`,
          ...chainLine(outcome.members),
          ...(!researchDone && others.length > 0
            ? [`Also not completed in its chain: ${others.map(statusOf).join(", ")}.`]
            : []),
          `To fix: finish the research so that every spec of the chain is \`completed\`, or go ahead anyway with ${specHint(audience, research.id, true)}.`,
          ...alsoMatched(outcome.candidates.slice(1)),
          ...notes,
        ],
      };
    }
    case "found":
    case "ambiguous": {
      const { research, chain } = outcome;
      const others = (chain.documents ?? []).filter(
        (d) => !chain.rcaDocuments.some((r) => r.path === d.path),
      );
      return {
        headline: `Research spec ${shownPath(research.id)} found (${RULE_WORDS[outcome.rule]}).`,
        details: [
          ...(outcome.kind === "ambiguous"
            ? [
                `${outcome.candidates.length} research chains match: ${outcome.reason}.`,
                ...alsoMatched(outcome.candidates.slice(1)),
              ]
            : []),
          ...chainLine(chain.members),
          `RCA: ${chain.rcaDocuments.length ? chain.rcaDocuments.map((d) => shownPath(d.path)).join(", ") : "none readable"}${chain.missingRca.length ? ` (missing: ${chain.missingRca.map(shownPath).join(", ")})` : ""}.`,
          ...(others.length
            ? [
                `Also informed by: ${others.map((d) => `${shownPath(d.path)} (${PHASE_WORDS[d.phase]})`).join(", ")}.`,
              ]
            : []),
          ...(chain.missingDocuments?.length
            ? [
                `Listed by the chain but not in the repository (left out): ${chain.missingDocuments.map(shownPath).join(", ")}.`,
              ]
            : []),
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

/** `Chain: comprehension `001` → reproduction `002` → root cause `003``, when there is more than one spec. */
function chainLine(members: ChainMember[] | undefined): string[] {
  if (!members || members.length < 2) return [];
  return [
    `Chain: ${members.map((m) => `${PHASE_WORDS[m.phase]} ${shownPath(m.spec.id)}${m.spec.frontmatter.status === "completed" ? "" : ` (${m.spec.frontmatter.status})`}`).join(" → ")}.`,
  ];
}

function statusOf(spec: ParsedSpec): string {
  return `${shownPath(spec.id)} is \`${spec.frontmatter.status}\``;
}

/** A path or id from a repository, shown in a code span on one line (it may hold anything). */
function shownPath(path: string): string {
  return `\`${oneLine(path, 80).replace(/`/g, "'")}\``;
}

function alsoMatched(specs: ParsedSpec[]): string[] {
  return specs.map((s) => `- also matched: ${shownPath(s.path)} (${s.frontmatter.status})`);
}
