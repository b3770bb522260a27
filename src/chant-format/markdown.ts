/**
 * The little markdown reading chant does, done the way chant does it: a line
 * whose trimmed start is ``` toggles a code fence; headings inside fences do
 * not count. Plain functions over strings.
 */

export interface Line {
  /** 0-based index in the text. */
  index: number;
  text: string;
  /** True for fence lines and the lines between them. */
  inFence: boolean;
}

export function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}

export function classifyLines(text: string): Line[] {
  let inFence = false;
  return splitLines(text).map((line, index) => {
    if (isFenceLine(line)) {
      inFence = !inFence;
      return { index, text: line, inFence: true };
    }
    return { index, text: line, inFence };
  });
}

export function isFenceLine(line: string): boolean {
  return line.trimStart().startsWith("```");
}

export interface Section {
  /** Number of `#`. */
  level: number;
  title: string;
  /** Index of the heading line. */
  headingIndex: number;
  /** Lines after the heading up to (not including) the next heading of the same or a higher level. */
  lines: Line[];
}

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;

/** Sections by heading, outside code fences; nested headings stay inside their parent. */
export function sections(text: string): Section[] {
  const lines = classifyLines(text);
  const found: Section[] = [];
  lines.forEach((line, i) => {
    if (line.inFence) return;
    const match = HEADING.exec(line.text.trimStart());
    if (!match) return;
    const level = match[1]!.length;
    let end = lines.length;
    for (let j = i + 1; j < lines.length; j++) {
      const next = lines[j]!;
      if (next.inFence) continue;
      const m = HEADING.exec(next.text.trimStart());
      if (m && m[1]!.length <= level) {
        end = j;
        break;
      }
    }
    found.push({ level, title: match[2] ?? "", headingIndex: i, lines: lines.slice(i + 1, end) });
  });
  return found;
}

export function sectionText(section: Section): string {
  return section.lines
    .map((l) => l.text)
    .join("\n")
    .trim();
}

/** The first section whose title matches, preferring higher-level (fewer #) headings. */
export function findSection(all: Section[], pattern: RegExp): Section | undefined {
  const matches = all.filter((s) => s.level > 1 && pattern.test(s.title));
  return matches.sort((a, b) => a.level - b.level || a.headingIndex - b.headingIndex)[0];
}

/** chant's title: the first line whose trimmed text starts with `# ` (fences are not skipped). */
export function firstHeading(body: string): string | null {
  for (const line of splitLines(body)) {
    const trimmed = line.trim();
    if (trimmed.startsWith("# ")) return trimmed.slice(2);
  }
  return null;
}

export interface ListItem {
  /** The item's text with its continuation lines joined by spaces. */
  text: string;
  /** Nested items' texts (one level). */
  children: string[];
  /** Index of the item's first line. */
  index: number;
  /** The paragraph line right before the list the item belongs to ("" when none). */
  lead: string;
}

const LIST_MARKER = /^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$/;

/** Top-level list items (bulleted or numbered) of a run of lines, outside code fences. */
export function listItems(lines: Line[]): ListItem[] {
  const items: ListItem[] = [];
  let current: ListItem | undefined;
  let baseIndent: number | undefined;
  let lead = "";
  for (const line of lines) {
    if (line.inFence) continue;
    const match = LIST_MARKER.exec(line.text);
    if (match) {
      const indent = match[1]!.replace(/\t/g, "    ").length;
      if (current === undefined || baseIndent === undefined || indent <= baseIndent) {
        baseIndent = indent;
        current = { text: match[2]!.trim(), children: [], index: line.index, lead };
        items.push(current);
      } else {
        current.children.push(match[2]!.trim());
      }
      continue;
    }
    const trimmed = line.text.trim();
    if (trimmed === "") continue;
    if (current && /^\s+/.test(line.text)) {
      // Continuation of the current item (indented text under it).
      if (current.children.length === 0) current.text += ` ${trimmed}`;
      continue;
    }
    // A paragraph line ends the list; it leads the next one.
    current = undefined;
    baseIndent = undefined;
    lead = trimmed;
  }
  return items;
}

/** Strip inline emphasis and links so a line reads as plain text. */
export function plainText(markdown: string): string {
  return markdown
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/(\*\*|__)(.+?)\1/g, "$2")
    .replace(/(^|\W)[*_](\S(?:.*?\S)?)[*_](?=\W|$)/g, "$1$2")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * Shift headings down so the shallowest is `minLevel` deep (keeping their
 * relative depth): quoted text cannot open a `## ` section of its own.
 */
export function demoteHeadings(markdown: string, minLevel = 4): string {
  const lines = classifyLines(markdown);
  const HEAD = /^(\s*)(#{1,6})(\s+.*)$/;
  const levels = lines.filter((l) => !l.inFence).map((l) => HEAD.exec(l.text)?.[2]?.length ?? 7);
  const shift = Math.max(0, minLevel - Math.min(7, ...levels));
  if (shift === 0) return markdown;
  return lines
    .map((line) => {
      const match = line.inFence ? null : HEAD.exec(line.text);
      return match
        ? `${match[1]}${"#".repeat(Math.min(6, match[2]!.length + shift))}${match[3]}`
        : line.text;
    })
    .join("\n");
}

/** Close a code fence left open, so quoted text cannot swallow what follows it. */
export function balanceFences(markdown: string): string {
  const lines = classifyLines(markdown);
  const last = lines[lines.length - 1];
  const open = lines.filter((l) => isFenceLine(l.text)).length % 2 === 1;
  return open && last ? `${markdown}\n\`\`\`` : markdown;
}

interface FenceState {
  /** A CommonMark code fence open (GitHub's reading): its character and length. */
  open: { char: "`" | "~"; length: number } | undefined;
  /** chant's reading: every line starting with ``` toggles. */
  chantOpen: boolean;
}

/** Both readings of a fence line: CommonMark's (GitHub renders) and chant's (it counts criteria). */
function stepFence(state: FenceState, line: string): FenceState {
  const trimmed = line.trimStart();
  const chantOpen = trimmed.startsWith("```") ? !state.chantOpen : state.chantOpen;
  let open = state.open;
  if (open === undefined) {
    const match = /^(`{3,}|~{3,})(.*)$/.exec(trimmed);
    // A backtick fence's info string may not hold a backtick (CommonMark).
    if (match && !(match[1]![0] === "`" && match[2]!.includes("`")))
      open = { char: match[1]![0] as "`" | "~", length: match[1]!.length };
  } else {
    const match = /^(`{3,}|~{3,})\s*$/.exec(trimmed);
    if (match && match[1]![0] === open.char && match[1]!.length >= open.length) open = undefined;
  }
  return { open, chantOpen };
}

/** Whether no code fence is left open, as GitHub reads it and as chant reads it. */
export function fencesBalanced(markdown: string): boolean {
  let state: FenceState = { open: undefined, chantOpen: false };
  for (const line of splitLines(markdown)) state = stepFence(state, line);
  return state.open === undefined && !state.chantOpen;
}

/**
 * Close what a quoted piece of markdown leaves open, for GitHub and for chant
 * alike, so the text after it is never read as code: an open ``` fence gets
 * its closing line; when the two readings disagree (a ```` fence holding ```
 * lines, a ~~~ fence) and one line cannot close both, the text is cut after
 * its last line where both were closed, and `marker` says so.
 */
export function closeFences(
  markdown: string,
  marker = "…(cut at a code block; see the source)",
): string {
  const lines = splitLines(markdown);
  let state: FenceState = { open: undefined, chantOpen: false };
  let lastClosed = -1;
  lines.forEach((line, i) => {
    state = stepFence(state, line);
    if (state.open === undefined && !state.chantOpen) lastClosed = i;
  });
  if (state.open === undefined && !state.chantOpen) return markdown;
  if (state.open?.char === "`" && state.chantOpen)
    return `${markdown.replace(/\s+$/, "")}\n${"`".repeat(state.open.length)}`;
  if (state.open?.char === "~" && !state.chantOpen)
    return `${markdown.replace(/\s+$/, "")}\n${"~".repeat(state.open.length)}`;
  const kept = lines
    .slice(0, lastClosed + 1)
    .join("\n")
    .trimEnd();
  return kept === "" ? marker : `${kept}\n\n${marker}`;
}

/**
 * At most `max` characters of markdown, cut at the end of a line and never
 * inside a code block (a block that would be cut is left out whole), with
 * `marker` after the cut; fences balanced either way.
 */
export function cutMarkdown(
  markdown: string,
  max: number,
  marker = "…(cut; see the source)",
): string {
  if (markdown.length <= max) return closeFences(markdown);
  const lines = splitLines(markdown);
  let state: FenceState = { open: undefined, chantOpen: false };
  let length = 0;
  let end = 0;
  for (let i = 0; i < lines.length; i++) {
    length += lines[i]!.length + 1;
    if (length > max) break;
    state = stepFence(state, lines[i]!);
    if (state.open === undefined && !state.chantOpen) end = i + 1;
  }
  const kept = lines.slice(0, end).join("\n").trimEnd();
  return kept === "" ? marker : `${kept}\n\n${marker}`;
}

/** Normalize line endings to `\n` (CRLF and lone CR documents read the same). */
export function toLf(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}
