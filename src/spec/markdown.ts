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
