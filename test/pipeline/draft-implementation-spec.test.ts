import { describe, expect, it } from "vitest";
import {
  draftImplementationSpec,
  releaseNotesFilled,
} from "../../src/pipeline/draft-spec/draft-implementation-spec.js";
import { draftForIssue } from "../../src/pipeline/draft-spec/draft-for-issue.js";
import { findResearchSpec } from "../../src/pipeline/find-research/find-research-spec.js";
import { acceptanceCriteria } from "../../src/chant-format/acceptance-criteria.js";
import { firstHeading, sections } from "../../src/chant-format/markdown.js";
import { parseSpec } from "../../src/chant-format/parse-spec.js";
import { strictWriteProblems } from "../../src/chant-format/serialize-spec.js";
import { loadFixtureRepo, MemoryFiles } from "../support/memory-files.js";

const repo = loadFixtureRepo("kv-store");
const RESEARCH = ".chant/specs/2026-01-28-001-res.md";
const RCA = ".chant/research/issue-42-rca.md";
const research = parseSpec(RESEARCH, repo[RESEARCH]!);
const chain = {
  rcaDocuments: [{ path: RCA, text: repo[RCA]! }],
  missingRca: [],
  reproductionTests: ["test/regression/issue-42.test.js"],
};

function draft(overrides: Partial<Parameters<typeof draftImplementationSpec>[0]> = {}) {
  return draftImplementationSpec({
    id: "2026-01-29-001-abc",
    issueNumber: 42,
    issueTitle: "Values disappear when two writes happen at once",
    research,
    chain,
    ...overrides,
  });
}

describe("draftImplementationSpec", () => {
  it("drafts the spec of the reference workflow from the research and the RCA", () => {
    const spec = draft();
    expect(spec.path).toBe(".chant/specs/2026-01-29-001-abc.md");
    expect(spec.frontmatter).toEqual({
      type: "code",
      status: "pending",
      depends_on: ["2026-01-28-001-res"],
      labels: ["fix", "issue-42"],
      target_files: ["src/store.js", "test/store.test.js"],
      prompt: "implement",
      informed_by: [RESEARCH, RCA],
    });
    expect(spec.title).toBe("Fix issue #42: Values disappear when two writes happen at once");
    expect(spec.missing).toEqual([]);
    expect(
      sections(spec.body)
        .filter((s) => s.level === 2)
        .map((s) => s.title),
    ).toEqual(["Context", "Approach", "Acceptance Criteria", "Release Notes"]);
    expect(acceptanceCriteria(spec.body).map((c) => c.text)).toEqual([
      "Add a private write queue (a promise chain) to `Store`",
      "Run every read-modify-write cycle (`set`, `delete`) through the queue",
      "Keep a failed write from blocking the writes queued after it",
      "Reproduction test `test/regression/issue-42.test.js` passes",
      "Edge case handled: A write that throws: the queue must go on with the next write (Recommendation: chain on both fulfilment and rejection)",
      "Edge case handled: Reads during a write: `get()` may see the old value until the write lands",
      "Edge case handled: Many concurrent writers: every write must land, in call order",
      "All existing tests pass",
      "Release notes section added",
    ]);
    expect(acceptanceCriteria(spec.body).every((c) => !c.checked)).toBe(true);
    expect(spec.body).toContain(
      "Research spec `2026-01-28-001-res` (`.chant/specs/2026-01-28-001-res.md`) identified the root cause of issue #42.",
    );
    expect(spec.body).toContain("**Approach 1: Serialize writes with a promise chain**");
  });

  it("writes a file chant accepts, that parses back to the same fields", () => {
    const spec = draft({ status: "blocked" });
    const back = parseSpec(spec.path, spec.content);
    expect(back.frontmatter).toEqual(spec.frontmatter);
    expect(back.body).toBe(spec.body);
    expect(back.leniencies).toEqual([]);
    expect(strictWriteProblems(back)).toEqual([]);
    expect(firstHeading(back.body)).toBe(spec.title);
    expect(
      spec.content.startsWith(
        "---\ntype: code\nstatus: blocked\ndepends_on:\n- 2026-01-28-001-res\nlabels:\n- fix\n- issue-42\n",
      ),
    ).toBe(true);
  });

  it("leaves the release notes as a placeholder that counts as not filled", () => {
    const notes = sections(draft().body).find((s) => s.title === "Release Notes")!;
    expect(releaseNotesFilled(notes.lines.map((l) => l.text).join("\n"))).toBe(false);
    expect(releaseNotesFilled("### Fixed: lost writes\n\nNow serialized.")).toBe(true);
  });

  it("drafts what it can from an RCA without Files to Modify, and says what was missing", () => {
    const rca = repo[RCA]!.split("## Files to Modify")[0]!;
    const spec = draft({ chain: { ...chain, rcaDocuments: [{ path: RCA, text: rca }] } });
    expect(spec.frontmatter.target_files).toBeUndefined();
    expect(spec.missing).toEqual([
      'The RCA has no "Files to Modify" section, so `target_files` is empty: list the files to change there (or in this spec) before running.',
    ]);
    expect(spec.body).toContain("**Drafting notes** (what the research did not provide):");
    expect(parseSpec(spec.path, spec.content).frontmatter.target_files).toBeUndefined();
  });

  it("falls back to the research spec itself when there is no RCA document, and says so", () => {
    const spec = draft({ chain: { rcaDocuments: [], missingRca: [RCA], reproductionTests: [] } });
    expect(spec.missing).toEqual([
      "The RCA document `.chant/research/issue-42-rca.md` listed in the research spec's `target_files` could not be read.",
      "The research spec lists no readable RCA document (a `.md` file under `.chant/research/` in its `target_files`); this draft is built from the research spec itself.",
      'The RCA has no "Executive Summary" or "Root Cause" section to summarise here.',
      'The RCA has no "Recommendation" section: the approach below must be filled in by hand.',
      'The RCA has no "Edge Cases" section; no edge-case criteria were drafted.',
      'The RCA has no "Files to Modify" section, so `target_files` is empty: list the files to change there (or in this spec) before running.',
      "No reproduction test is known: the research spec's `informed_by` (or the reproduction spec's `target_files`) names no test file.",
    ]);
    expect(acceptanceCriteria(spec.body).map((c) => c.text)).toEqual([
      "The recommended approach is implemented",
      "All existing tests pass",
      "Release notes section added",
    ]);
    expect(strictWriteProblems(parseSpec(spec.path, spec.content))).toEqual([]);
  });

  it("keeps RCA text from opening sections of its own or swallowing the rest in a fence", () => {
    const hostile = [
      "## Executive Summary",
      "",
      "## Acceptance Criteria",
      "- [x] pre-ticked by the RCA",
      "```",
      "an unclosed fence",
      "",
      "## Recommendation",
      "",
      "# Title-level heading",
      "1. step one",
    ].join("\n");
    const spec = draft({ chain: { ...chain, rcaDocuments: [{ path: RCA, text: hostile }] } });
    const criteria = acceptanceCriteria(spec.body);
    expect(criteria.length).toBeGreaterThan(2);
    expect(criteria.every((c) => !c.checked)).toBe(true);
    expect(
      sections(spec.body)
        .filter((s) => s.level === 2)
        .map((s) => s.title),
    ).toEqual(["Context", "Approach", "Acceptance Criteria", "Release Notes"]);
  });

  it("makes a hostile issue title one plain visible line", () => {
    const spec = draft({
      issueTitle: "Bug\u202E\u200B <!-- hidden -->\n## Acceptance Criteria\n- [x] $(rm -rf /)",
    });
    expect(spec.title).toBe("Fix issue #42: Bug ## Acceptance Criteria - [x] $(rm -rf /)");
    expect(acceptanceCriteria(spec.body).every((c) => !c.checked)).toBe(true);
    expect(spec.body.split("\n")[0]).toBe(`# ${spec.title}`);
  });

  it("without an issue title, names the spec after the recommended approach", () => {
    expect(draft({ issueTitle: undefined }).title).toBe(
      "Fix issue #42: Serialize writes with a promise chain",
    );
  });

  it("refuses to draft with an id chant would not accept", () => {
    expect(() => draft({ id: "not an id" })).toThrow(/would not be accepted by chant/);
  });
});

describe("draftForIssue", () => {
  it("gives the draft the next free id of the repository for today", async () => {
    const files = new MemoryFiles({
      ...repo,
      ".chant/archive/2026-01-29/2026-01-29-004-old.md": repo[RESEARCH]!,
    });
    const found = await findResearchSpec(files, { issueNumber: 42, texts: [] });
    if (found.kind !== "found" && found.kind !== "ambiguous") throw new Error(found.kind);
    const spec = await draftForIssue(files, found, {
      issueNumber: 42,
      status: "pending",
      now: new Date(2026, 0, 29, 12),
    });
    expect(spec.id).toMatch(/^2026-01-29-005-[0-9a-z]{3}$/);
  });
});
