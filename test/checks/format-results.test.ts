import { describe, expect, it } from "vitest";
import {
  anyFailed,
  formatResultLine,
  formatResultsJson,
  formatResultsTable,
} from "../../src/checks/format-results.js";
import type { CheckResult } from "../../src/checks/run-checks.js";

function result(partial: Partial<CheckResult> & Pick<CheckResult, "name">): CheckResult {
  return {
    conclusion: "success",
    title: "",
    summary: "",
    text: "",
    annotations: [],
    startedAt: "2026-02-01T10:00:00.000Z",
    completedAt: "2026-02-01T10:00:01.200Z",
    durationMs: 1200,
    ...partial,
  };
}

const RESULTS: CheckResult[] = [
  result({
    name: "chant/reproduction",
    title: "Reproduction test failed on base, passes on head",
  }),
  result({
    name: "chant/tests",
    conclusion: "timed_out",
    title: "Tests timed out after 15 min",
    durationMs: 900_000,
  }),
  result({
    name: "chant/lint",
    conclusion: "skipped",
    title: "No checks.lint command configured",
    durationMs: 0,
  }),
  result({ name: "chant/format", conclusion: "neutral", title: "Multi\nline", durationMs: 45 }),
];

describe("format results", () => {
  it("prints an aligned table", () => {
    expect(formatResultsTable(RESULTS)).toBe(
      [
        "CHECK               RESULT     TIME    TITLE",
        "chant/reproduction  success    1.2 s   Reproduction test failed on base, passes on head",
        "chant/tests         timed_out  15 min  Tests timed out after 15 min",
        "chant/lint          skipped    0 ms    No checks.lint command configured",
        "chant/format        neutral    45 ms   Multi line",
      ].join("\n"),
    );
  });

  it("prints JSON with every field and ok = no check failed", () => {
    const json = JSON.parse(
      formatResultsJson(RESULTS, { base: "abc", reproductionTests: ["t.js"] }),
    );
    expect(json).toEqual({ ok: false, base: "abc", reproductionTests: ["t.js"], results: RESULTS });
    expect(JSON.parse(formatResultsJson([RESULTS[0]!, RESULTS[2]!, RESULTS[3]!])).ok).toBe(true);
  });

  it("counts failure, timed_out and cancelled as failed; neutral and skipped not", () => {
    expect(anyFailed(RESULTS)).toBe(true);
    expect(anyFailed([RESULTS[0]!, RESULTS[2]!, RESULTS[3]!])).toBe(false);
    expect(anyFailed([result({ name: "chant/lint", conclusion: "cancelled" })])).toBe(true);
    expect(anyFailed([result({ name: "chant/lint", conclusion: "failure" })])).toBe(true);
  });

  it("prints one progress line per result", () => {
    expect(formatResultLine(RESULTS[1]!)).toBe(
      "chant/tests: timed_out in 15 min: Tests timed out after 15 min",
    );
  });
});
