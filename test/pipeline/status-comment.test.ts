import { describe, expect, it } from "vitest";
import {
  freshStatus,
  pendingSteps,
  readStatusState,
  renderStatusComment,
  withNotice,
} from "../../src/domain/status.js";

describe("the status comment", () => {
  it("carries its own state: what is rendered reads back", () => {
    const state = freshStatus("running", "running the agent…", {
      details: ["Research spec `x` found."],
      steps: pendingSteps(),
      links: [{ label: "#7", url: "https://github.com/o/r/pull/7" }],
      jobId: "impl-1-42-abc",
    });
    const body = renderStatusComment(state);
    expect(body.startsWith("<!-- chant-bot:status -->\n### ⚙️ chant-bot: running the agent…")).toBe(
      true,
    );
    expect(readStatusState(body)).toEqual(state);
    expect(readStatusState(renderStatusComment(withNotice(state, "@bob: hi")))?.notice).toBe(
      "@bob: hi",
    );
  });

  it("stays under GitHub's 65,536 characters however long the quoted notes are, and still reads back", () => {
    const huge = freshStatus("needs_research", "h".repeat(5000), {
      details: Array.from({ length: 200 }, (_, i) => `> ${"n".repeat(20_000)} ${i}`),
      notice: "x".repeat(50_000),
    });
    const body = renderStatusComment(huge);
    expect(body.length).toBeLessThan(65_536);
    const back = readStatusState(body);
    expect(back?.phase).toBe("needs_research");
    expect(back?.details.at(-1)).toBe("…(more in the worker's logs)");
  });

  it("ignores a damaged or foreign state marker", () => {
    expect(readStatusState("<!-- chant-bot:state bm90IGpzb24= -->")).toBeUndefined();
    expect(readStatusState("no marker")).toBeUndefined();
  });
});
