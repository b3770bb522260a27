import type { RawAnnotation } from "./annotation.js";
import { levelFromSeverity } from "./annotation.js";
import { PATH, outputLines, toInt } from "./output-lines.js";

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
    const startLine = toInt(lineText) ?? 1;
    const column = toInt(colText);
    annotations.push({
      path,
      start_line: startLine,
      end_line: startLine,
      ...(column !== undefined && column > 0 ? { start_column: column, end_column: column } : {}),
      annotation_level: levelFromSeverity(severity),
      message,
      ...(rule !== undefined ? { title: rule } : {}),
      output_line: index,
    });
  });
  return annotations;
}
