import { describe, expect, it } from "vitest";
import { extractPath, parseRcaDocument } from "../../src/spec/rca.js";
import { loadFixtureRepo } from "../support/memory-files.js";

describe("parseRcaDocument", () => {
  it("reads the sections of the kv-store RCA", () => {
    const rca = parseRcaDocument(
      "rca.md",
      loadFixtureRepo("kv-store")[".chant/research/issue-42-rca.md"]!,
    );
    expect(rca.summary).toMatch(/^`Store.set\(\)` and `Store.delete\(\)` read the whole data set/);
    expect(rca.rootCause).toMatch(/^In `src\/store.js`/);
    expect(rca.recommendation?.title).toBe("Approach 1: Serialize writes with a promise chain");
    // Justifications are not steps.
    expect(rca.recommendation?.steps).toEqual([
      "Add a private write queue (a promise chain) to `Store`",
      "Run every read-modify-write cycle (`set`, `delete`) through the queue",
      "Keep a failed write from blocking the writes queued after it",
    ]);
    expect(rca.filesToModify).toEqual([
      { path: "src/store.js", note: "serialize `set` and `delete` through a write queue" },
      { path: "test/store.test.js", note: "add tests for the edge cases" },
    ]);
    expect(rca.edgeCases).toEqual([
      "A write that throws: the queue must go on with the next write (Recommendation: chain on both fulfilment and rejection)",
      "Reads during a write: `get()` may see the old value until the write lands",
      "Many concurrent writers: every write must land, in call order",
    ]);
  });

  it.each([
    ["numbered, backticked, dash note", "1. `src/a.ts` - fix it", "src/a.ts", "fix it"],
    [
      "bulleted, bare path, colon note",
      "- src/lib/b.py: guard the None case",
      "src/lib/b.py",
      "guard the None case",
    ],
    ["bold path", "* **src/c.rs** — add locking", "src/c.rs", "add locking"],
    [
      "path with a line number",
      "- `src/d.go:145` (lines 140-160): the hot path",
      "src/d.go",
      "the hot path",
    ],
    ["leading ./", "- ./e/f.ts", "e/f.ts", undefined],
    ["top-level file", "- Cargo.toml - bump the lock crate", "Cargo.toml", "bump the lock crate"],
  ])("reads a files-to-modify entry: %s", (_name, line, path, note) => {
    const rca = parseRcaDocument("rca.md", `# RCA\n\n## Files to Modify\n\n${line}\n`);
    expect(rca.filesToModify).toEqual([{ path, note }]);
  });

  it("reads a files-to-modify table and de-duplicates", () => {
    const rca = parseRcaDocument(
      "rca.md",
      "## Files That Need Modification\n\n| File | Change |\n|---|---|\n| `src/a.ts` | add lock |\n| `src/a.ts` | again |\n| `src/b.ts` | test |\n",
    );
    expect(rca.filesToModify?.map((f) => f.path)).toEqual(["src/a.ts", "src/b.ts"]);
  });

  it("rejects paths that leave the repository or could read as options", () => {
    const rca = parseRcaDocument(
      "rca.md",
      "## Files to Modify\n\n- `../../etc/passwd`\n- `/etc/shadow`\n- `-rf/x.js`\n- `src/ok.js`\n",
    );
    expect(rca.filesToModify?.map((f) => f.path)).toEqual(["src/ok.js"]);
    expect(rca.rejectedPaths).toEqual(["../../etc/passwd", "/etc/shadow", "-rf/x.js"]);
  });

  it("says undefined for sections that are not there, and ignores headings inside code fences", () => {
    const rca = parseRcaDocument(
      "rca.md",
      "# RCA\n\n```md\n## Files to Modify\n- src/x.ts\n```\n\n## Root Cause\n\nA race.\n",
    );
    expect(rca.filesToModify).toBeUndefined();
    expect(rca.edgeCases).toBeUndefined();
    expect(rca.recommendation).toBeUndefined();
    expect(rca.rootCause).toBe("A race.");
  });

  it("reads edge cases written as sub-headings", () => {
    const rca = parseRcaDocument(
      "rca.md",
      "## Edge Cases\n\n### Lock timeout\n\ntext\n\n### Nested writes\n",
    );
    expect(rca.edgeCases).toEqual(["Lock timeout", "Nested writes"]);
  });

  it("does not take URLs for paths", () => {
    expect(extractPath("see https://example.com/a.md for details")).toBeUndefined();
  });
});
