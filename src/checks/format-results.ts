import type { CheckConclusion } from "../domain/checks.js";
import { formatDuration } from "./check-text.js";
import type { CheckResult } from "./check-types.js";

/** Conclusions that make `chant-bot check` exit 1 (neutral and skipped do not). */
export const FAILING_CONCLUSIONS: readonly CheckConclusion[] = [
  "failure",
  "timed_out",
  "cancelled",
  "action_required",
];

export function isFailing(conclusion: CheckConclusion): boolean {
  return FAILING_CONCLUSIONS.includes(conclusion);
}

export function anyFailed(results: readonly CheckResult[]): boolean {
  return results.some((r) => isFailing(r.conclusion));
}

/**
 * A plain-text table for a terminal:
 *
 *     CHECK               RESULT   TIME    TITLE
 *     chant/reproduction  success  1.2 s   Reproduction test failed on base, passes on head
 */
export function formatResultsTable(results: readonly CheckResult[]): string {
  const rows = [
    ["CHECK", "RESULT", "TIME", "TITLE"],
    ...results.map((r) => [r.name, r.conclusion, formatDuration(r.durationMs), oneLine(r.title)]),
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export interface ResultsJsonExtra {
  /** The base commit the reproduction ran on first, if any. */
  base?: string | undefined;
  reproductionTests?: readonly string[];
}

/** The results as JSON (every field, annotations included), with `ok` = no check failed. */
export function formatResultsJson(
  results: readonly CheckResult[],
  extra: ResultsJsonExtra = {},
): string {
  return JSON.stringify(
    {
      ok: !anyFailed(results),
      base: extra.base ?? null,
      reproductionTests: extra.reproductionTests ?? [],
      results,
    },
    null,
    2,
  );
}

/** One progress line: `chant/tests: failure in 1.2 s: Tests failed: exit code 1`. */
export function formatResultLine(result: CheckResult): string {
  return `${result.name}: ${result.conclusion} in ${formatDuration(result.durationMs)}: ${oneLine(result.title)}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
