import type { RawAnnotation } from "./annotation.js";
import type { AnnotationLevel } from "../../domain/checks.js";
import { outputLines, toInt } from "./output-lines.js";

// The severity marker in front of a diagnostic's message.
const MARKERS: Record<string, AnnotationLevel> = { "×": "failure", "!": "warning", i: "notice" };
const MESSAGE = /^\s+([×!i]) (\S.*)$/;
const LOCATION = /^(.+?):(\d+):(\d+)$/;
const CATEGORY = /^[A-Za-z][\w/-]*$/;
// A changed line of a formatter diff: `     4    │ - ··let·total…` (old line number first).
const REMOVED_LINE = /^\s+(\d+)\s+(?:\d+\s+)?│ -/;

export const BIOME_FORMAT_MESSAGE =
  "This file is not formatted as Biome expects. Run `npx biome format --write .` to format it.";

/**
 * Biome's default console reporter (`biome lint`, `check`, `format`, `ci`): a
 * header `path:line:col category [FIXABLE] ━━━` (formatter diagnostics have no
 * position: `path format ━━━`), then the message after a ×, ! or i marker.
 */
export function parseBiome(output: string): RawAnnotation[] {
  const annotations: RawAnnotation[] = [];
  const lines = outputLines(output);
  lines.forEach((line, index) => {
    const header = parseHeader(line);
    if (header === undefined) return;
    // The message: the first marker line after the header, and its
    // continuation lines, up to the next blank (or whitespace-only) line.
    let level: AnnotationLevel = "failure";
    const message: string[] = [];
    let firstRemoved: number | undefined;
    for (let next = index + 1; next < lines.length && next <= index + 200; next++) {
      const text = lines[next] ?? "";
      if (parseHeader(text) !== undefined) break;
      if (message.length === 0) {
        const m = MESSAGE.exec(text);
        if (m !== null) {
          level = MARKERS[m[1] ?? ""] ?? "failure";
          message.push(m[2] ?? "");
        }
        continue;
      }
      if (header.category === "format") {
        firstRemoved ??= toInt(REMOVED_LINE.exec(text)?.[1]);
        continue;
      }
      if (text.trim() === "") break;
      if (message.length < 20) message.push(text.trim());
      else break;
    }
    if (message.length === 0) return;
    const isFormat = header.category === "format";
    const startLine = header.line ?? (isFormat ? (firstRemoved ?? 1) : 1);
    annotations.push({
      path: header.path,
      start_line: startLine,
      end_line: startLine,
      ...(header.column !== undefined && header.column > 0
        ? { start_column: header.column, end_column: header.column }
        : {}),
      // A formatting difference is a warning, as for every formatter here.
      annotation_level: isFormat && message[0]?.startsWith("Formatter would") ? "warning" : level,
      message:
        isFormat && message[0]?.startsWith("Formatter would")
          ? BIOME_FORMAT_MESSAGE
          : message.join("\n"),
      title: header.category,
      output_line: index,
    });
  });
  return annotations;
}

interface Header {
  path: string;
  line?: number;
  column?: number;
  category: string;
}

function parseHeader(line: string): Header | undefined {
  // Read from the end by hand, not by one pattern: the path may hold spaces.
  if (!line.endsWith("━━━") || /^\s/.test(line)) return undefined;
  let end = line.length;
  while (end > 0 && (line[end - 1] === "━" || line[end - 1] === " ")) end--;
  let rest = line.slice(0, end);
  let cut = rest.lastIndexOf(" ");
  if (rest.slice(cut + 1) === "FIXABLE") {
    rest = rest.slice(0, cut).trimEnd();
    cut = rest.lastIndexOf(" ");
  }
  const category = rest.slice(cut + 1);
  const location = rest.slice(0, Math.max(cut, 0)).trimEnd();
  if (cut === -1 || location === "" || !CATEGORY.test(category)) return undefined;
  const m = LOCATION.exec(location);
  if (m === null) return { path: location, category };
  return { path: m[1] ?? "", line: toInt(m[2]), column: toInt(m[3]), category };
}
