import type { RawAnnotation } from "./annotation.js";
import { levelFromSeverity, pointAnnotation } from "./annotation.js";
import { PATH, outputLines } from "./output-lines.js";

// `/abs/file.js:12:5: Message text. [Error/rule-id]` (no rule on parsing errors).
const LINE = new RegExp(
  String.raw`^(${PATH}):(\d+):(\d+): (.*) \[(Error|Warning)(?:/([^\]]+))?\]$`,
);

/** ESLint's "unix" formatter (the eslint-formatter-unix package since ESLint 9). */
export function parseEslintUnix(output: string): RawAnnotation[] {
  const annotations: RawAnnotation[] = [];
  outputLines(output).forEach((line, index) => {
    const m = LINE.exec(line);
    if (m === null) return;
    const [, path = "", lineText, colText, message = "", severity, rule] = m;
    annotations.push(
      pointAnnotation({
        path,
        line: lineText,
        column: colText,
        level: levelFromSeverity(severity),
        message,
        title: rule,
        outputLine: index,
      }),
    );
  });
  return annotations;
}
