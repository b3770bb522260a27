import { MAX_CHECK_TEXT } from "../domain/checks.js";
/**
 * The words of a check result: markdown pieces, durations and GitHub's size
 * limits. Everything here works on text that is already redacted.
 */
import { stripAnsi } from "./annotations/output-lines.js";
import { formatDuration } from "../util/format-duration.js";
import { fence } from "../util/untrusted-text.js";

export { fence, formatDuration };

/** A markdown code span that holds `text` whatever backticks it contains (one line). */
export function inlineCode(text: string): string {
  const line = text.replace(/\s*[\r\n]+\s*/g, " ").trim();
  const longest = Math.max(0, ...[...line.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  // A space inside the ticks keeps a leading or trailing backtick apart from them.
  const pad = line.startsWith("`") || line.endsWith("`") ? " " : "";
  return `${ticks}${pad}${line}${pad}${ticks}`;
}

/** A command for a summary list item: a code span, or an indented fenced block when it has several lines. */
export function commandMarkdown(command: string): string {
  if (!command.includes("\n")) return inlineCode(command);
  return `\n\n${fence(command.trim(), "sh")
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n")}`;
}

/**
 * Terminal output made readable on GitHub: escape sequences removed, carriage
 * returns (progress bars) turned into line breaks, other control characters dropped.
 */
export function cleanOutput(output: string): string {
  return (
    stripAnsi(output)
      .replace(/\r\n?/g, "\n")
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, "")
  );
}

/** Cuts a summary to GitHub's limit, with a visible note saying so. */
export function limitSummary(summary: string, max = MAX_CHECK_TEXT): string {
  if (summary.length <= max) return summary;
  const note = (cut: number) =>
    `\n\n… (summary cut to GitHub's limit of ${max} characters: ${cut} characters left out)`;
  // The note's own length depends on the number in it: reserve for the longest.
  const keep = max - note(summary.length).length;
  return `${cutAtCharacter(summary, keep)}${note(summary.length - keep)}`;
}

export interface OutputSection {
  /** A markdown heading line above the output, e.g. "#### Base `abc1234`". */
  heading?: string;
  /** The (redacted) output of one command. */
  output: string;
  /** Bytes the process runner already left out of the middle of this output. */
  droppedBytes?: number;
}

/**
 * The `text` of a check result: the tail of each output in a fence, cut to fit
 * GitHub's limit together, each cut announced above its fence. Space a short
 * output does not need goes to the others.
 */
export function outputText(sections: readonly OutputSection[], max = MAX_CHECK_TEXT): string {
  if (sections.length === 0) return "";
  const cleaned = sections.map((s) => ({ ...s, output: cleanOutput(s.output) }));
  // Fixed cost of each section besides the output itself: heading, fences, note.
  const overhead = (s: (typeof cleaned)[number]) =>
    (s.heading === undefined ? 0 : s.heading.length + 2) + 2 * 12 + 220;
  let budget = max - cleaned.reduce((sum, s) => sum + overhead(s), 0) - 2 * sections.length;
  const shares = new Array<number>(cleaned.length).fill(0);
  // Smallest first: each takes what it needs up to an equal share of what is left.
  const order = cleaned
    .map((s, i) => i)
    .sort((a, b) => lengthOf(cleaned, a) - lengthOf(cleaned, b));
  order.forEach((index, position) => {
    const fair = Math.floor(Math.max(0, budget) / (order.length - position));
    const share = Math.min(lengthOf(cleaned, index), fair);
    shares[index] = share;
    budget -= share;
  });
  const parts = cleaned.map((s, i) => {
    const { kept, note } = tail(s.output, shares[i] ?? 0, s.droppedBytes ?? 0);
    const body = kept === "" && note === "" ? "(no output)" : fence(kept);
    return [s.heading, note, body].filter((p) => p !== undefined && p !== "").join("\n\n");
  });
  // The fence of an output full of backticks can be long: the final cut keeps the limit in any case.
  const text = parts.join("\n\n");
  return text.length <= max ? text : `${cutAtCharacter(text, max - 4)}\n…`;
}

function lengthOf(sections: readonly { output: string }[], index: number): number {
  return sections[index]?.output.length ?? 0;
}

/** The last `max` characters of an output, from a line start where possible, and a note when cut. */
function tail(output: string, max: number, droppedBytes: number): { kept: string; note: string } {
  const droppedNote =
    droppedBytes > 0
      ? `the runner kept the first and last part of the output and left out ${droppedBytes} bytes in between`
      : "";
  if (output.length <= max) {
    return { kept: output, note: droppedNote === "" ? "" : `… (output cut: ${droppedNote})` };
  }
  let start = output.length - Math.max(0, max);
  const lineStart = output.indexOf("\n", start);
  // Start at a whole line unless that would lose most of the space.
  if (lineStart !== -1 && lineStart - start < 200) start = lineStart + 1;
  if (isLowSurrogate(output.charCodeAt(start))) start += 1;
  const kept = output.slice(start);
  const note =
    `… (output cut: showing the last ${kept.length} of ${output.length} characters` +
    (droppedNote === "" ? ")" : `; ${droppedNote})`);
  return { kept, note };
}

/** The first `max` characters, never ending in half a surrogate pair. */
function cutAtCharacter(text: string, max: number): string {
  const end = Math.max(0, max);
  const cut = text.slice(0, end);
  return isHighSurrogate(cut.charCodeAt(cut.length - 1)) ? cut.slice(0, -1) : cut;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
