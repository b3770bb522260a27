import type { RawAnnotation } from "./annotation.js";
import { levelFromSeverity } from "./annotation.js";
import { outputLines, toInt } from "./output-lines.js";

// `  12:5  error  Message text  rule-id` (columns padded with spaces).
const MESSAGE = /^\s+(\d+):(\d+)\s+(error|warning)\s+(\S.*)$/;
const RULE = /^@?[\w.-]+(?:\/[\w.-]+)*$/;

/**
 * ESLint's default "stylish" formatter: a file path line, its indented
 * `line:col  severity  message  rule` lines, a blank line; a summary at the end.
 */
export function parseEslintStylish(output: string): RawAnnotation[] {
  const annotations: RawAnnotation[] = [];
  let file: string | undefined;
  outputLines(output).forEach((line, index) => {
    if (line.trim() === "") {
      file = undefined;
      return;
    }
    if (!/^\s/.test(line)) {
      // A summary line ("✖ 3 problems") or anything else non-indented starts a
      // new block; only the lines under it are messages of that file.
      file = /^[✖✔]|\s{2}/.test(line) ? undefined : line.trim();
      return;
    }
    const m = MESSAGE.exec(line);
    if (file === undefined || m === null) return;
    const [, lineText, colText, severity, rest = ""] = m;
    const text = rest.trimEnd();
    // The rule id is the last column, after a run of two or more spaces;
    // parsing errors have none.
    const cut = text.lastIndexOf("  ");
    const candidate = cut === -1 ? "" : text.slice(cut).trim();
    const hasRule = candidate !== "" && RULE.test(candidate);
    const startLine = toInt(lineText) ?? 1;
    const column = toInt(colText);
    annotations.push({
      path: file,
      start_line: startLine,
      end_line: startLine,
      ...(column !== undefined && column > 0 ? { start_column: column, end_column: column } : {}),
      annotation_level: levelFromSeverity(severity),
      message: hasRule ? text.slice(0, cut).trim() : text,
      ...(hasRule ? { title: candidate } : {}),
      output_line: index,
    });
  });
  return annotations;
}
