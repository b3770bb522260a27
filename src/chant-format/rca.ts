import { isSafeRepoPath, normalizeRepoPath } from "../util/repo-path.js";
import {
  classifyLines,
  findSection,
  listItems,
  plainText,
  sections,
  sectionText,
  toLf,
  type Line,
  type ListItem,
  type Section,
} from "./markdown.js";

/**
 * What the drafting step takes from a research document: a root-cause
 * analysis or an impact map as agents write them, free-form markdown. Read
 * for what a maintainer would take from it: the recommended option (not the
 * rejected ones), where the bug is and where else it is, the files to
 * change, how to verify, the edge cases, the tradeoffs accepted.
 */
export interface RcaDocument {
  path: string;
  summary: string | undefined;
  rootCause: string | undefined;
  recommendation: Recommendation | undefined;
  /** Every option the document weighs (`Option 1: ...`, `Approach 2: ...`, `Primary Fix: ...`). */
  options: ApproachOption[];
  /** undefined when the document has no files-to-modify section at all. */
  filesToModify: FileToModify[] | undefined;
  /** Files named elsewhere as the place of the bug: `**File:**` lines, vulnerable locations, `**Location**:` lines. */
  fileMentions: FileToModify[];
  /** Backticked paths in the analysis itself (root cause, recommendation): taken only when they exist. */
  analysisPaths: string[];
  /** Where the bug is (`**Function:**` under the buggy code), when the document says. */
  primaryLocation: CodeLocation | undefined;
  /** Every other place the document calls vulnerable (an impact map's affected rows too). */
  vulnerable: CodeLocation[];
  /** How the document says to verify the fix (verification, acceptance, success criteria). */
  verification: string[];
  /** Tests it says to add (testing strategy, test coverage gaps). */
  testsToAdd: string[];
  /** Documentation it says to update. */
  docsToUpdate: string[];
  /** undefined when the document has no edge-cases section at all. */
  edgeCases: string[] | undefined;
  /** Tradeoffs and risks the recommendation accepts (its cons, a Tradeoffs or Risks section). */
  tradeoffs: string[];
  /** Entries of the files-to-modify list that are not plain paths inside the repository. */
  rejectedPaths: string[];
}

export interface Recommendation {
  /** The approach's name (`Approach 1: Locking`, from the section's bold first line or the recommended option). */
  title: string | undefined;
  /** The recommendation section's text after the name (empty when only an option is marked recommended). */
  text: string;
  /** The concrete steps it lists (justifications, pros and cons left out). */
  steps: string[];
  /** The option it recommends, when the document weighs several. */
  option: ApproachOption | undefined;
  /** Titles of the options it does not recommend. */
  rejected: string[];
}

export interface ApproachOption {
  title: string;
  /** `1`, `a`, `primary`: how the document refers to it. */
  ref: string | undefined;
  /** Marked as the recommended one (`(Recommended)`, `Primary Fix`, ✅). */
  recommended: boolean;
  /** Marked as not recommended (`(Not Recommended)`, rejected, ❌). */
  rejected: boolean;
  /** Its description without the pros and cons. */
  text: string;
  pros: string[];
  cons: string[];
  /** Steps it lists (what it would change). */
  steps: string[];
}

export interface FileToModify {
  path: string;
  note: string | undefined;
}

export interface CodeLocation {
  /** As the document names it: `Store.update(key, updates)`, `src/storage/batch.rs:89`. */
  name: string;
  path: string | undefined;
  /** `35-39`, when the document gives lines. */
  lines: string | undefined;
  /** What the document says about it (an impact map's pattern column). */
  note: string | undefined;
}

const SUMMARY = /^(executive summary|summary|tl;?dr|overview)\b/i;
const ROOT_CAUSE = /\b(root cause|buggy code|why it happens|cause of the bug)\b/i;
/** A section that recommends (it is not one when it holds several options: then it lists them). */
const RECOMMENDATION =
  /^(recommended (approach|fix|solution|option|change|strategy)|recommendations?|proposed (fix|solution|approach|change)|(the )?fix approach|(the )?fix strategy|(the )?fix|solution|decision)s?\b/i;
const STRONG_RECOMMENDATION = /^(recommended|recommendations?)\b/i;
const OPTION =
  /^((option|approach|alternative|solution|strategy|fix)\s*#?(\d+|[a-z](?![a-z]))?\s*([:.)\-—–]|$)|(primary|alternative|recommended|proposed|preferred|secondary)\s+(fix|approach|solution|option)\s*([:.\-—–]|$))/i;
const FILES_TO_MODIFY =
  /^(files? to (be )?(modify|modified|change|changed|update|touch|edit)|files? (that )?(need|needing|requiring|requires?) (modification|changes?|changing)|affected files|files changed|changes required|code changes|target files( for (the )?(implementation|fix))?|files requiring changes)\b/i;
const EDGE_CASES = /^(edge|corner)[ -]cases?\b/i;
const VERIFICATION =
  /^(verification|verify(ing)?( the fix)?|acceptance( criteria)?|success criteria|validation|how to verify|definition of done|done when)\b/i;
const TESTS =
  /^(test(ing)? (strategy|plan)|test coverage( gaps)?|tests? to add|tests? needed|required tests|testing)\b/i;
const DOCS = /^(documentation|docs?)( (updates?|changes?))?( needed| required)?\b/i;
const TRADEOFFS =
  /^(trade-?offs?|risks?( analysis)?|known limitations|limitations|downsides|drawbacks|performance (impact|implications))\b/i;
const VULNERABLE =
  /\b(vulnerable|impact map|similar patterns?|same (bug|pattern|race)|also affected|affected (locations?|instances|call ?sites|places|functions|methods|code paths)|additional (locations?|instances|call ?sites|places)|other (locations?|instances|call ?sites|places))\b/i;
const SAFE = /\b(safe|not vulnerable|unaffected|not affected)\b/i;
const NOT_A_STEP =
  /\b(justification|rationale|why|because|reasons?|pros|cons|trade-?offs?|benefits|drawbacks|risks?|advantages|disadvantages)\b/i;
const PROS_CONS =
  /^(?:[-*+]\s+)?(\*\*|__)?(pros?|cons?|advantages|disadvantages|benefits|drawbacks|upsides?|downsides?|trade-?offs?(?: vs[^:*]*)?|potential risks|risks)\b(\*\*|__)?\s*:?\s*(\*\*|__)?\s*(.*)$/i;
const CONS_WORD =
  /^(cons?|disadvantages|drawbacks|downsides?|trade-?offs?|potential risks|risks)\b/i;

/** A heading's words: numbering (`3.`, `Phase 3:`), emphasis and a trailing colon left out. */
function headingKey(title: string): string {
  return plainText(title)
    .replace(/^(phase|stage|step|part)\s+\d+\s*[:.-]\s*/i, "")
    .replace(/^\d+(\.\d+)*[.)]?\s+/, "")
    .replace(/^[^\p{L}\p{N}`]+/u, "")
    .replace(/:\s*$/, "")
    .trim();
}

function keyed(all: Section[], pattern: RegExp): Section | undefined {
  return findSection(
    all.map((s) => ({ ...s, title: headingKey(s.title) })),
    pattern,
  );
}

export function parseRcaDocument(path: string, rawText: string): RcaDocument {
  const text = toLf(rawText);
  const all = sections(text);
  const lines = classifyLines(text);
  const options = readOptions(all, lines);
  const recommendation = readRecommendation(all, options, lines);
  const files = keyed(all, FILES_TO_MODIFY);
  const edge = keyed(all, EDGE_CASES);
  const { filesToModify, rejectedPaths } = files
    ? readFilesToModify(files)
    : { filesToModify: undefined, rejectedPaths: [] };
  const locations = readLocations(all, lines);
  const summary = textOf(keyed(all, SUMMARY));
  const rootCause = textOf(keyed(all, ROOT_CAUSE));
  const analysis = [summary, rootCause, recommendation?.text, recommendation?.option?.text];
  return {
    path,
    summary,
    rootCause,
    recommendation,
    options,
    filesToModify,
    fileMentions: locations.files,
    analysisPaths: unique(analysis.flatMap((t) => (t ? backtickedPaths(t) : []))),
    primaryLocation: locations.primary,
    vulnerable: locations.vulnerable,
    verification: itemsOf(all, VERIFICATION),
    testsToAdd: itemsOf(all, TESTS),
    docsToUpdate: itemsOf(all, DOCS),
    edgeCases: edge ? readEdgeCases(edge) : undefined,
    tradeoffs: readTradeoffs(all, recommendation),
    rejectedPaths,
  };
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function textOf(section: Section | undefined): string | undefined {
  const text = section ? sectionText(section) : "";
  return text === "" ? undefined : text;
}

/** An option's name without its marks: `Option 1: File-Based Locking (Recommended)` -> `Option 1: File-Based Locking`. */
function cleanTitle(title: string): string {
  return plainText(title)
    .replace(/[✅❌✔✗✘]\uFE0F?/gu, "")
    .replace(/\s*[([]\s*(not\s+)?(recommended|preferred|chosen|selected|rejected)\s*[)\]]/gi, "")
    .replace(/\s*([-—–:]\s*)?\b(not\s+)?(recommended|preferred|chosen|rejected)\s*$/i, "")
    .replace(/:\s*$/, "")
    .replace(/\s+/g, " ")
    .trim();
}

function optionRef(title: string): string | undefined {
  const key = headingKey(title);
  const numbered =
    /^(?:option|approach|alternative|solution|strategy|fix)\s*#?(\d+|[a-z])(?![a-z])/i.exec(key);
  if (numbered) return numbered[1]!.toLowerCase();
  const kind = /^(primary|secondary|alternative|recommended|proposed|preferred)\b/i.exec(key);
  return kind ? kind[1]!.toLowerCase() : undefined;
}

function marks(title: string, body: string): { recommended: boolean; rejected: boolean } {
  const head = `${title}\n${body.split("\n").slice(0, 2).join("\n")}`;
  const rejected = /\bnot\s+recommended\b|\brejected\b|\bdiscarded\b|\bruled out\b|❌/i.test(title);
  const recommended =
    !rejected &&
    (/\b(recommended|preferred|chosen|selected)\b|✅/i.test(title) ||
      /^(primary|recommended|preferred)\b/i.test(headingKey(title)) ||
      /^\s*(\*\*|__)?(status|decision)?\s*:?\s*(recommended|chosen|selected)\b/im.test(
        head.split("\n").slice(1).join("\n"),
      ));
  return { recommended, rejected };
}

/**
 * The options a document weighs: headings (`### Option 1: Locking
 * (Recommended)`) and, where there are none, whole bold lines (`**Approach
 * 2: CAS**`), each up to the next heading or option.
 */
function readOptions(all: Section[], lines: Line[]): ApproachOption[] {
  const found: ApproachOption[] = [];
  for (const section of all) {
    const key = headingKey(section.title);
    if (section.level < 2 || !OPTION.test(key) || isRecommendationHeading(key)) continue;
    found.push(option(section.title, section.lines));
  }
  if (found.length > 0) return found;
  // Bold lines: `**Option A: retry** ...`, outside recommendation sections.
  const inRecommendation = new Set<number>();
  for (const section of all) {
    if (isRecommendationHeading(headingKey(section.title)))
      for (const line of section.lines) inRecommendation.add(line.index);
  }
  let current: { title: string; lines: Line[] } | undefined;
  const flush = () => {
    if (current) found.push(option(current.title, current.lines));
    current = undefined;
  };
  for (const line of lines) {
    if (line.inFence) {
      current?.lines.push(line);
      continue;
    }
    if (/^\s*#{1,6}\s/.test(line.text)) {
      flush();
      continue;
    }
    const bold = /^\s*(\*\*|__)(.+?)\1\s*:?\s*$/.exec(line.text);
    if (bold && !inRecommendation.has(line.index) && OPTION.test(headingKey(bold[2]!))) {
      flush();
      current = { title: bold[2]!, lines: [] };
      continue;
    }
    current?.lines.push(line);
  }
  flush();
  return found;
}

function isRecommendationHeading(key: string): boolean {
  return (
    RECOMMENDATION.test(key) &&
    !/^(option|approach|alternative)\s*#?\w/i.test(key) &&
    // "Solution Options", "Fix Alternatives": a list of options, not a recommendation.
    !/\b(options|alternatives|approaches|candidates|considered)\b/i.test(key)
  );
}

function option(title: string, lines: Line[]): ApproachOption {
  const { kept, pros, cons } = withoutProsAndCons(lines);
  const text = kept
    .map((l) => l.text)
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  return {
    title: cleanTitle(title),
    ref: optionRef(title),
    ...marks(title, text),
    text,
    pros,
    cons,
    steps: steps(kept),
  };
}

/**
 * Lines without the pros and cons: `**Pros:**` / `Cons:` leads and their
 * items, `+` items (and the `-` items after them, as chant's guide writes
 * `+ pro` / `- con`).
 */
function withoutProsAndCons(lines: Line[]): { kept: Line[]; pros: string[]; cons: string[] } {
  const kept: Line[] = [];
  const pros: string[] = [];
  const cons: string[] = [];
  let zone: "pros" | "cons" | undefined;
  let sawPlus = false;
  const add = (into: "pros" | "cons", text: string) => {
    const item = plainText(text.replace(/^[-*+]\s+/, ""));
    if (item) (into === "pros" ? pros : cons).push(item);
  };
  for (const line of lines) {
    if (line.inFence) {
      zone = undefined;
      kept.push(line);
      continue;
    }
    const trimmed = line.text.trim();
    const lead = PROS_CONS.exec(trimmed);
    if (lead && (lead[1] || lead[3] || /:/.test(trimmed))) {
      zone = CONS_WORD.test(lead[2]!) ? "cons" : "pros";
      const rest = lead[5]!.replace(/^(\*\*|__)\s*/, "").trim();
      if (rest) add(zone, rest);
      continue;
    }
    if (zone) {
      if (trimmed === "") continue;
      if (/^\s*([-*+]|\d+[.)])\s+/.test(line.text) || /^\s{2,}\S/.test(line.text)) {
        add(zone, trimmed);
        continue;
      }
      zone = undefined;
    }
    // `- ✅ fast` / `- ❌ racy`: pros and cons written as marked items.
    const marked = /^\s*(?:[-*+]|\d+[.)])\s+(✅|✔️?|👍|➕|❌|✗|✘|👎|➖|⚠️?)\s*(.*)$/u.exec(
      line.text,
    );
    if (marked) {
      add(/^(✅|✔|👍|➕)/u.test(marked[1]!) ? "pros" : "cons", marked[2]!);
      continue;
    }
    const plus = /^\s*\+\s+(.*)$/.exec(line.text);
    if (plus) {
      sawPlus = true;
      add("pros", plus[1]!);
      continue;
    }
    if (sawPlus && /^\s*-\s+/.test(line.text)) {
      add("cons", trimmed);
      continue;
    }
    kept.push(line);
  }
  return { kept, pros, cons };
}

/** List items that are steps: not under a justification, pros/cons or risks lead. */
function steps(lines: Line[]): string[] {
  return listItems(lines)
    .filter((item) => !NOT_A_STEP.test(item.lead) && !PROS_CONS.test(item.text))
    .map((item) => plainText(item.text))
    .filter((step) => step.length > 0);
}

function readRecommendation(
  all: Section[],
  options: ApproachOption[],
  lines: Line[],
): Recommendation | undefined {
  const candidates = all
    .filter((s) => s.level > 1 && isRecommendationHeading(headingKey(s.title)))
    // A section that holds several options lists them; it recommends none by itself.
    .filter((s) => {
      const inner = s.lines.filter((l) => {
        const heading =
          /^\s*#{2,6}\s+(.*)$/.exec(l.text) ??
          /^\s*(?:\*\*|__)(.+?)(?:\*\*|__)\s*:?\s*$/.exec(l.text);
        return !l.inFence && heading !== null && OPTION.test(headingKey(heading[1]!));
      });
      return inner.length < 2;
    })
    .sort(
      (a, b) =>
        Number(!STRONG_RECOMMENDATION.test(headingKey(a.title))) -
          Number(!STRONG_RECOMMENDATION.test(headingKey(b.title))) ||
        a.level - b.level ||
        a.headingIndex - b.headingIndex,
    );
  const section = candidates.find((s) => sectionText(s) !== "") ?? candidates[0];
  const text = section ? sectionText(section) : "";

  // The recommended option: marked so, else named by the recommendation, else the only one.
  // A line that says which: `**Recommended: Option B** - copy the spec`, `We go with Approach 2`.
  const markerLine = lines.find(
    (l) =>
      !l.inFence &&
      !/^\s*#/.test(l.text) &&
      /\b(recommended|recommendation|we recommend|go with|chosen|decision)\b[^\n]*?\b(option|approach|alternative)\s*#?(\d+|[a-z])(?![a-z])/i.test(
        l.text,
      ),
  );
  const referenced = (() => {
    const where = `${section ? headingKey(section.title) : ""}\n${text.split("\n\n")[0] ?? ""}\n${markerLine?.text ?? ""}`;
    for (const match of where.matchAll(
      /\b(option|approach|alternative|solution)\s*#?(\d+|[a-z])(?![a-z])/gi,
    )) {
      const ref = match[2]!.toLowerCase();
      const hit = options.find((o) => o.ref === ref && !o.rejected);
      if (hit) return hit;
    }
    return undefined;
  })();
  const marked = options.find((o) => o.recommended);
  const chosen =
    referenced ??
    marked ??
    (options.length === 1 && !options[0]!.rejected ? options[0] : undefined);
  if (!section && !chosen) return summaryLineRecommendation(lines, options);
  if (!section && markerLine && chosen === referenced) {
    // The marker line is the recommendation's text: `**Recommended: Option B** - Copy the spec ...`.
    const marker = markerLine.text.trim();
    return {
      title: chosen!.title,
      text: marker,
      steps: chosen!.steps,
      // The marker line may end the option's block: said once.
      option: { ...chosen!, text: chosen!.text.replace(marker, "").trim() },
      rejected: options.filter((o) => o !== chosen).map((o) => o.title),
    };
  }

  let title: string | undefined;
  let body = text;
  const first = text.split("\n")[0]?.trim() ?? "";
  if (/^(\*\*|__)[^*_].*\1:?$/.test(first) || /^#{3,6}\s/.test(first)) {
    title = cleanTitle(first.replace(/^#+\s*/, ""));
    body = text.split("\n").slice(1).join("\n").trim();
  }
  title ??= chosen?.title;
  const sectionSteps = section ? steps(withoutProsAndCons(section.lines).kept) : [];
  return {
    title,
    text: body,
    steps: unique([...sectionSteps, ...(chosen?.steps ?? [])]),
    option: chosen,
    rejected: options.filter((o) => o !== chosen).map((o) => o.title),
  };
}

/** `Fix Strategy: make it idempotent` (a one-line summary, as single-spec investigations end). */
function summaryLineRecommendation(
  lines: Line[],
  options: ApproachOption[],
): Recommendation | undefined {
  for (const line of lines) {
    if (line.inFence) continue;
    const match =
      /^\s*(?:[-*+]\s+)?(?:\*\*|__)?(?:fix strategy|recommended fix|recommended approach|recommendation|proposed fix|fix)(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.+)$/i.exec(
        line.text,
      );
    if (!match) continue;
    const text = match[1]!.trim();
    return {
      title: plainText(text),
      text,
      steps: [],
      option: undefined,
      rejected: options.map((o) => o.title),
    };
  }
  return undefined;
}

const PATH_TOKEN = /^[\p{L}\p{N}._@+/=~-]+$/u;

/** Pull the path out of a list item or table row: the first backticked path, else the first path-like word. */
export function extractPath(item: string): { path: string; rest: string } | undefined {
  const candidates: { raw: string; at: number; length: number }[] = [];
  for (const match of item.matchAll(/`([^`]+)`/g)) {
    candidates.push({ raw: match[1]!, at: match.index, length: match[0].length });
  }
  if (candidates.length === 0) {
    for (const match of item.matchAll(/[^\s|*,;()[\]]+/g)) {
      candidates.push({ raw: match[0], at: match.index, length: match[0].length });
    }
  }
  for (const candidate of candidates) {
    const path = pathOf(candidate.raw);
    if (path === undefined) continue;
    const rest = (item.slice(0, candidate.at) + item.slice(candidate.at + candidate.length))
      .replace(/^[\s*_|:–—-]+|[\s*_|]+$/g, "")
      .replace(/\s*[|]\s*/g, "; ");
    return { path, rest };
  }
  return undefined;
}

/** A token as a repository path (`src/a.ts:12-20` -> `src/a.ts`), or undefined when it does not look like one. */
function pathOf(raw: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return undefined;
  const path = normalizeRepoPath(raw.replace(/[:#]L?\d+(-L?\d+)?$/, "").replace(/[.:,]$/, ""));
  if (!PATH_TOKEN.test(path)) return undefined;
  if (!(path.includes("/") || /\.[A-Za-z][A-Za-z0-9]{0,7}$/.test(path))) return undefined;
  return path;
}

/** Lines a token gives: `src/a.ts:12-20` -> `12-20`. */
function linesOf(raw: string): string | undefined {
  return /:L?(\d+(?:-L?\d+)?)$/.exec(raw)?.[1]?.replace(/L/g, "");
}

/** Backticked tokens that look like repository paths. */
function backtickedPaths(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/`([^`\n]+)`/g)) {
    const path = pathOf(match[1]!);
    if (path !== undefined && !/[()]/.test(match[1]!)) found.push(path);
  }
  return found;
}

function readFilesToModify(section: Section) {
  const rows = listItems(section.lines).map((item) => item.text);
  for (const line of section.lines) {
    if (line.inFence) continue;
    // Tables: | `path` | what changes |
    if (/^\s*\|/.test(line.text)) {
      if (/^\s*\|[\s|:-]+\|\s*$/.test(line.text)) continue;
      rows.push(line.text.trim());
    } else if (!/^\s*([-*+]|\d+[.)])\s/.test(line.text) && /`[^`]+`/.test(line.text)) {
      // A sentence that names the file: **Single file needs modification:** `src/store.py`
      rows.push(line.text.trim());
    }
  }
  const filesToModify: FileToModify[] = [];
  const rejectedPaths: string[] = [];
  for (const row of rows) {
    if (/^\|?\s*(\*\*)?(file|path|location)s?(\*\*)?\s*\|/i.test(row)) continue; // a table's header
    const found = extractPath(row);
    if (!found) continue;
    if (!isSafeRepoPath(found.path)) {
      rejectedPaths.push(found.path);
      continue;
    }
    if (filesToModify.some((f) => f.path === found.path)) continue;
    const note = plainText(
      found.rest
        .replace(/^\(?lines?\s[\d\s,-]+\)?\s*[:–—-]?\s*/i, "")
        .replace(/^\d+(-\d+)?\s*[;:,–—-]\s*/, ""),
    );
    filesToModify.push({ path: found.path, note: note === "" ? undefined : note });
  }
  return { filesToModify, rejectedPaths };
}

/** The heading titles (keys) above each line, outermost first. */
function headingPaths(all: Section[]): Map<number, string[]> {
  const paths = new Map<number, string[]>();
  // The document's own title (`# Impact Map: Issue #42`) says nothing about one part of it.
  for (const section of all.filter((s) => s.level > 1)) {
    const key = headingKey(section.title);
    for (const line of section.lines) {
      const path = paths.get(line.index) ?? [];
      path.push(key);
      paths.set(line.index, path);
    }
  }
  return paths;
}

/** Whether lines under these headings are about vulnerable places (and not the safe ones). */
function vulnerableContext(path: string[]): boolean {
  const at = path.findLastIndex((key) => VULNERABLE.test(key) && !SAFE.test(key));
  return at >= 0 && !path.slice(at + 1).some((key) => SAFE.test(key));
}

function safeContext(path: string[]): boolean {
  return path.some((key) => SAFE.test(key) && !VULNERABLE.test(key.replace(SAFE, "")));
}

/** `Store.update(key, updates)` from a line or title; the first code span, else the line itself. */
function locationName(text: string): string {
  const code = /`([^`]+)`/.exec(text);
  return plainText(code ? code[1]! : text)
    .replace(/\s*\(lines?\s[^)]*\)\s*$/i, "")
    .trim();
}

/** Two names of one place (`Store.set(key, value)` and `set()` in the same file) have one key. */
export function locationKey(location: CodeLocation): string {
  const fn = /([A-Za-z_$][\w$]*)\s*\(/.exec(location.name)?.[1];
  return fn
    ? `${location.path ?? ""}#${fn}`
    : `${location.path ?? ""}:${location.lines ?? location.name}`;
}

/**
 * Where the bug is and where else it is: `**File:**` / `**Function:**` /
 * `**Location**:` lines, and under headings about vulnerable places (not
 * the safe ones) their sub-headings, list items and table rows that name
 * code (an impact map's rows marked affected).
 */
function readLocations(
  all: Section[],
  lines: Line[],
): { primary: CodeLocation | undefined; vulnerable: CodeLocation[]; files: FileToModify[] } {
  const heads = headingPaths(all);
  const found = new Locations();
  let lastHeading = "";
  let listLead = "";
  let tableHeader: string[] | undefined;
  for (const line of lines) {
    if (line.inFence) continue;
    const path = heads.get(line.index) ?? [];
    const heading = path.at(-1) ?? "";
    if (heading !== lastHeading) {
      lastHeading = heading;
      tableHeader = undefined;
    }
    const text = line.text.trim();
    const sub = /^#{2,6}\s+(.*)$/.exec(text);
    if (sub) {
      found.subHeading(sub[1]!, path);
      listLead = "";
      continue;
    }
    if (text === "") continue;
    if (found.targetFiles(text) || found.field(text, path)) continue;
    found.notePaths(text);
    if (/^\|/.test(text)) {
      if (/^[\s|:-]+$/.test(text)) continue;
      const cells = text
        .replace(/^\||\|$/g, "")
        .split("|")
        .map((c) => c.trim());
      if (!tableHeader) tableHeader = cells.map((c) => plainText(c).toLowerCase());
      else found.tableRow(cells, path);
      continue;
    }
    const item = /^(?:[-*+]|\d+[.)])\s+(.*)$/.exec(text);
    if (!item) {
      listLead = text;
      found.sentence(text, path);
    } else if (vulnerableContext(path) || (VULNERABLE.test(listLead) && !SAFE.test(listLead))) {
      found.listItem(item[1]!, path);
    }
  }
  return { primary: found.primary, vulnerable: found.vulnerable, files: found.files };
}

/** What readLocations has found so far, and how each kind of line adds to it. */
class Locations {
  readonly files: FileToModify[] = [];
  readonly vulnerable: CodeLocation[] = [];
  primary: CodeLocation | undefined;
  /** The file the text spoke of last: a location without its own file is in it. */
  private lastPath: string | undefined;

  addFile(path: string | undefined, note?: string): void {
    if (path !== undefined && !this.files.some((f) => f.path === path))
      this.files.push({ path, note: note || undefined });
  }

  addVulnerable(location: CodeLocation): void {
    if (location.name === "" || this.vulnerable.length >= 30) return;
    const key = locationKey(location);
    if (this.primary && locationKey(this.primary) === key) return;
    if (this.vulnerable.some((v) => locationKey(v) === key)) return;
    this.vulnerable.push(location);
    this.addFile(location.path);
  }

  /** `#### \`Store.set(key, value)\` - src/storage/store.py:31-42` under "Vulnerable Methods". */
  subHeading(title: string, path: string[]): void {
    const own = headingKey(title);
    if (!vulnerableContext(path) || SAFE.test(own) || !/`[^`]*\(|\w\(/.test(title)) return;
    const token = /([\w./-]+\.\w+(?::\d+(?:-\d+)?)?)\s*$/.exec(plainText(title))?.[1];
    this.addVulnerable({
      name: locationName(title),
      path: token ? pathOf(token) : this.lastPath,
      lines: token ? linesOf(token) : undefined,
      note: undefined,
    });
  }

  /** `Target Files: src/a.rs, src/b.rs` (the summary of a single-spec investigation). */
  targetFiles(text: string): boolean {
    const targets =
      /^(?:[-*+]\s+)?(?:\*\*|__)?(?:target|affected) files?(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.+)$/i.exec(
        text,
      );
    if (!targets) return false;
    for (const part of targets[1]!.split(/[,;]\s*|\s+and\s+/)) {
      const token = /`([^`]+)`/.exec(part)?.[1] ?? part.trim().split(/\s+/)[0] ?? "";
      this.addFile(pathOf(token));
    }
    return true;
  }

  /** `**File:**`, `**Function:**`, `**Method:**`, `**Location**:`, `**Lines:**` lines. */
  field(text: string, path: string[]): boolean {
    const field =
      /^(?:[-*+]\s+)?(\*\*|__)?(file|function|method|location|lines?)\s*(?::\s*(?:\*\*|__)|(?:\*\*|__)\s*:|:)\s*(.+)$/i.exec(
        text,
      );
    if (!field) return false;
    const kind = field[2]!.toLowerCase();
    const value = field[3]!.trim();
    const token = /`([^`]+)`/.exec(value)?.[1] ?? value.split(/\s+/)[0]!;
    if (kind === "file") {
      this.lastPath = pathOf(token) ?? this.lastPath;
      if (!safeContext(path)) this.addFile(pathOf(token));
      return true;
    }
    if (kind.startsWith("line")) {
      const target = vulnerableContext(path) ? this.vulnerable.at(-1) : this.primary;
      if (target && !target.lines) target.lines = plainText(value).replace(/^lines?\s*/i, "");
      return true;
    }
    if (safeContext(path)) return true;
    const location: CodeLocation = {
      name: locationName(value),
      path: kind === "location" ? (pathOf(token) ?? this.lastPath) : this.lastPath,
      lines:
        (kind === "location" ? linesOf(token) : undefined) ??
        /\(lines?\s+([\d\s,-]+)\)/i.exec(value)?.[1]?.trim(),
      note: undefined,
    };
    if (kind === "location") this.addFile(location.path);
    if (vulnerableContext(path)) this.addVulnerable(location);
    else if (!this.primary) {
      this.primary = location;
      this.addFile(location.path);
    } else this.addVulnerable(location);
    return true;
  }

  /** A backticked path with a folder becomes the file the text speaks of. */
  notePaths(text: string): void {
    for (const token of text.matchAll(/`([^`]+)`/g)) {
      const found = pathOf(token[1]!);
      if (found && found.includes("/")) this.lastPath = found;
    }
  }

  /** An impact map's `| Location | Pattern | Affected? |` row (after its header). */
  tableRow(cells: string[], path: string[]): void {
    if (!vulnerableContext(path) || safeContext(path)) return;
    const verdict = cells.find((c) =>
      /^(yes|no|affected|safe|vulnerable|not affected)\b/i.test(plainText(c)),
    );
    if (verdict && /^(no|safe|not affected)\b/i.test(plainText(verdict))) return;
    const first = cells[0] ?? "";
    const token = /`([^`]+)`/.exec(first)?.[1] ?? plainText(first);
    const file = pathOf(token);
    if (!file && !/\(/.test(first)) return;
    this.addVulnerable({
      name: plainText(first).replace(/^`|`$/g, ""),
      path: file,
      lines: linesOf(token),
      note: cells.slice(1).find((c) => c !== verdict && plainText(c) !== "") ?? undefined,
    });
  }

  /** A sentence under such a heading: `create_note()` in `billing/credit.py` has the same pattern. */
  sentence(text: string, path: string[]): void {
    if (!vulnerableContext(path) || safeContext(path)) return;
    const code = [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const fileToken = code.find((c) => pathOf(c)?.includes("/"));
    const fnToken = code.find((c) => /\w\s*\(/.test(c));
    if (fileToken && fnToken)
      this.addVulnerable({
        name: plainText(fnToken),
        path: pathOf(fileToken),
        lines: linesOf(fileToken),
        note: undefined,
      });
  }

  /** A function with its file (`update()` at `src/store.py:44`), or a file with its line. */
  listItem(body: string, path: string[]): void {
    if (safeContext(path)) return;
    const code = [...body.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const fileToken = code.find((c) => pathOf(c)?.includes("/"));
    const fnToken = code.find((c) => /\w\s*\(/.test(c));
    if (!fileToken || (!fnToken && linesOf(fileToken) === undefined)) return;
    this.addVulnerable({
      name: plainText(fnToken ?? fileToken),
      path: pathOf(fileToken),
      lines: linesOf(fileToken),
      note: undefined,
    });
  }
}

/** List items of the first section that matches (bounded), as plain one-line text. */
function itemsOf(all: Section[], pattern: RegExp): string[] {
  const section = keyed(all, pattern);
  if (!section) return [];
  return listItems(section.lines)
    .filter((item) => !PROS_CONS.test(item.text) && !/^(pros|cons)\b/i.test(item.lead))
    .map((item: ListItem) =>
      plainText(item.text.replace(/^\[[ xX]\]\s*/, "").replace(/^[✅❌✔✗✘]\s*/u, "")),
    )
    .filter((text) => text.length > 0)
    .slice(0, 20);
}

function readTradeoffs(all: Section[], recommendation: Recommendation | undefined): string[] {
  const found: string[] = [...(recommendation?.option?.cons ?? [])];
  const section = keyed(all, TRADEOFFS);
  if (section) {
    const subs = sections(section.lines.map((l) => l.text).join("\n")).filter((s) => s.level > 2);
    if (subs.length > 0) {
      for (const sub of subs) {
        for (const item of listItems(sub.lines))
          found.push(`${plainText(sub.title)}: ${plainText(item.text)}`);
      }
    } else {
      for (const item of listItems(section.lines)) found.push(plainText(item.text));
    }
  }
  return unique(found.filter((t) => t.length > 0)).slice(0, 12);
}

function readEdgeCases(section: Section): string[] {
  const items = listItems(section.lines);
  if (items.length > 0) {
    return items.map((item) => {
      const advice = item.children.find((c) =>
        /^(\*\*)?(recommendation|mitigation|handling|fix)\b/i.test(c),
      );
      const text = plainText(item.text);
      return advice ? `${text} (${plainText(advice)})` : text;
    });
  }
  // Edge cases written as sub-headings: ### Lock timeout
  return sections(section.lines.map((l) => l.text).join("\n"))
    .filter((s) => s.level > 2)
    .map((s) => plainText(s.title));
}
