/**
 * Newline-delimited JSON read as it arrives: chunks split lines anywhere, a
 * CLI prints banners and warnings between events, and a killed process leaves
 * half a line. Only complete lines holding a JSON object are passed on;
 * everything else is counted and skipped.
 */

// A tool result inlined in an event (a whole file read) can be large, but a
// line without end must not grow memory without bound.
const DEFAULT_MAX_LINE_CHARS = 16 * 1024 * 1024;

export class JsonLineReader {
  private buffer = "";
  /** Inside an overlong line: drop everything up to its newline. */
  private skipping = false;
  /** Lines that were not a JSON object (banners, garbage, a cut-off last line). */
  ignoredLines = 0;

  constructor(
    private readonly onObject: (value: Record<string, unknown>) => void,
    private readonly maxLineChars = DEFAULT_MAX_LINE_CHARS,
  ) {}

  push(chunk: string): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf("\n", start);
      if (newline === -1) break;
      if (this.skipping) {
        this.skipping = false;
      } else {
        this.line(this.buffer + chunk.slice(start, newline));
      }
      this.buffer = "";
      start = newline + 1;
    }
    if (this.skipping) return;
    this.buffer += chunk.slice(start);
    if (this.buffer.length > this.maxLineChars) {
      this.buffer = "";
      this.skipping = true;
      this.ignoredLines += 1;
    }
  }

  /** The stream ended: a last line without newline is still a line (or half of one). */
  end(): void {
    if (!this.skipping && this.buffer !== "") this.line(this.buffer);
    this.buffer = "";
    this.skipping = false;
  }

  private line(text: string): void {
    const trimmed = text.trim();
    if (trimmed === "") return;
    if (!trimmed.startsWith("{")) {
      this.ignoredLines += 1;
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      this.ignoredLines += 1;
      return;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      this.ignoredLines += 1;
      return;
    }
    this.onObject(value as Record<string, unknown>);
  }
}
