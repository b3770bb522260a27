import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Where the captured tool runs had the repository (see projects/capture.sh). */
export const FIXTURE_ROOT = "/tmp/chant-fixture";

/** A captured tool output from test/fixtures/tool-output/<name>.txt. */
export function toolOutput(name: string): string {
  const url = new URL(`../../fixtures/tool-output/${name}.txt`, import.meta.url);
  return readFileSync(fileURLToPath(url), "utf8");
}

type Level = "notice" | "warning" | "failure";

/** A one-line annotation, written compactly: [path, line, column or 0, level, message, title?]. */
export function at(
  path: string,
  line: number,
  column: number,
  level: Level,
  message: string,
  title?: string,
): Record<string, unknown> {
  return {
    path,
    start_line: line,
    end_line: line,
    ...(column > 0 ? { start_column: column, end_column: column } : {}),
    annotation_level: level,
    message,
    ...(title !== undefined ? { title } : {}),
  };
}
