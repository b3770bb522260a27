import { describe, expect, it } from "vitest";
import {
  API_BUDGET,
  countApi,
  countByEndpoint,
  GIT_BUDGET,
  PHASES,
  progressAllowance,
  WRITE_BUDGET,
} from "../../bench/lib/api-requests.js";
import { IN_PROGRESS_AFTER_MS } from "../../src/pipeline/checks/check-run-reporter.js";
import { FIX_AGENT, runImplementFlow } from "../../bench/lib/implement-flow.js";

/**
 * The GitHub API budget of one implement flow (label -> draft PR with four
 * completed check runs), counted by the GitHub stand-in. Every request costs
 * rate limit, and every write costs at least a second under Probot's throttle:
 * a change that adds requests to the flow must raise the budget on purpose
 * (bench/lib/api-requests.ts; the figures are explained in BENCHMARKS.md).
 */
describe("GitHub requests per implement flow", () => {
  it("stays within the budget, phase by phase", { timeout: 120_000 }, async () => {
    const flow = await runImplementFlow({ agentScript: FIX_AGENT });
    expect(flow.outcome).toBe("succeeded");
    expect(flow.pulls).toBe(1);
    expect(flow.statusComments).toBe(1);
    expect(flow.checkRuns.map((r) => [r.name, r.status, r.conclusion]).sort()).toEqual([
      ["chant/format", "completed", "success"],
      ["chant/lint", "completed", "success"],
      ["chant/reproduction", "completed", "success"],
      ["chant/tests", "completed", "success"],
    ]);
    // A path the stand-in does not serve would be a 404 the app swallowed, uncounted work.
    expect(flow.unrouted).toEqual([]);

    const counts = countApi(flow);
    const table = countByEndpoint(flow)
      .map((e) => `${String(e.total).padStart(3)}  ${e.endpoint}`)
      .join("\n");
    // Checks that ran 2 s or more (a loaded machine) each add their in_progress mark.
    const progress = progressAllowance(flow, IN_PROGRESS_AFTER_MS);
    const budget = { ...API_BUDGET, checks: API_BUDGET.checks + progress };
    budget.total += progress;
    for (const phase of PHASES) {
      expect(
        counts.api[phase],
        `${phase} made ${counts.api[phase]} API requests (budget ${budget[phase]}, ${progress} long-running checks):\n${table}`,
      ).toBeLessThanOrEqual(budget[phase]);
    }
    expect(counts.api.total, `by endpoint:\n${table}`).toBeLessThanOrEqual(budget.total);
    expect(counts.writes.total, `by endpoint:\n${table}`).toBeLessThanOrEqual(
      WRITE_BUDGET + progress,
    );
    expect(counts.git, `by endpoint:\n${table}`).toBeLessThanOrEqual(GIT_BUDGET);
  });
});
