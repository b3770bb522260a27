import { describe, expect, it } from "vitest";
import { parseSpec } from "../../src/chant-format/parse-spec.js";
import { serializeSpec, strictWriteProblems } from "../../src/chant-format/serialize-spec.js";
import { DEFAULT_CONFIG } from "../../src/domain/repo-config.js";
import { planReason, withPendingApproval } from "../../src/pipeline/approval/commit-plan.js";
import { draftImplementationSpec } from "../../src/pipeline/draft-spec/draft-implementation-spec.js";
import { findResearchSpec } from "../../src/pipeline/find-research/find-research-spec.js";
import { loadFixtureRepo, MemoryFiles } from "../support/memory-files.js";

const RESEARCH = ".chant/specs/2026-01-28-001-res.md";

/** kv-store's research chain for issue 42, found as the worker finds it; `gate` adds chant's approval to its research spec. */
async function found(gate: boolean) {
  const files = loadFixtureRepo("kv-store");
  if (gate) {
    const spec = parseSpec(RESEARCH, files[RESEARCH]!);
    files[RESEARCH] = serializeSpec({
      ...spec,
      frontmatter: {
        ...spec.frontmatter,
        approval: { required: true, status: "approved", by: "lead" },
      },
    });
  }
  const outcome = await findResearchSpec(new MemoryFiles(files), { issueNumber: 42, texts: [] });
  if (outcome.kind !== "found") throw new Error(`expected the chain, got ${outcome.kind}`);
  return { found: outcome };
}

const request = { target: 42, issueNumber: 42, force: false };
const approving = {
  ...request,
  decision: {
    kind: "approve" as const,
    sha: "a".repeat(40),
    by: "bob",
    at: "2026-01-28T14:30:45Z",
  },
};

describe("when a run stops at the plan", () => {
  it("says why: the config, the request, or a research spec of the chain that requires approval", async () => {
    const plain = await found(false);
    expect(planReason(request, DEFAULT_CONFIG, plain)).toBeUndefined();
    const required = {
      ...DEFAULT_CONFIG,
      approval: { ...DEFAULT_CONFIG.approval, required: true },
    };
    expect(planReason(request, required, plain)).toBe(
      "`.github/chant.yml` sets `approval.required: true`",
    );
    expect(planReason({ ...request, plan: true }, DEFAULT_CONFIG, plain)).toBe(
      "the request asked for a plan first",
    );
    expect(planReason(request, DEFAULT_CONFIG, await found(true))).toBe(
      "the research spec `2026-01-28-001-res` has `approval.required: true`",
    );
    // An approval goes on to the agent, whatever asked for the plan.
    expect(planReason({ ...approving, plan: true }, required, await found(true))).toBeUndefined();
  });

  it("drafts the plan as chant's --needs-approval does, strict enough for chant", async () => {
    const { found: chain } = await found(false);
    const drafted = draftImplementationSpec({
      id: "2026-01-29-001-abc",
      issueNumber: 42,
      research: chain.research,
      chain: chain.chain,
    });
    const plan = withPendingApproval(drafted);
    const reread = parseSpec(plan.path, plan.content);
    expect(reread.frontmatter.approval).toEqual({ required: true, status: "pending" });
    expect(reread.frontmatter.status).toBe("pending");
    expect(reread.body).toBe(drafted.body);
    expect(strictWriteProblems({ ...reread, id: "2026-01-29-001-abc" })).toEqual([]);
    expect(plan.content).toContain("approval:\n  required: true\n  status: pending\n---\n");
  });
});
