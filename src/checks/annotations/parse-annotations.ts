import { cutUtf8 } from "../../util/utf8.js";
import type { AnnotationParser, RawAnnotation } from "./annotation.js";
import type { Annotation } from "../../domain/checks.js";
import { parseBiome } from "./biome.js";
import { parseClippyShort } from "./clippy-short.js";
import { parseEslintStylish } from "./eslint-stylish.js";
import { parseEslintUnix } from "./eslint-unix.js";
import { parseFlake8 } from "./flake8.js";
import { parseGeneric } from "./generic.js";
import { parseGithubActions } from "./github-actions.js";
import { stripAnsi } from "./output-lines.js";
import { parsePrettierCheck } from "./prettier-check.js";
import { repositoryPath } from "./relative-path.js";
import { parseRuff } from "./ruff.js";
import { parseRustcHuman } from "./rustc-human.js";
import { parseTypescript } from "./typescript.js";

/** Only this much of the output is read (bounded work on huge output). */
export const MAX_OUTPUT_CHARS = 2 * 1024 * 1024;
export const MAX_ANNOTATIONS = 1000;
/** GitHub's limit for an annotation's message (64 KB), counted in UTF-8 bytes. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
export const MAX_TITLE_CHARS = 255;

/**
 * The format parsers, most specific first: when two read the same output line
 * (clippy's short form is also the generic shape, ruff's concise form is also
 * flake8's), the earlier one keeps it.
 */
export const FORMAT_PARSERS: readonly { name: string; parse: AnnotationParser }[] = [
  { name: "github-actions", parse: parseGithubActions },
  { name: "eslint-stylish", parse: parseEslintStylish },
  { name: "eslint-unix", parse: parseEslintUnix },
  { name: "typescript", parse: parseTypescript },
  { name: "prettier-check", parse: parsePrettierCheck },
  { name: "biome", parse: parseBiome },
  { name: "ruff", parse: parseRuff },
  { name: "flake8", parse: parseFlake8 },
  { name: "rustc-human", parse: parseRustcHuman },
  { name: "clippy-short", parse: parseClippyShort },
  { name: "generic", parse: parseGeneric },
];

export interface ParseAnnotationsOptions {
  /** The checkout the tool ran in (its cwd): absolute paths are made relative to it. */
  repoRoot: string;
  /** When given, annotations on paths for which it returns false are dropped. */
  isFile?: (path: string) => boolean;
}

/**
 * Reads the output of lint, format and compiler tools into check-run
 * annotations: paths relative to the repository (others dropped), one
 * annotation per output line, duplicates removed, at most MAX_ANNOTATIONS in
 * the order the tool printed them.
 */
export function parseAnnotations(output: string, options: ParseAnnotationsOptions): Annotation[] {
  const text = stripAnsi(boundedOutput(output));
  const owner = new Map<number, number>();
  const found: RawAnnotation[] = [];
  FORMAT_PARSERS.forEach(({ parse }, rank) => {
    for (const raw of parse(text)) {
      const claimed = owner.get(raw.output_line);
      if (claimed !== undefined && claimed !== rank) continue;
      owner.set(raw.output_line, rank);
      found.push(raw);
    }
  });
  // Stable sort: the tool's order, and a parser's own order within a line.
  found.sort((a, b) => a.output_line - b.output_line);

  const annotations: Annotation[] = [];
  const seen = new Set<string>();
  for (const raw of found) {
    const annotation = finish(raw, options);
    if (annotation === undefined) continue;
    const key = JSON.stringify([
      annotation.path,
      annotation.start_line,
      annotation.start_column ?? 0,
      annotation.message,
    ]);
    if (seen.has(key)) continue;
    seen.add(key);
    annotations.push(annotation);
    if (annotations.length >= MAX_ANNOTATIONS) break;
  }
  return annotations;
}

function boundedOutput(output: string): string {
  if (output.length <= MAX_OUTPUT_CHARS) return output;
  // Drop the line cut in the middle: half a line could read as another location.
  const head = output.slice(0, MAX_OUTPUT_CHARS);
  const lastBreak = Math.max(head.lastIndexOf("\n"), head.lastIndexOf("\r"));
  return lastBreak === -1 ? "" : head.slice(0, lastBreak);
}

/** Checks and normalises one annotation to GitHub's rules; undefined to drop it. */
function finish(raw: RawAnnotation, options: ParseAnnotationsOptions): Annotation | undefined {
  const path = repositoryPath(raw.path, options.repoRoot);
  if (path === undefined || (options.isFile !== undefined && !options.isFile(path))) {
    return undefined;
  }
  // Line 0 means "the whole file" for some tools (ESLint's 0:0): GitHub wants >= 1.
  const startLine = positive(raw.start_line) ?? 1;
  const endLine = Math.max(positive(raw.end_line) ?? startLine, startLine);
  const message = cutUtf8(cleanText(raw.message), MAX_MESSAGE_BYTES);
  const title = raw.title === undefined ? "" : cleanText(raw.title).slice(0, MAX_TITLE_CHARS);
  const annotation: Annotation = {
    path,
    start_line: startLine,
    end_line: endLine,
    annotation_level: raw.annotation_level,
    message: message === "" ? (title === "" ? "Reported here." : title) : message,
  };
  // Columns only on a single line (GitHub rejects them otherwise).
  const startColumn = positive(raw.start_column);
  if (startLine === endLine && startColumn !== undefined) {
    annotation.start_column = startColumn;
    annotation.end_column = Math.max(positive(raw.end_column) ?? startColumn, startColumn);
  }
  if (title !== "") annotation.title = title;
  return annotation;
}

function positive(n: number | undefined): number | undefined {
  return n !== undefined && Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

// Control characters (tab and newline kept) and bidi overrides, which could
// make a message read differently from what it says.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Trims, drops the characters above and replaces half surrogate pairs (not text). */
function cleanText(text: string): string {
  return text.replace(CONTROL, "").replace(LONE_SURROGATE, "\uFFFD").trim();
}
