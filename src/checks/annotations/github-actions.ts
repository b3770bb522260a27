import type { RawAnnotation } from "./annotation.js";
import type { AnnotationLevel } from "../../domain/checks.js";
import { outputLines, toInt } from "./output-lines.js";

// `::error file=src/a.js,line=1,endLine=1,col=7,endColumn=13,title=rule::message`
// (property values escape ':' and ',', so neither appears raw inside them).
const COMMAND = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/;

const LEVELS: Record<string, AnnotationLevel> = {
  error: "failure",
  warning: "warning",
  notice: "notice",
};

/**
 * GitHub Actions workflow commands, which machine-friendly reporters print:
 * `biome check --reporter=github`, `ruff check --output-format github`, ...
 */
export function parseGithubActions(output: string): RawAnnotation[] {
  const annotations: RawAnnotation[] = [];
  outputLines(output).forEach((line, index) => {
    const m = COMMAND.exec(line);
    if (m === null) return;
    const [, command = "", props = "", message = ""] = m;
    const properties = new Map<string, string>();
    for (const pair of props.split(",")) {
      const eq = pair.indexOf("=");
      if (eq > 0) properties.set(pair.slice(0, eq).trim(), unescapeProperty(pair.slice(eq + 1)));
    }
    const path = properties.get("file");
    if (path === undefined || path === "") return;
    const startLine = toInt(properties.get("line")) ?? 1;
    const endLine = toInt(properties.get("endLine")) ?? startLine;
    const column = toInt(properties.get("col"));
    const endColumn = toInt(properties.get("endColumn")) ?? column;
    const title = properties.get("title");
    annotations.push({
      path,
      start_line: startLine,
      end_line: endLine,
      ...(column !== undefined ? { start_column: column } : {}),
      ...(endColumn !== undefined ? { end_column: endColumn } : {}),
      annotation_level: LEVELS[command] ?? "warning",
      message: unescapeData(message),
      ...(title !== undefined && title !== "" ? { title } : {}),
      output_line: index,
    });
  });
  return annotations;
}

// The escapes of @actions/core (toCommandValue / escapeProperty).
function unescapeData(text: string): string {
  return text.replace(/%0D/gi, "\r").replace(/%0A/gi, "\n").replace(/%25/g, "%");
}

function unescapeProperty(text: string): string {
  return unescapeData(text.replace(/%3A/gi, ":").replace(/%2C/gi, ","));
}
