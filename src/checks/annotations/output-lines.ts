/**
 * Longer lines are not read at all: no diagnostic line is that long, and it
 * keeps every pattern's work per line small on hostile output.
 */
export const MAX_LINE_LENGTH = 20_000;

/** Splits output into lines (LF, CRLF or CR); over-long lines become "" so indexes stay. */
export function outputLines(output: string): string[] {
  return output.split(/\r\n|\r|\n/).map((line) => (line.length > MAX_LINE_LENGTH ? "" : line));
}

// CSI sequences (colours, cursor moves), OSC sequences (e.g. OSC 8 hyperlinks,
// ended by BEL or ESC \; an unended one stops at the line's end), then any
// other ESC + one character. Each part is a single pass: no nested quantifiers.
const ANSI =
  // eslint-disable-next-line no-control-regex
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b\n]*(?:\u0007|\u001b\\)?|\u001b[@-_]?|\u009b[0-?]*[ -/]*[@-~]/g;

/** Removes terminal escape sequences (colours, hyperlinks). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/**
 * The start of a location as tools print it: an optional Windows drive, then
 * anything but ':' (so a pattern can split path from line in one pass).
 */
export const PATH = String.raw`(?:[A-Za-z]:)?[^:]+`;

export function toInt(text: string | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  const n = Number.parseInt(text, 10);
  return Number.isSafeInteger(n) ? n : undefined;
}
