import type { RawAnnotation } from "./annotation.js";
import { levelFromSeverity, pointAnnotation } from "./annotation.js";
import { outputLines } from "./output-lines.js";

// `path:line:col: message` or `path:line: message`; the path has no spaces so
// that prose such as "Error in x.js:3: ..." is not taken for a location.
const LINE = /^((?:[A-Za-z]:)?[^:\s]+):(\d+)(?::(\d+))?: (.+)$/;
// A leading severity, as gcc, mypy and many others print it.
const SEVERITY =
  /^(fatal error|error|warning|warn|note|info|information|hint|notice)(?:\[[^\]\s]+\])?: ?/i;
// mypy's trailing `  [error-code]`.
const TRAILING_CODE = /\s{2}\[([\w-]+)\]$/;
// Files that tools name without an extension or a directory.
const BARE_FILES = new Set([
  "Makefile",
  "makefile",
  "GNUmakefile",
  "Dockerfile",
  "Containerfile",
  "Jenkinsfile",
  "Justfile",
  "justfile",
  "Rakefile",
  "Gemfile",
  "Vagrantfile",
  "Procfile",
]);

/**
 * The shape most tools fall back to. Lines other parsers read are kept by
 * those (parseAnnotations prefers the most specific parser for a line).
 * Without a severity word the level is a warning: the shape alone says little.
 */
export function parseGeneric(output: string): RawAnnotation[] {
  const annotations: RawAnnotation[] = [];
  outputLines(output).forEach((line, index) => {
    const m = LINE.exec(line);
    if (m === null) return;
    const [, path = "", lineText, colText, rest = ""] = m;
    if (rest.trim() === "" || !looksLikeFile(path)) return;
    const severity = SEVERITY.exec(rest);
    let message = severity === null ? rest : rest.slice(severity[0].length);
    const code = TRAILING_CODE.exec(message);
    if (code !== null) message = message.slice(0, code.index);
    annotations.push(
      pointAnnotation({
        path,
        line: lineText,
        column: colText,
        level: levelFromSeverity(severity?.[1], "warning"),
        message: message.trim(),
        title: code?.[1],
        outputLine: index,
      }),
    );
  });
  return annotations;
}

function looksLikeFile(path: string): boolean {
  // A letter somewhere (not "10.0.0.1"), and a directory or an extension
  // (not "localhost" or a timestamp's "2024-01-01T12"), or a well-known name.
  if (!/[A-Za-z]/.test(path)) return false;
  const name = path.split(/[\\/]/).pop() ?? "";
  return /[\\/]/.test(path) || /\.[A-Za-z0-9_-]+$/.test(name) || BARE_FILES.has(name);
}
