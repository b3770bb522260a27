import type { SpecFrontmatter } from "../../spec/frontmatter.js";
import { balanceFences, demoteHeadings, plainText } from "../../spec/markdown.js";
import type { ParsedSpec } from "../../spec/parse-spec.js";
import { parseRcaDocument, type FileToModify, type RcaDocument } from "../../spec/rca.js";
import {
  serializeSpec,
  strictWriteProblems,
  type SpecDocument,
} from "../../spec/serialize-spec.js";
import { oneLine } from "../../util/untrusted-text.js";
import { SPECS_DIR, type ResearchChain } from "../find-research/find-research-spec.js";

/** Statuses a drafted spec may start in (chant refuses to work a `ready` spec). */
export const DRAFT_STATUSES = ["pending", "paused", "blocked"] as const;
export type DraftStatus = (typeof DRAFT_STATUSES)[number];

export interface DraftInput {
  /** The new spec's id (see nextSpecId). */
  id: string;
  issueNumber: number;
  /** The issue's title; untrusted, made one visible line here. */
  issueTitle?: string | undefined;
  research: ParsedSpec;
  chain: Pick<ResearchChain, "rcaDocuments" | "missingRca" | "reproductionTests" | "rejectedTests">;
  status?: DraftStatus;
}

export interface DraftedSpec extends SpecDocument {
  id: string;
  path: string;
  title: string;
  /** The file as it will be written. */
  content: string;
  /** What the research did not provide, as said in the spec's Context. */
  missing: string[];
}

const RELEASE_NOTES_PLACEHOLDER = "<!-- Fill in after implementation -->";
const MAX_QUOTE = 4000;

/**
 * Draft the implementation spec (chain step 4 of implementation-workflow.md)
 * from the research spec and its RCA document: type code, prompt implement,
 * labels [fix, issue-N], informed_by [research, RCA], target_files from the
 * RCA's files to modify; Context, Approach, Acceptance Criteria, Release Notes.
 */
export function draftImplementationSpec(input: DraftInput): DraftedSpec {
  const { research, chain, issueNumber } = input;
  const missing: string[] = [];
  const rca = mergeRcaDocuments(input, missing);

  const files = rca.filesToModify ?? [];
  if (rca.filesToModify === undefined) {
    missing.push(
      'The RCA has no "Files to Modify" section, so `target_files` is empty: list the files to change there (or in this spec) before running.',
    );
  } else if (files.length === 0) {
    missing.push(
      'The RCA\'s "Files to Modify" section lists no file paths, so `target_files` is empty.',
    );
  }
  if (rca.rejectedPaths.length > 0) {
    missing.push(
      `Left out of \`target_files\` because they are not plain paths inside the repository: ${rca.rejectedPaths.map((p) => `\`${oneLine(p, 80).replace(/`/g, "")}\``).join(", ")}.`,
    );
  }
  if (chain.rejectedTests?.length) {
    missing.push(
      `Not reproduction tests, because they are not plain paths inside the repository: ${chain.rejectedTests.map((p) => `\`${oneLine(p, 80).replace(/`/g, "")}\``).join(", ")}.`,
    );
  }
  if (chain.reproductionTests.length === 0) {
    missing.push(
      "No reproduction test is known: the research spec's `informed_by` (or the reproduction spec's `target_files`) names no test file.",
    );
  }

  const summary = titleSummary(input);
  const title = `Fix issue #${issueNumber}: ${summary}`;
  const frontmatter: SpecFrontmatter = {
    type: "code",
    status: input.status ?? "pending",
    labels: ["fix", `issue-${issueNumber}`],
    target_files: files.map((f) => f.path),
    prompt: "implement",
    informed_by: [research.path, ...chain.rcaDocuments.map((d) => d.path)],
  };
  if (frontmatter.target_files?.length === 0) delete frontmatter.target_files;

  const body = [
    `# ${title}`,
    "",
    "## Context",
    "",
    contextSection(input, rca, missing),
    "",
    "## Approach",
    "",
    approachSection(rca, files),
    "",
    "## Acceptance Criteria",
    "",
    ...acceptanceCriteria(rca, files, chain.reproductionTests).map((c) => `- [ ] ${c}`),
    "",
    "## Release Notes",
    "",
    RELEASE_NOTES_PLACEHOLDER,
    "",
  ].join("\n");

  const doc: SpecDocument & { id: string } = {
    id: input.id,
    frontmatter,
    extraFields: {},
    body,
    eol: "\n",
  };
  const problems = strictWriteProblems(doc);
  if (problems.length > 0) {
    throw new Error(
      `drafted spec ${input.id} would not be accepted by chant: ${problems.join("; ")}`,
    );
  }
  return {
    ...doc,
    path: `${SPECS_DIR}/${input.id}.md`,
    title,
    content: serializeSpec(doc),
    missing,
  };
}

/** Whether a Release Notes section still holds only the placeholder (or nothing). */
export function releaseNotesFilled(sectionText: string): boolean {
  return sectionText.replace(/<!--[\s\S]*?-->/g, "").trim().length > 0;
}

interface MergedRca extends Omit<RcaDocument, "path"> {
  sources: string[];
}

/** The RCA documents read as one; the research spec's own body stands in when there is none. */
function mergeRcaDocuments(input: DraftInput, missing: string[]): MergedRca {
  const { research, chain } = input;
  for (const path of chain.missingRca) {
    missing.push(
      `The RCA document \`${path}\` listed in the research spec's \`target_files\` could not be read.`,
    );
  }
  let docs = chain.rcaDocuments.map((d) => parseRcaDocument(d.path, d.text));
  if (docs.length === 0) {
    missing.push(
      "The research spec lists no readable RCA document (a `.md` file under `.chant/research/` in its `target_files`); this draft is built from the research spec itself.",
    );
    docs = [parseRcaDocument(research.path, research.body)];
  }
  const pick = <K extends keyof RcaDocument>(key: K) =>
    docs.find((d) => d[key] !== undefined)?.[key];
  const merged: MergedRca = {
    sources: docs.map((d) => d.path),
    summary: pick("summary"),
    rootCause: pick("rootCause"),
    recommendation: pick("recommendation"),
    filesToModify: pick("filesToModify"),
    edgeCases: pick("edgeCases"),
    rejectedPaths: docs.flatMap((d) => d.rejectedPaths),
  };
  if (!merged.summary && !merged.rootCause) {
    missing.push('The RCA has no "Executive Summary" or "Root Cause" section to summarise here.');
  }
  if (!merged.recommendation) {
    missing.push(
      'The RCA has no "Recommendation" section: the approach below must be filled in by hand.',
    );
  }
  if (merged.edgeCases === undefined) {
    missing.push('The RCA has no "Edge Cases" section; no edge-case criteria were drafted.');
  }
  return merged;
}

function titleSummary(input: DraftInput): string {
  const fromIssue = input.issueTitle ? oneLine(input.issueTitle, 80) : "";
  if (fromIssue) return fromIssue;
  const researchTitle = plainText(
    (input.research.body.match(/^\s*# (.+)$/m)?.[1] ?? "").replace(
      /^(phase \d+:\s*)?(research( root cause)?|root cause analysis|rca|investigate)\s*(of|for|:|-|—)?\s*/i,
      "",
    ),
  );
  return oneLine(researchTitle, 80) || `implement the fix recommended by ${input.research.id}`;
}

function quote(markdown: string): string {
  const cut =
    markdown.length > MAX_QUOTE
      ? `${markdown.slice(0, MAX_QUOTE).trimEnd()}\n\n…(cut; see the RCA)`
      : markdown;
  return balanceFences(demoteHeadings(cut));
}

function contextSection(input: DraftInput, rca: MergedRca, missing: string[]): string {
  const { research, chain } = input;
  const refs = rca.sources.map((p) => `\`${p}\``).join(", ");
  const parts = [
    `Research spec \`${research.id}\` (\`${research.path}\`) identified the root cause of issue #${input.issueNumber}. See ${refs} for the full analysis.`,
  ];
  const summary = rca.summary ?? rca.rootCause;
  if (summary) parts.push(quote(summary));
  if (chain.reproductionTests.length > 0) {
    parts.push(
      `Reproduction test${chain.reproductionTests.length > 1 ? "s" : ""}: ${chain.reproductionTests.map((t) => `\`${t}\``).join(", ")} (fails before the fix, must pass after it).`,
    );
  }
  if (missing.length > 0) {
    parts.push(
      [
        "**Drafting notes** (what the research did not provide):",
        "",
        ...missing.map((m) => `- ${m}`),
      ].join("\n"),
    );
  }
  return parts.join("\n\n");
}

function approachSection(rca: MergedRca, files: FileToModify[]): string {
  const rec = rca.recommendation;
  const parts: string[] = [];
  if (rec) {
    parts.push(
      rec.title
        ? `Implement the recommended approach, **${rec.title}**, as the RCA describes:`
        : "Implement the RCA's recommendation:",
    );
    if (rec.text) parts.push(quote(rec.text));
  } else {
    parts.push("The RCA gives no recommendation. Describe the approach here before running.");
  }
  if (files.length > 0) {
    parts.push(
      [
        "Files to modify:",
        "",
        ...files.map((f, i) => `${i + 1}. \`${f.path}\`${f.note ? ` - ${f.note}` : ""}`),
      ].join("\n"),
    );
  }
  parts.push(
    "Keep the change focused on what the research identified; do not refactor unrelated code.",
  );
  return parts.join("\n\n");
}

function acceptanceCriteria(rca: MergedRca, files: FileToModify[], tests: string[]): string[] {
  const criteria: string[] = [];
  const steps = rca.recommendation?.steps ?? [];
  if (steps.length > 0) {
    criteria.push(...steps);
  } else {
    const noted = files.filter((f) => f.note !== undefined);
    criteria.push(...noted.map((f) => `${f.note} (\`${f.path}\`)`));
    if (noted.length === 0) criteria.push("The recommended approach is implemented");
  }
  for (const test of tests) criteria.push(`Reproduction test \`${test}\` passes`);
  for (const edge of rca.edgeCases ?? []) criteria.push(`Edge case handled: ${edge}`);
  criteria.push("All existing tests pass", "Release notes section added");
  // One line each: a criterion that spans lines would not be a checkbox chant counts.
  return criteria.map((c) => c.replace(/\s+/g, " ").trim());
}
