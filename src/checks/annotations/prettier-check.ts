import { pointAnnotation } from "./annotation.js";
import type { RawAnnotation } from "./annotation.js";
import { PATH, outputLines } from "./output-lines.js";

// `[warn] src/a.js`: a file Prettier would reformat.
const UNFORMATTED = /^\[warn\] (\S.*)$/;
// `[error] src/a.js: SyntaxError: Unexpected token (2:9)`: a file it cannot parse.
const SYNTAX_ERROR = new RegExp(
  String.raw`^\[error\] (${PATH}): (\w*Error): (.*?) \((\d+):(\d+)\)$`,
);

export const PRETTIER_MESSAGE =
  "This file is not formatted with Prettier. Run `npx prettier --write .` to format it.";

/**
 * `prettier --check`: each unformatted file is annotated on line 1 (Prettier
 * does not say where), and a file it cannot parse at the error's position.
 */
export function parsePrettierCheck(output: string): RawAnnotation[] {
  const annotations: RawAnnotation[] = [];
  outputLines(output).forEach((line, index) => {
    const error = SYNTAX_ERROR.exec(line);
    if (error !== null) {
      const [, path = "", kind, message, lineText, colText] = error;
      annotations.push(
        pointAnnotation({
          path: path,
          line: lineText,
          column: colText,
          level: "failure",
          message: `Prettier cannot parse this file: ${kind}: ${message}`,
          title: "prettier",
          outputLine: index,
        }),
      );
      return;
    }
    const path = UNFORMATTED.exec(line)?.[1]?.trimEnd();
    // Other [warn] lines are sentences, not files: the closing "Code style
    // issues found in 2 files. Run Prettier with --write to fix." and warnings
    // such as "Ignored unknown option { foo: 1 }.".
    if (path === undefined || /^Code style issues\b|: |\.\s|\.$/.test(path)) return;
    annotations.push({
      path,
      start_line: 1,
      end_line: 1,
      annotation_level: "warning",
      message: PRETTIER_MESSAGE,
      title: "prettier",
      output_line: index,
    });
  });
  return annotations;
}
