import type { RawAnnotation } from "./annotation.js";
import { PATH, outputLines, toInt } from "./output-lines.js";

// `./app.py:7:80: E501 line too long (104 > 79 characters)`
const LINE = new RegExp(String.raw`^(${PATH}):(\d+):(\d+): ([A-Z]+[0-9]+) (.*)$`);

/**
 * flake8 (and pycodestyle, pylint's parseable shape): `path:line:col: CODE message`.
 * W codes are warnings (pycodestyle's own split), the rest failures.
 */
export function parseFlake8(output: string): RawAnnotation[] {
  const annotations: RawAnnotation[] = [];
  outputLines(output).forEach((line, index) => {
    const m = LINE.exec(line);
    if (m === null) return;
    const [, path = "", lineText, colText, code = "", message = ""] = m;
    annotations.push(codeAnnotation(path, lineText, colText, code, message, index));
  });
  return annotations;
}

export function codeAnnotation(
  path: string,
  lineText: string | undefined,
  colText: string | undefined,
  code: string,
  message: string,
  outputLine: number,
): RawAnnotation {
  const startLine = toInt(lineText) ?? 1;
  const column = toInt(colText);
  return {
    path,
    start_line: startLine,
    end_line: startLine,
    ...(column !== undefined && column > 0 ? { start_column: column, end_column: column } : {}),
    annotation_level: code.startsWith("W") ? "warning" : "failure",
    message,
    title: code,
    output_line: outputLine,
  };
}
