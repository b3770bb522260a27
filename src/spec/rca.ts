import { isSafeRepoPath, normalizeRepoPath } from "../util/repo-path.js";
import {
  findSection,
  listItems,
  plainText,
  sections,
  sectionText,
  type Section,
} from "./markdown.js";

/** What the drafting step takes from a root-cause-analysis document. */
export interface RcaDocument {
  path: string;
  summary: string | undefined;
  rootCause: string | undefined;
  recommendation: Recommendation | undefined;
  /** undefined when the document has no files-to-modify section at all. */
  filesToModify: FileToModify[] | undefined;
  /** undefined when the document has no edge-cases section at all. */
  edgeCases: string[] | undefined;
  /** Entries of the files-to-modify list that are not plain paths inside the repository. */
  rejectedPaths: string[];
}

export interface Recommendation {
  /** The approach's name when the section starts with one (`**Approach 1: Locking**`). */
  title: string | undefined;
  /** The section's text after the name. */
  text: string;
  /** The concrete steps it lists (justifications, pros and cons left out). */
  steps: string[];
}

export interface FileToModify {
  path: string;
  note: string | undefined;
}

const SUMMARY = /^(executive summary|summary|tl;?dr|overview)\b/i;
const ROOT_CAUSE = /\b(root cause|buggy code|why it happens|cause of the bug)\b/i;
const RECOMMENDATION =
  /^(recommendation|recommended (approach|fix|solution|change)|proposed (fix|solution|approach|change)|(the )?fix approach|(the )?fix|solution)s?\b/i;
const FILES_TO_MODIFY =
  /^(files? to (modify|change|update|touch|edit)|files? (that )?(need|needing|requiring|requires?) (modification|changes?|changing)|affected files|files changed|changes required|code changes)\b/i;
const EDGE_CASES = /^(edge|corner)[ -]cases?\b/i;
const NOT_A_STEP =
  /\b(justification|rationale|why|reasons?|pros|cons|trade-?offs?|benefits|drawbacks|risks?)\b/i;

export function parseRcaDocument(path: string, text: string): RcaDocument {
  const all = sections(text);
  const files = findSection(all, FILES_TO_MODIFY);
  const edge = findSection(all, EDGE_CASES);
  const { filesToModify, rejectedPaths } = files
    ? readFilesToModify(files)
    : { filesToModify: undefined, rejectedPaths: [] };
  return {
    path,
    summary: textOf(findSection(all, SUMMARY)),
    rootCause: textOf(findSection(all, ROOT_CAUSE)),
    recommendation: readRecommendation(findSection(all, RECOMMENDATION)),
    filesToModify,
    edgeCases: edge ? readEdgeCases(edge) : undefined,
    rejectedPaths,
  };
}

function textOf(section: Section | undefined): string | undefined {
  const text = section ? sectionText(section) : "";
  return text === "" ? undefined : text;
}

function readRecommendation(section: Section | undefined): Recommendation | undefined {
  const text = textOf(section);
  if (!section || text === undefined) return undefined;
  const first = text.split("\n")[0]!.trim();
  const title =
    /^(\*\*|__).+\1:?$/.test(first) || /^#{3,6}\s/.test(first)
      ? plainText(first.replace(/^#+\s*/, ""))
      : undefined;
  const steps = listItems(section.lines)
    .filter((item) => !NOT_A_STEP.test(item.lead))
    .map((item) => plainText(item.text))
    .filter((step) => step.length > 0);
  // The approach's name is said separately; the text is what follows it.
  const rest = title === undefined ? text : text.split("\n").slice(1).join("\n").trim();
  return { title: title?.replace(/:$/, ""), text: rest, steps };
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
    const path = normalizeRepoPath(
      candidate.raw.replace(/[:#]L?\d+(-L?\d+)?$/, "").replace(/[.:,]$/, ""),
    );
    if (!PATH_TOKEN.test(path) || !(path.includes("/") || /\.[A-Za-z0-9]{1,8}$/.test(path)))
      continue;
    if (/^https?:/.test(candidate.raw)) continue;
    const rest = (item.slice(0, candidate.at) + item.slice(candidate.at + candidate.length))
      .replace(/^[\s*_|:–—-]+|[\s*_|]+$/g, "")
      .replace(/\s*[|]\s*/g, "; ");
    return { path, rest };
  }
  return undefined;
}

function readFilesToModify(section: Section) {
  const rows = listItems(section.lines).map((item) => item.text);
  // Tables: | `path` | what changes |
  for (const line of section.lines) {
    if (line.inFence || !/^\s*\|/.test(line.text) || /^\s*\|[\s|:-]+\|\s*$/.test(line.text))
      continue;
    rows.push(line.text.trim());
  }
  const filesToModify: FileToModify[] = [];
  const rejectedPaths: string[] = [];
  for (const row of rows) {
    const found = extractPath(row);
    if (!found) continue;
    if (!isSafeRepoPath(found.path)) {
      rejectedPaths.push(found.path);
      continue;
    }
    if (filesToModify.some((f) => f.path === found.path)) continue;
    const note = plainText(found.rest.replace(/^\(?lines?\s[\d\s,-]+\)?\s*[:–—-]?\s*/i, ""));
    filesToModify.push({ path: found.path, note: note === "" ? undefined : note });
  }
  return { filesToModify, rejectedPaths };
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
