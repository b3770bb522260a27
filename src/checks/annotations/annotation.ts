import type { Annotation, AnnotationLevel } from "../../domain/checks.js";
import { toInt } from "./output-lines.js";

/**
 * An annotation as one format parser read it: the path as the tool printed it,
 * and the index of the output line it was read from, so that when two parsers
 * read the same line only the most specific one is kept.
 */
export interface RawAnnotation extends Annotation {
  output_line: number;
}

export type AnnotationParser = (output: string) => RawAnnotation[];

/** Maps a tool's severity word to a GitHub level; `fallback` for words it does not know. */
export function levelFromSeverity(
  severity: string | undefined,
  fallback: AnnotationLevel = "failure",
): AnnotationLevel {
  switch (severity?.trim().toLowerCase()) {
    case "error":
    case "fatal":
    case "fatal error":
    case "failure":
    case "critical":
      return "failure";
    case "warning":
    case "warn":
      return "warning";
    case "info":
    case "information":
    case "note":
    case "hint":
    case "help":
    case "notice":
    case "message":
    case "suggestion":
      return "notice";
    default:
      return fallback;
  }
}

/**
 * An annotation on one line of a file, at a column when the tool printed one:
 * the shape almost every format yields. Line and column come as the tool's text.
 */
export function pointAnnotation(found: {
  path: string;
  line: string | undefined;
  column: string | undefined;
  level: AnnotationLevel;
  message: string;
  title: string | undefined;
  outputLine: number;
}): RawAnnotation {
  const line = toInt(found.line) ?? 1;
  const column = toInt(found.column);
  return {
    path: found.path,
    start_line: line,
    end_line: line,
    ...(column !== undefined && column > 0 ? { start_column: column, end_column: column } : {}),
    annotation_level: found.level,
    message: found.message,
    ...(found.title !== undefined ? { title: found.title } : {}),
    output_line: found.outputLine,
  };
}
