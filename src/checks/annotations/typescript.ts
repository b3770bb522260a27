import type { RawAnnotation } from "./annotation.js";
import { levelFromSeverity, pointAnnotation } from "./annotation.js";
import { PATH, outputLines } from "./output-lines.js";

// `src/a.ts(3,7): error TS2322: ...`; the path may hold parentheses (Next.js
// route groups), so it is matched lazily up to the first `(line,col): `.
const PLAIN = /^((?:[A-Za-z]:)?[^:]+?)\((\d+),(\d+)\): (error|warning|message) (TS\d+): (.*)$/;
// `src/a.ts:3:7 - error TS2322: ...` (`--pretty`, the default on a terminal).
const PRETTY = new RegExp(
  String.raw`^(${PATH}):(\d+):(\d+) - (error|warning|message) (TS\d+): (.*)$`,
);

/**
 * The TypeScript compiler (tsc 5 and the native tsc 7), plain and `--pretty`.
 * Message chains (indented lines right under the first) join the message;
 * related locations (after a blank line, indented) are not annotations.
 */
export function parseTypescript(output: string): RawAnnotation[] {
  const annotations: RawAnnotation[] = [];
  const lines = outputLines(output);
  lines.forEach((line, index) => {
    const m = PLAIN.exec(line) ?? PRETTY.exec(line);
    if (m === null) return;
    const [, path = "", lineText, colText, category, code, first = ""] = m;
    const message = [first];
    for (let next = index + 1; next < lines.length; next++) {
      const more = lines[next] ?? "";
      if (!/^\s+\S/.test(more)) break;
      message.push(more.trim());
    }
    annotations.push(
      pointAnnotation({
        path,
        line: lineText,
        column: colText,
        level: levelFromSeverity(category === "message" ? "info" : category),
        message: message.join("\n"),
        title: code,
        outputLine: index,
      }),
    );
  });
  return annotations;
}
