/**
 * A readable account of an agent's run, kept while its JSON stream is parsed:
 * one short line per event that matters ("turn 2", "Bash npm test", "model API
 * retry 3/10: HTTP 529 overloaded_error", the final message). It is the output
 * tail a person reads when a run fails, instead of raw JSON events cut
 * somewhere in the middle. Bounded: the last lines only, each clipped, and a
 * line repeated in a row is counted, not repeated.
 */
import { oneLine } from "../util/untrusted-text.js";

const MAX_LINES = 120;
const MAX_LINE_CHARS = 300;

export class Transcript {
  private readonly lines: string[] = [];
  private repeats = 0;

  add(text: string): void {
    const line = oneLine(text, MAX_LINE_CHARS);
    if (line === "") return;
    const last = this.lines.length - 1;
    if (last >= 0 && this.lines[last]!.replace(/ \(×\d+\)$/, "") === line) {
      this.repeats += 1;
      this.lines[last] = `${line} (×${this.repeats + 1})`;
      return;
    }
    this.repeats = 0;
    this.lines.push(line);
    if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
  }

  get all(): readonly string[] {
    return [...this.lines];
  }
}
