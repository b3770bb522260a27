import { describe, expect, it } from "vitest";
import { progressAllowance } from "../../bench/lib/api-requests.js";
import type { FlowResult } from "../../bench/lib/implement-flow.js";

function flowWith(durationsMs: (number | null)[]): FlowResult {
  const start = Date.parse("2026-12-06T00:00:00Z");
  return {
    checkRuns: durationsMs.map((ms, i) => ({
      name: `chant/check-${i}`,
      status: ms === null ? "in_progress" : "completed",
      conclusion: ms === null ? null : "success",
      startedAt: new Date(start).toISOString(),
      completedAt: ms === null ? null : new Date(start + ms).toISOString(),
    })),
  } as Partial<FlowResult> as FlowResult;
}

describe("progressAllowance: one in_progress write per check that ran past the delay", () => {
  it("counts the checks that ran the delay or longer, never one still running", () => {
    expect(progressAllowance(flowWith([100, 1500, 1899]), 2000)).toBe(0);
    expect(progressAllowance(flowWith([1900, 2000, 45_000]), 2000)).toBe(3);
    expect(progressAllowance(flowWith([null, 3000]), 2000)).toBe(1);
  });
});
