import type { ParsedSpec } from "../../chant-format/parse-spec.js";
import { firstHeading, plainText } from "../../chant-format/markdown.js";
import { parseSpecId } from "../../chant-format/spec-id.js";
import { normalizeRepoPath } from "../../util/repo-path.js";

/**
 * The phases of chant's bug-fix chain as chant users write it
 * (docs/guides/oss-maintainer-workflow in chant, and the implementation
 * workflow): comprehension (or triage), reproduction, root cause, impact map;
 * `investigation` is the single-spec mode that does all four in one;
 * `research` is research whose phase nothing tells. Implementation and other
 * specs may hang off a chain but are not part of the research.
 */
export type Phase =
  | "comprehension"
  | "reproduction"
  | "root_cause"
  | "impact_map"
  | "investigation"
  | "research"
  | "implementation"
  | "other";

export const PHASE_WORDS: Record<Phase, string> = {
  comprehension: "comprehension",
  reproduction: "reproduction",
  root_cause: "root cause",
  impact_map: "impact map",
  investigation: "investigation",
  research: "research",
  implementation: "implementation",
  other: "other",
};

/** Where a phase sits in the chain; specs with no link between them are ordered by it. */
export const PHASE_ORDER: Record<Phase, number> = {
  comprehension: 0,
  reproduction: 1,
  root_cause: 2,
  investigation: 2,
  research: 2,
  impact_map: 3,
  implementation: 4,
  other: 5,
};

export function isResearchPhase(phase: Phase): boolean {
  return phase !== "implementation" && phase !== "other";
}

/**
 * Phases that exclude each other in one chain: two chains of the same issue
 * whose phases do not overlap are one chain written without links (each
 * phase labelled `issue-N`); two root-cause analyses are competing chains.
 */
export function phaseSlot(phase: Phase): string {
  return phase === "research" || phase === "investigation" ? "root_cause" : phase;
}

const LABEL_PHASES: Record<string, Phase> = {
  comprehension: "comprehension",
  triage: "comprehension",
  reproduction: "reproduction",
  reproduce: "reproduction",
  repro: "reproduction",
  "root-cause": "root_cause",
  root_cause: "root_cause",
  rootcause: "root_cause",
  rca: "root_cause",
  "impact-map": "impact_map",
  impact_map: "impact_map",
  impact: "impact_map",
  sprawl: "impact_map",
  investigation: "investigation",
};

const PROMPT_PHASES: Record<string, Phase> = {
  triage: "comprehension",
  reproduce: "reproduction",
  reproduction: "reproduction",
  implement: "implementation",
  review: "other",
  verify: "other",
};

/** Words naming a phase in a title or a file name; the earliest one in the text wins. */
const PHASE_WORD_PATTERNS: [Phase, RegExp][] = [
  ["comprehension", /\b(comprehension|comprehend\w*|triage)\b/i],
  ["reproduction", /\b(reproduc\w*|repro)\b/i],
  ["root_cause", /\b(root[- _]?cause\w*|rca)\b/i],
  ["impact_map", /\b(impact[- _]?map\w*|impact|sprawl)\b/i],
  ["investigation", /\b(investigat\w*)\b/i],
  ["implementation", /\b(fix|fixes|fixing|implement\w*)\b/i],
  ["other", /\b(upstream[- _]pr|review|release)\b/i],
];

function phaseOfWords(text: string, allowed: (phase: Phase) => boolean): Phase | undefined {
  let best: { phase: Phase; at: number } | undefined;
  for (const [phase, pattern] of PHASE_WORD_PATTERNS) {
    if (!allowed(phase)) continue;
    const match = pattern.exec(text);
    if (match && (best === undefined || match.index < best.at)) best = { phase, at: match.index };
  }
  return best?.phase;
}

/** The phase a research document's file name says (`issue-42-root-cause.md`). */
export function documentPhaseFromName(path: string): Phase | undefined {
  const name = normalizeRepoPath(path)
    .replace(/^.*\//, "")
    .replace(/\.md$/i, "")
    .replace(/[-_]+/g, " ");
  return phaseOfWords(name, (p) => isResearchPhase(p));
}

/** Markdown documents a spec writes (`target_files`): not specs, prompts or code. */
export function specDocuments(spec: ParsedSpec): string[] {
  return (spec.frontmatter.target_files ?? [])
    .map(normalizeRepoPath)
    .filter((p) => /\.md$/i.test(p) && !/^\.chant\/(specs|archive|prompts)\//.test(p));
}

/**
 * A spec's phase, from what chant users write, most reliable first: a phase
 * label, a phase prompt, the title (`Phase 3: Root Cause Analysis`,
 * `Reproduce issue #42`), a descriptive file name (`003-root-cause.md`), the
 * names of the documents it writes; then `type: research` / a `research`
 * label or prompt make it research of no known phase.
 */
export function specPhase(spec: ParsedSpec): Phase {
  const fm = spec.frontmatter;
  const labels = (fm.labels ?? []).map((l) => l.toLowerCase());
  const prompt = (fm.prompt ?? "").toLowerCase();
  const researchy =
    fm.type === "research" || prompt.startsWith("research") || labels.includes("research");
  // Research is never the implementation, whatever its title says.
  const allowed = (phase: Phase) => !researchy || isResearchPhase(phase);

  for (const label of labels) {
    const phase = LABEL_PHASES[label];
    if (phase && allowed(phase)) return phase;
  }
  const fromPrompt = PROMPT_PHASES[prompt];
  if (fromPrompt && allowed(fromPrompt)) return fromPrompt;

  const title = specTitle(spec);
  const fromTitle = title ? phaseOfWords(title, allowed) : undefined;
  if (fromTitle) return fromTitle;

  // A random id suffix (`2026-01-28-001-rca`) says nothing; a descriptive file name does.
  if (!parseSpecId(spec.id)) {
    const fromName = phaseOfWords(spec.id.replace(/[-_.]+/g, " "), allowed);
    if (fromName) return fromName;
  }
  for (const doc of specDocuments(spec)) {
    const phase = documentPhaseFromName(doc);
    if (phase && allowed(phase)) return phase;
  }
  if (researchy) return "research";
  if (fm.type === "code" && (labels.includes("fix") || prompt === "implement"))
    return "implementation";
  return "other";
}

/** The spec's title as chant reads it (its first `# ` heading), as plain text. */
export function specTitle(spec: ParsedSpec): string {
  return plainText(firstHeading(spec.body) ?? "");
}

const ISSUE_LABEL = /^issue[-_#]?(\d{1,9})$/i;

/**
 * Issue numbers a title names: `Issue #42`, `issue 42`, `#42` (not an HTML
 * entity `&#42;`, not `PR #42` or `pull request #42`).
 */
export function issuesInTitle(title: string): number[] {
  const found = new Set<number>();
  for (const match of title.matchAll(/\bissues?\s*#?\s*(\d{1,9})\b/gi)) found.add(Number(match[1]));
  for (const match of title.matchAll(/(^|[^&\w#])#(\d{1,9})\b/g)) {
    const before = title.slice(0, match.index + match[1]!.length);
    if (/\b(pr|pull request|pull|merge request|mr)\s*$/i.test(before)) continue;
    found.add(Number(match[2]));
  }
  return [...found];
}

/** Issue numbers a spec is about: its `issue-N` labels and its title. */
export function issuesOfSpec(spec: ParsedSpec): { labels: number[]; title: number[] } {
  const labels: number[] = [];
  for (const label of spec.frontmatter.labels ?? []) {
    const match = ISSUE_LABEL.exec(label);
    if (match) labels.push(Number(match[1]));
  }
  return { labels, title: issuesInTitle(specTitle(spec)) };
}

/** A research document named after an issue: `issue-42-root-cause.md`, `issue-42.md`. */
export function issueOfDocumentName(path: string): number | undefined {
  const match = /(?:^|\/)issue[-_](\d{1,9})(?:[-_.][^/]*)?\.md$/i.exec(normalizeRepoPath(path));
  return match ? Number(match[1]) : undefined;
}
