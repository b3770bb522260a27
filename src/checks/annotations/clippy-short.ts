import type { RawAnnotation } from "./annotation.js";
import { levelFromSeverity, pointAnnotation } from "./annotation.js";
import { PATH, outputLines } from "./output-lines.js";

// `src/main.rs:2:9: warning: unused variable: \`x\``, `...: error[E0308]: mismatched types`.
// gcc and clang print the same shape, so they are read here too.
const LINE = new RegExp(
  String.raw`^(${PATH}):(\d+):(\d+): (error|warning|note|help|info|fatal error)(?:\[([^\]\s]+)\])?: (.*)$`,
);

/** `cargo clippy --message-format=short` (and `cargo build`/rustc short output). */
export function parseClippyShort(output: string): RawAnnotation[] {
  const annotations: RawAnnotation[] = [];
  outputLines(output).forEach((line, index) => {
    const m = LINE.exec(line);
    if (m === null) return;
    const [, path = "", lineText, colText, severity, code, message = ""] = m;
    annotations.push(
      pointAnnotation({
        path,
        line: lineText,
        column: colText,
        level: levelFromSeverity(severity),
        message,
        title: code,
        outputLine: index,
      }),
    );
  });
  return annotations;
}
