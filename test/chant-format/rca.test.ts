import { describe, expect, it } from "vitest";
import { extractPath, parseRcaDocument } from "../../src/chant-format/rca.js";
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

describe("parseRcaDocument on free-form RCAs", () => {
  const options = [
    "# RCA",
    "",
    "## The Fix Approach",
    "",
    "### Option 1: File-Based Locking (Recommended)",
    "",
    "Take an exclusive lock around the read-modify-write.",
    "",
    "```python",
    "with self._lock():",
    "    write()",
    "```",
    "",
    "**Pros:**",
    "- Works across processes",
    "",
    "**Cons:**",
    "- Platform-specific",
    "",
    "### Option 2: Atomic Operations",
    "",
    "Redesign the storage layer.",
    "",
    "### Option 3: In-Memory Locks (Not Recommended)",
    "",
    "- ❌ only threads",
    "",
    "## Recommended Solution",
    "",
    "**Use file-based locking (Option 1)** because:",
    "1. Minimal code changes required",
    "2. Works across processes",
    "",
  ].join("\n");

  it("takes the recommended option only, names the others, and no reasons or pros as steps", () => {
    const rca = parseRcaDocument("rca.md", options);
    expect(rca.options.map((o) => [o.title, o.recommended, o.rejected])).toEqual([
      ["Option 1: File-Based Locking", true, false],
      ["Option 2: Atomic Operations", false, false],
      ["Option 3: In-Memory Locks", false, true],
    ]);
    const rec = rca.recommendation!;
    expect(rec.title).toBe("Option 1: File-Based Locking");
    expect(rec.text).toMatch(/^\*\*Use file-based locking \(Option 1\)\*\* because:/);
    expect(rec.option?.text).toContain("with self._lock():");
    expect(rec.option?.text).not.toMatch(/Pros|Works across processes|Platform-specific/);
    expect(rec.option?.pros).toEqual(["Works across processes"]);
    expect(rec.option?.cons).toEqual(["Platform-specific"]);
    expect(rec.steps).toEqual([]);
    expect(rec.rejected).toEqual(["Option 2: Atomic Operations", "Option 3: In-Memory Locks"]);
    expect(rca.tradeoffs).toEqual(["Platform-specific"]);
  });

  it.each([
    ["a `Recommendation: Approach N` heading", "## Recommendation: Approach 2\n\nSafer.\n"],
    ["a bold line naming it", "**Recommended: Approach 2** - the safer one.\n"],
    ["a decision sentence", "## Decision\n\nWe go with Approach 2.\n"],
  ])("finds the option named by %s", (_name, tail) => {
    const text = `## Approach 1: Fast\n\nQuick.\n+ fast\n- racy\n\n## Approach 2: Safe\n\nLock it.\n+ correct\n- slower\n\n${tail}`;
    const rec = parseRcaDocument("rca.md", text).recommendation!;
    expect(rec.option?.title).toBe("Approach 2: Safe");
    expect(rec.option?.text).toBe("Lock it.");
    expect(rec.option?.cons).toEqual(["slower"]);
    expect(rec.rejected).toEqual(["Approach 1: Fast"]);
  });

  it("does not read a list of options as the recommendation", () => {
    const text = [
      "## Solution Options",
      "",
      "**Option A: Commit first**",
      "- Commit the status",
      "- Pro: clean history",
      "- Con: more commits",
      "",
      "**Option B: Copy after**",
      "- Copy the spec file",
      "- Pro: no commits",
      "",
      "**Recommended: Option B** - copy the spec after creating the worktree.",
    ].join("\n");
    const rec = parseRcaDocument("rca.md", text).recommendation!;
    expect(rec.title).toBe("Option B: Copy after");
    expect(rec.text).toBe("**Recommended: Option B** - copy the spec after creating the worktree.");
    expect(rec.steps).toEqual(["Copy the spec file"]);
    expect(rec.rejected).toEqual(["Option A: Commit first"]);
  });

  it("reads a one-line fix strategy when there is no recommendation section", () => {
    const rec = parseRcaDocument(
      "rca.md",
      "## Summary\n\nRoot Cause: no key\nFix Strategy: insert-or-get by order id\n",
    ).recommendation!;
    expect(rec.title).toBe("insert-or-get by order id");
  });

  it("finds where the bug is and every place called vulnerable, but not the safe ones", () => {
    const text = [
      "## The Buggy Code",
      "",
      "**File:** `src/storage/store.py`",
      "**Function:** `Store.set(key, value)`",
      "**Lines:** 23-28",
      "",
      "## Additional Vulnerable Locations",
      "",
      "Scanning `src/storage/store.py` reveals the same pattern in:",
      "",
      "**Function:** `Store.update(key, updates)` (lines 35-39)",
      "",
      "- `purge()` in `src/storage/gc.py:12` does it too",
      "",
      "## Similar Patterns Found",
      "",
      "| Location | Pattern | Affected? |",
      "|---|---|---|",
      "| src/storage/batch.rs:89 | read-modify-write | YES - same bug |",
      "| src/cache/update.rs:203 | locked | NO - already safe |",
      "",
      "### Safe Operations",
      "",
      "- `Store.get(key)` in `src/storage/store.py:26` only reads",
    ].join("\n");
    const rca = parseRcaDocument("rca.md", text);
    expect(rca.primaryLocation).toEqual({
      name: "Store.set(key, value)",
      path: "src/storage/store.py",
      lines: "23-28",
      note: undefined,
    });
    expect(rca.vulnerable.map((l) => [l.name, l.path, l.lines])).toEqual([
      ["Store.update(key, updates)", "src/storage/store.py", "35-39"],
      ["purge()", "src/storage/gc.py", "12"],
      ["src/storage/batch.rs:89", "src/storage/batch.rs", "89"],
    ]);
    expect(rca.fileMentions.map((f) => f.path)).toEqual([
      "src/storage/store.py",
      "src/storage/gc.py",
      "src/storage/batch.rs",
    ]);
  });

  it("takes criteria from verification, testing and documentation sections, not from pros and cons", () => {
    const text = [
      "## Pros and Cons",
      "- Pro: fast",
      "",
      "## Verification",
      "- [ ] The race test passes",
      "- ✅ Throughput within 5%",
      "",
      "## Test Coverage Gaps",
      "Tests to add:",
      "- Concurrent delete",
      "",
      "## Documentation Updates Needed",
      "- docs/storage.md - new locking model",
    ].join("\n");
    const rca = parseRcaDocument("rca.md", text);
    expect(rca.verification).toEqual(["The race test passes", "Throughput within 5%"]);
    expect(rca.testsToAdd).toEqual(["Concurrent delete"]);
    expect(rca.docsToUpdate).toEqual(["docs/storage.md - new locking model"]);
  });

  it("reads a CRLF document like an LF one", () => {
    const crlf = parseRcaDocument("rca.md", options.replace(/\n/g, "\r\n"));
    const lf = parseRcaDocument("rca.md", options);
    expect(crlf).toEqual(lf);
  });
});
