import type { RawAnnotation } from "./annotation.js";
import { codeAnnotation } from "./flake8.js";
import { PATH, outputLines } from "./output-lines.js";

// A rule code (F401, PLR0913) or, for diagnostics without one and in preview
// mode, a hyphenated name and a colon (`invalid-syntax:`, `unused-import:`),
// or the formatter's `unformatted:`. One-word names are left alone: they are
// other tools' severities (`warning:`, `hint:`).
const CODE = String.raw`([A-Z]+[0-9]+|[a-z]+(?:-[a-z]+)+:|unformatted:)`;
// concise, and the first line of the pre-0.12 "full" format:
// `app.py:1:8: F401 [*] \`os\` imported but unused`
const CONCISE = new RegExp(String.raw`^(${PATH}):(\d+):(\d+): ${CODE} (?:\[\*\] )?(.*)$`);
// "full" since ruff 0.12: `F401 [*] \`os\` imported but unused` then ` --> app.py:1:8`.
const HEADER = new RegExp(String.raw`^${CODE} (?:\[\*\] )?(\S.*)$`);
const ARROW = new RegExp(String.raw`^\s*--> (${PATH}):(\d+):(\d+)$`);
// `ruff format --check`: `Would reformat: app.py`.
const WOULD_REFORMAT = /^Would reformat: (\S.*)$/;

export const RUFF_FORMAT_MESSAGE =
  "This file is not formatted as Ruff expects. Run `ruff format .` to format it.";

/** Ruff: `ruff check` (concise and full output) and `ruff format --check`. */
export function parseRuff(output: string): RawAnnotation[] {
  const annotations: RawAnnotation[] = [];
  const lines = outputLines(output);
  lines.forEach((line, index) => {
    const concise = CONCISE.exec(line);
    if (concise !== null) {
      const [, path = "", lineText, colText, code = "", message = ""] = concise;
      const annotation = codeAnnotation(path, lineText, colText, ruleName(code), message, index);
      // `ruff format --check --output-format concise`: a formatting difference.
      if (annotation.title === "unformatted") {
        annotation.annotation_level = "warning";
        annotation.message = RUFF_FORMAT_MESSAGE;
      }
      annotations.push(annotation);
      return;
    }
    const header = HEADER.exec(line);
    if (header !== null) {
      const arrow = ARROW.exec(lines[index + 1] ?? "");
      if (arrow === null) return;
      const [, code = "", message = ""] = header;
      const [, path = "", lineText, colText] = arrow;
      annotations.push(codeAnnotation(path, lineText, colText, ruleName(code), message, index));
      return;
    }
    const path = WOULD_REFORMAT.exec(line)?.[1]?.trimEnd();
    if (path !== undefined) {
      annotations.push({
        path,
        start_line: 1,
        end_line: 1,
        annotation_level: "warning",
        message: RUFF_FORMAT_MESSAGE,
        title: "ruff format",
        output_line: index,
      });
    }
  });
  return annotations;
}

function ruleName(code: string): string {
  return code.endsWith(":") ? code.slice(0, -1) : code;
}
