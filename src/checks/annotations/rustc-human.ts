import type { RawAnnotation } from "./annotation.js";
import { levelFromSeverity, pointAnnotation } from "./annotation.js";
import { PATH, outputLines } from "./output-lines.js";

// `warning: unused variable: \`x\`` or `error[E0308]: mismatched types` ...
const HEADER = /^(error|warning|note|help)(?:\[([^\]\s]+)\])?: (\S.*)$/;
// ... then ` --> src/main.rs:2:9`.
const ARROW = new RegExp(String.raw`^\s*--> (${PATH}):(\d+):(\d+)$`);
// `= note: \`#[warn(clippy::needless_return)]\` on by default` names the lint.
const LINT = /^\s*= note: `#\[(?:warn|deny|forbid)\(([\w:]+)\)\]`/;

/** rustc's and cargo's default (human) output, e.g. `cargo clippy` without a message format. */
export function parseRustcHuman(output: string): RawAnnotation[] {
  const annotations: RawAnnotation[] = [];
  const lines = outputLines(output);
  lines.forEach((line, index) => {
    const header = HEADER.exec(line);
    if (header === null) return;
    const arrow = ARROW.exec(lines[index + 1] ?? "");
    if (arrow === null) return;
    const [, severity, code, message = ""] = header;
    const [, path = "", lineText, colText] = arrow;
    let title = code;
    // The lint's name is in a note of the snippet, before the next blank line.
    for (
      let next = index + 2;
      title === undefined && next < lines.length && next < index + 40;
      next++
    ) {
      const text = lines[next] ?? "";
      if (text.trim() === "") break;
      title = LINT.exec(text)?.[1];
    }
    annotations.push(
      pointAnnotation({
        path,
        line: lineText,
        column: colText,
        level: levelFromSeverity(severity),
        message,
        title: title,
        outputLine: index,
      }),
    );
  });
  return annotations;
}
