import type { DraftStatus } from "../../domain/repo-config.js";
import type { SpecFrontmatter } from "../../chant-format/frontmatter.js";
import {
  closeFences,
  cutMarkdown,
  demoteHeadings,
  plainText,
} from "../../chant-format/markdown.js";
import type { ParsedSpec } from "../../chant-format/parse-spec.js";
import {
  locationKey,
  parseRcaDocument,
  type CodeLocation,
  type FileToModify,
  type RcaDocument,
} from "../../chant-format/rca.js";
import {
  serializeSpec,
  strictWriteProblems,
  type SpecDocument,
} from "../../chant-format/serialize-spec.js";
import { isSafeRepoPath, isTestPath } from "../../util/repo-path.js";
import { oneLine } from "../../util/untrusted-text.js";
import { SPECS_DIR, type ResearchChain } from "../find-research/find-research-spec.js";

/** A file the draft brings along in the same commit (the implement prompt chant needs to run it). */
export interface CompanionFile {
  path: string;
  content: string;
  /** Why, in a sentence, for the maintainer. */
  reason: string;
}

export interface DraftInput {
  /** The new spec's id (see nextSpecId). */
  id: string;
  issueNumber: number;
  /** The issue's title; untrusted, made one visible line here. */
  issueTitle?: string | undefined;
  /** The chain's root-cause research. */
  research: ParsedSpec;
  chain: Pick<
    ResearchChain,
    | "rcaDocuments"
    | "missingRca"
    | "reproductionTests"
    | "rejectedTests"
    | "members"
    | "lastResearch"
    | "documents"
    | "impactDocuments"
    | "missingDocuments"
  >;
  status?: DraftStatus;
  /**
   * Whether a path is a file of the repository (its tree at the default
   * branch): files the research names that are not go to the drafting notes,
   * not to `target_files`. Without it nothing is checked.
   */
  exists?: ((path: string) => boolean) | undefined;
  /** Files to commit with the spec (see draftForIssue). */
  companionFiles?: CompanionFile[] | undefined;
}

export interface DraftedSpec extends SpecDocument {
  id: string;
  path: string;
  title: string;
  /** The file as it will be written. */
  content: string;
  /** What the research did not provide, as said in the spec's Context. */
  missing: string[];
  /** Files committed with the spec (none when the repository has what chant needs). */
  companionFiles?: CompanionFile[];
}

const RELEASE_NOTES_PLACEHOLDER = "<!-- Fill in after implementation -->";
const MAX_QUOTE = 4000;
/** A criterion is one line; the research's words are cut to this. */
const MAX_CRITERION = 240;
const MAX_CRITERIA = 40;

/**
 * Draft the implementation spec (chain step 4 of implementation-workflow.md,
 * the "Fork Fix" phase of chant's OSS maintainer guide) from the research
 * chain: type code, prompt implement, labels [fix, issue-N], `depends_on` the
 * chain's last research spec, `informed_by` the root-cause research and
 * every research document of the chain, `target_files` the files the
 * research says to change that are in the repository; Context (the root
 * cause and the tradeoffs accepted), Approach (the recommended option only,
 * and every place the research calls vulnerable), Acceptance Criteria (its
 * steps, locations, verification, tests and edge cases, never its pros and
 * cons), Release Notes.
 */
export function draftImplementationSpec(input: DraftInput): DraftedSpec {
  const { research, chain, issueNumber } = input;
  const missing: string[] = [];
  const rca = mergeRcaDocuments(input, missing);
  const impact = (chain.impactDocuments ?? []).map((d) => parseRcaDocument(d.path, d.text));
  const files = targetFiles(input, rca, impact, missing);

  if (chain.rejectedTests?.length) {
    missing.push(
      `Not reproduction tests, because they are not plain paths inside the repository: ${chain.rejectedTests.map(shownPath).join(", ")}.`,
    );
  }
  if (chain.reproductionTests.length === 0) {
    missing.push(
      "No reproduction test is known: the research spec's `informed_by` (or the reproduction spec's `target_files`) names no test file.",
    );
  }
  for (const path of chain.missingDocuments ?? []) {
    missing.push(
      `\`${shownPath(path).slice(1, -1)}\` is listed by the research chain but is not in the repository, so it is not in \`informed_by\`.`,
    );
  }

  const summary = titleSummary(input, rca);
  const title = `Fix issue #${issueNumber}: ${summary}`;
  const last = chain.lastResearch ?? research;
  const documents = (chain.documents ?? chain.rcaDocuments).map((d) => d.path);
  const frontmatter: SpecFrontmatter = {
    type: "code",
    status: input.status ?? "pending",
    depends_on: [last.id],
    labels: ["fix", `issue-${issueNumber}`],
    target_files: files.map((f) => f.path),
    prompt: "implement",
    informed_by: [...new Set([research.path, ...documents])],
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
    approachSection(rca, impact, files, chain.reproductionTests, input.exists),
    "",
    "## Acceptance Criteria",
    "",
    ...acceptanceCriteria(rca, impact, files, chain.reproductionTests, input.exists).map(
      (c) => `- [ ] ${c}`,
    ),
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
    ...(input.companionFiles?.length ? { companionFiles: input.companionFiles } : {}),
  };
}

/** Whether a Release Notes section still holds only the placeholder (or nothing). */
export function releaseNotesFilled(sectionText: string): boolean {
  return sectionText.replace(/<!--[\s\S]*?-->/g, "").trim().length > 0;
}

function shownPath(path: string): string {
  return `\`${oneLine(path, 80).replace(/`/g, "")}\``;
}

interface MergedRca extends Omit<RcaDocument, "path"> {
  sources: string[];
}

/** The RCA documents read as one; the research spec's own body stands in when there is none. */
function mergeRcaDocuments(input: DraftInput, missing: string[]): MergedRca {
  const { research, chain } = input;
  for (const path of chain.missingRca) {
    missing.push(
      `The RCA document ${shownPath(path)} listed in the research spec's \`target_files\` could not be read.`,
    );
  }
  let docs = chain.rcaDocuments.map((d) => parseRcaDocument(d.path, d.text));
  if (docs.length === 0) {
    missing.push(
      "The research spec lists no readable RCA document (a `.md` file under `.chant/research/` in its `target_files`); this draft is built from the research spec itself.",
    );
    // A spec's own Acceptance Criteria are the research's, not the fix's.
    docs = [{ ...parseRcaDocument(research.path, research.body), verification: [] }];
  }
  const pick = <K extends keyof RcaDocument>(key: K) =>
    docs.find((d) => d[key] !== undefined)?.[key];
  const all = <T>(get: (d: RcaDocument) => T[]) => docs.flatMap(get);
  const merged: MergedRca = {
    sources: docs.map((d) => d.path),
    summary: pick("summary"),
    rootCause: pick("rootCause"),
    recommendation: pick("recommendation"),
    options: all((d) => d.options),
    filesToModify: pick("filesToModify"),
    fileMentions: all((d) => d.fileMentions),
    analysisPaths: all((d) => d.analysisPaths),
    primaryLocation: pick("primaryLocation"),
    vulnerable: all((d) => d.vulnerable),
    verification: all((d) => d.verification),
    testsToAdd: all((d) => d.testsToAdd),
    docsToUpdate: all((d) => d.docsToUpdate),
    edgeCases: pick("edgeCases"),
    tradeoffs: all((d) => d.tradeoffs),
    rejectedPaths: all((d) => d.rejectedPaths),
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

interface TargetFile extends FileToModify {
  /** Not in the repository yet: the research says to add it. */
  isNew?: boolean;
}

/**
 * `target_files`: the RCA's files to modify, `**File:**` lines and
 * vulnerable locations, the impact map's target files (or, without such a
 * list, its affected locations), and backticked paths of the analysis that
 * are in the repository. Checked against the repository's tree: a named
 * file that is not there goes to the drafting notes (unless the research
 * says to create it); the reproduction test is never a target (the agent
 * must not edit the test that judges it).
 */
function targetFiles(
  input: DraftInput,
  rca: MergedRca,
  impact: RcaDocument[],
  missing: string[],
): TargetFile[] {
  const reproduction = new Set(input.chain.reproductionTests);
  const exists = input.exists;
  const kept: TargetFile[] = [];
  const absent: string[] = [];
  const consider = (file: FileToModify, named: boolean) => {
    if (!isSafeRepoPath(file.path)) return;
    // The reproduction test judges the fix: a target only when the research says to change it.
    if (reproduction.has(file.path) && !(named && saysChange(file))) return;
    if (kept.some((k) => k.path === file.path) || absent.includes(file.path)) return;
    if (!exists || exists(file.path)) {
      kept.push(file);
    } else if (named && saysNew(file)) {
      kept.push({ ...file, isNew: true });
    } else if (named) {
      absent.push(file.path);
    }
  };
  for (const file of rca.filesToModify ?? []) consider(file, true);
  for (const file of rca.fileMentions) consider(file, true);
  for (const doc of impact) {
    for (const file of doc.filesToModify ?? doc.fileMentions) consider(file, true);
  }
  if (exists) for (const path of rca.analysisPaths) consider({ path, note: undefined }, false);

  const named =
    rca.filesToModify !== undefined ||
    rca.fileMentions.length > 0 ||
    impact.some((d) => d.filesToModify !== undefined || d.fileMentions.length > 0);
  if (!named && kept.length === 0) {
    missing.push(
      'The RCA has no "Files to Modify" section, so `target_files` is empty: list the files to change there (or in this spec) before running.',
    );
  } else if (kept.length === 0) {
    missing.push(
      'The research names no file to modify that is in the repository, so `target_files` is empty: list the files to change (in the RCA\'s "Files to Modify" or in this spec) before running.',
    );
  }
  if (absent.length > 0) {
    missing.push(
      `Named by the research but not in the repository, so not in \`target_files\` (check the paths): ${absent.map(shownPath).join(", ")}.`,
    );
  }
  if (rca.rejectedPaths.length > 0) {
    missing.push(
      `Left out of \`target_files\` because they are not plain paths inside the repository: ${rca.rejectedPaths.map(shownPath).join(", ")}.`,
    );
  }
  return kept;
}

/** A file's note as listed (a new file's own `(new)` is said once). */
function noteOf(file: TargetFile): string | undefined {
  const note = file.isNew ? file.note?.replace(/^\(new( file)?\)\s*[-–—:;]?\s*/i, "") : file.note;
  return note || undefined;
}

/** The research says what to change in the file (not "already exists from reproduction"). */
function saysChange(file: FileToModify): boolean {
  const note = file.note ?? "";
  return (
    note !== "" && !/\b(already exists|exists from|no change|unchanged|as is|keep as)\b/i.test(note)
  );
}

/** The research says to create the file: `(new)`, `create`, `add ... tests`. */
function saysNew(file: FileToModify): boolean {
  const note = file.note ?? "";
  return (
    /\b(new( file)?|create[sd]?|to be created|does not exist yet)\b/i.test(note) ||
    (isTestPath(file.path) && /\badd(s|ed)?\b/i.test(note))
  );
}

function titleSummary(input: DraftInput, rca: MergedRca): string {
  const fromIssue = input.issueTitle ? oneLine(input.issueTitle, 80) : "";
  if (fromIssue) return fromIssue;
  // Without the issue's title, the fix the research recommends names the spec best.
  const approach = plainText(rca.recommendation?.title ?? "").replace(
    /^(option|approach|alternative|solution|strategy|fix|primary fix|recommended (fix|approach|solution))\s*#?\w?\s*[:.)\-—–]\s*/i,
    "",
  );
  if (approach.length > 3) return oneLine(approach, 80);
  const researchTitle = plainText(
    (input.research.body.match(/^\s*# (.+)$/m)?.[1] ?? "").replace(
      /^(phase \d+:\s*)?(research( root cause)?|root cause analysis|root cause|rca|investigat(e|ion))\s*(of|for|:|-|—)?\s*/i,
      "",
    ),
  );
  return (
    oneLine(researchTitle, 80) ||
    `implement the fix recommended by ${oneLine(input.research.id, 60)}`
  );
}

/** Research text quoted into the spec: its headings below ours, cut at a line outside code, fences closed. */
function quote(markdown: string, max = MAX_QUOTE): string {
  return closeFences(
    demoteHeadings(cutMarkdown(markdown, max, "…(cut; see the research document)")),
    "…(cut at a code block; see the research document)",
  );
}

/** One line of the research's words, for a checkbox (a checkbox that spans lines is not one chant counts). */
function oneCriterion(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  if (line.length <= MAX_CRITERION) return line;
  const cut = line.slice(0, MAX_CRITERION);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(" "), MAX_CRITERION / 2)).trimEnd()}…`;
}

function contextSection(input: DraftInput, rca: MergedRca, missing: string[]): string {
  const { research, chain } = input;
  const sources = (chain.documents ?? chain.rcaDocuments).map((d) => d.path);
  const refs = (sources.length > 0 ? sources : rca.sources).map(shownPath).join(", ");
  const parts = [
    `Research spec ${shownPath(research.id)} (${shownPath(research.path)}) identified the root cause of issue #${input.issueNumber}. See ${refs} for the full analysis.`,
  ];
  const members = chain.members ?? [];
  if (members.length > 1) {
    parts.push(
      `The research chain: ${members.map((m) => `${m.phase.replace("_", " ")} ${shownPath(m.spec.id)}`).join(" → ")}.`,
    );
  }
  const summary = rca.summary ?? rca.rootCause;
  if (summary) parts.push(quote(summary));
  if (rca.tradeoffs.length > 0) {
    parts.push(
      [
        "Tradeoffs the research accepted:",
        "",
        ...rca.tradeoffs.map((t) => `- ${oneCriterion(t)}`),
      ].join("\n"),
    );
  }
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

function describeLocation(location: CodeLocation): string {
  const name = location.name.replace(/`/g, "");
  const where = location.path && !name.includes(location.path) ? ` in \`${location.path}\`` : "";
  const lines =
    location.lines && !name.endsWith(`:${location.lines}`)
      ? ` (line${/[-,]/.test(location.lines) ? "s" : ""} ${location.lines})`
      : "";
  return `\`${name}\`${where}${lines}`;
}

/**
 * Where the bug is and every other place the research calls vulnerable (the
 * RCA's, then the impact map's), each place once; never the reproduction
 * test, which is not to be changed.
 */
function vulnerableLocations(
  rca: MergedRca,
  impact: RcaDocument[],
  tests: string[],
  exists: DraftInput["exists"],
): CodeLocation[] {
  const seen = new Set<string>();
  return [
    ...(rca.primaryLocation ? [rca.primaryLocation] : []),
    ...rca.vulnerable,
    ...impact.flatMap((d) => [...(d.primaryLocation ? [d.primaryLocation] : []), ...d.vulnerable]),
  ].filter((location) => {
    if (location.path !== undefined && tests.includes(location.path)) return false;
    // A place in a file the repository does not have cannot be fixed (the notes name the file).
    if (location.path !== undefined && exists && !exists(location.path)) return false;
    const key = locationKey(location);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function approachSection(
  rca: MergedRca,
  impact: RcaDocument[],
  files: TargetFile[],
  tests: string[],
  exists: DraftInput["exists"],
): string {
  const rec = rca.recommendation;
  const parts: string[] = [];
  if (rec) {
    parts.push(
      rec.title
        ? `Implement the recommended approach, **${rec.title.replace(/\*/g, "")}**, as the RCA describes:`
        : "Implement the RCA's recommendation:",
    );
    if (rec.text && plainText(rec.text) !== rec.title) parts.push(quote(rec.text));
    if (rec.option?.text && rec.option.text !== rec.text) parts.push(quote(rec.option.text));
    if (rec.rejected.length > 0) {
      parts.push(
        `Not the other options the research weighed: ${rec.rejected.map((t) => `${t.replace(/\*/g, "")}`).join("; ")} (rejected in favour of the recommendation).`,
      );
    }
  } else {
    parts.push("The RCA gives no recommendation. Describe the approach here before running.");
  }
  const locations = vulnerableLocations(rca, impact, tests, exists);
  if (locations.length > 0) {
    parts.push(
      [
        "Every place the research calls vulnerable gets the fix:",
        "",
        ...locations.map(
          (l, i) => `${i + 1}. ${describeLocation(l)}${l.note ? ` - ${oneCriterion(l.note)}` : ""}`,
        ),
      ].join("\n"),
    );
  }
  if (files.length > 0) {
    parts.push(
      [
        "Files to modify:",
        "",
        ...files.map(
          (f, i) =>
            `${i + 1}. \`${f.path}\`${f.isNew ? " (new)" : ""}${noteOf(f) ? ` - ${oneCriterion(noteOf(f)!)}` : ""}`,
        ),
      ].join("\n"),
    );
  }
  parts.push(
    "Keep the change focused on what the research identified; do not refactor unrelated code.",
  );
  return parts.join("\n\n");
}

function acceptanceCriteria(
  rca: MergedRca,
  impact: RcaDocument[],
  files: TargetFile[],
  tests: string[],
  exists: DraftInput["exists"],
): string[] {
  const criteria: string[] = [];
  const steps = rca.recommendation?.steps ?? [];
  if (steps.length > 0) {
    criteria.push(...steps);
  } else if (rca.recommendation?.title) {
    criteria.push(`The recommended approach is implemented: ${rca.recommendation.title}`);
  } else {
    const noted = files.filter((f) => f.note !== undefined);
    criteria.push(...noted.map((f) => `${f.note} (\`${f.path}\`)`));
    if (noted.length === 0) criteria.push("The recommended approach is implemented");
  }
  const locations = vulnerableLocations(rca, impact, tests, exists);
  for (const location of locations)
    criteria.push(
      `Fixed: ${describeLocation(location)}${location.note ? ` - ${location.note}` : ""}`,
    );
  for (const test of tests) criteria.push(`Reproduction test \`${test}\` passes`);
  const covered = (text: string) =>
    (/\bexisting tests?\b|\bno (other )?tests? (break|fail)|\ball tests\b/i.test(text) && true) ||
    (tests.length > 0 &&
      /\b(reproduction|regression|failing) test\b|\btest from phase\b|\breproduc/i.test(text));
  for (const item of [...rca.verification, ...impact.flatMap((d) => d.verification)]) {
    if (!covered(item)) criteria.push(`Verified: ${item}`);
  }
  for (const item of [...rca.testsToAdd, ...impact.flatMap((d) => d.testsToAdd)]) {
    if (!covered(item)) criteria.push(`Test added: ${item}`);
  }
  for (const item of [...rca.docsToUpdate, ...impact.flatMap((d) => d.docsToUpdate)]) {
    criteria.push(`Documentation updated: ${item}`);
  }
  for (const edge of rca.edgeCases ?? []) criteria.push(`Edge case handled: ${edge}`);
  const seen = new Set<string>();
  const unique = criteria
    .map(oneCriterion)
    .filter((c) => c.length > 0)
    .filter((c) => {
      const key = c.toLowerCase().replace(/[^a-z0-9]+/g, " ");
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .slice(0, MAX_CRITERIA - 2);
  return [...unique, "All existing tests pass", "Release notes section added"];
}
