import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundledPrompt } from "../../src/agents/render-prompt.js";
import { main } from "../../src/cli/main.js";
import { runProcess } from "../../src/process/run-process.js";
import { acceptanceCriteria } from "../../src/chant-format/acceptance-criteria.js";
import { fencesBalanced, sections, sectionText } from "../../src/chant-format/markdown.js";
import { parseSpec } from "../../src/chant-format/parse-spec.js";
import { strictWriteProblems } from "../../src/chant-format/serialize-spec.js";

/**
 * A repository laid out exactly as chant's OSS maintainer guide
 * (docs/guides/oss-maintainer-workflow in lex00/chant) lays it out for issue
 * #1234: comprehension 2026-02-08-001-r4x, reproduction 004-m2p, root cause
 * 005-k9w, impact map 008-j3n, with the frontmatter the guide shows (flow
 * lists, `depends_on: [005-k9w]` as the guide writes it), their documents in
 * `.chant/research/`, and every finished phase archived by `chant archive`
 * (`.chant/archive/2026-02-08/<id>.md`). `chant-bot draft` must find the
 * chain without help and draft what the guide's Phase 5 spec says.
 */

/** The guide's documents (its Phase 1, 3 and 4 pages), kept in the research-chain corpus. */
const GUIDE_DOCS = join(
  import.meta.dirname,
  "..",
  "fixtures",
  "research-chains",
  "guide-labelled",
  "repo",
);

const SPECS: Record<string, string> = {
  // Phase 1: Comprehension
  "2026-02-08-001-r4x": `---
type: research
status: completed
labels: [comprehension, issue-1234]
informed_by:
  - https://github.com/yourproject/kvstore/issues/1234
target_files:
  - .chant/research/issue-1234-comprehension.md
---
# Comprehension: issue #1234 data loss on concurrent writes

## Acceptance Criteria

- [x] Comprehension document written
`,
  // Phase 2: Reproduction
  "2026-02-08-004-m2p": `---
type: task
status: completed
prompt: reproduce
labels: [reproduction, issue-1234]
informed_by:
  - .chant/specs/2026-02-08-001-r4x.md
  - .chant/research/issue-1234-comprehension.md
target_files:
  - tests/regression/issue_1234_test.rs
---
# Reproduce issue #1234: data loss on concurrent writes

## Acceptance Criteria

- [x] Failing test written
`,
  // Phase 3: Root Cause
  "2026-02-08-005-k9w": `---
type: research
status: completed
labels: [root-cause, issue-1234]
informed_by:
  - .chant/specs/2026-02-08-001-r4x.md
  - .chant/specs/2026-02-08-004-m2p.md
  - tests/regression/issue_1234_test.rs
  - src/storage/store.rs
  - src/storage/concurrent.rs
target_files:
  - .chant/research/issue-1234-root-cause.md
---
# Root cause: issue #1234 concurrent write data loss

## Acceptance Criteria

- [x] Root cause document written
`,
  // Phase 4: Impact Map
  "2026-02-08-008-j3n": `---
type: research
status: completed
labels: [impact-map, issue-1234]
depends_on: [005-k9w]
informed_by:
  - .chant/research/issue-1234-root-cause.md
target_files:
  - .chant/research/issue-1234-impact-map.md
---
# Impact map: issue #1234 concurrent write pattern

## Acceptance Criteria

- [x] Impact map written
`,
};

/** The source files the guide's documents name, and the guide's regression test. */
const SOURCES: Record<string, string> = {
  "Cargo.toml": '[package]\nname = "kvstore"\nversion = "0.5.2"\n',
  "src/storage/store.rs": "pub fn write() {}\n",
  "src/storage/concurrent.rs": "pub struct Lock;\n",
  "src/storage/batch.rs": "pub fn write_batch() {}\n",
  "src/cli/write.rs": "// kvstore write\n",
  "src/api/write.rs": "// POST /write\n",
  "src/cache/update.rs": "// already locked\n",
  "docs/architecture/storage.md": "# Storage\n",
  "tests/regression/issue_1234_test.rs":
    "#[test]\nfn issue_1234_concurrent_write_loses_data() {}\n",
};

let repo: string;

beforeAll(async () => {
  repo = mkdtempSync(join(tmpdir(), "chant-oss-guide-"));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), text);
  };
  write(
    ".chant/config.md",
    '---\nproject:\n  name: kvstore\ndefaults:\n  main_branch: "main"\n---\n',
  );
  for (const [id, text] of Object.entries(SPECS)) write(`.chant/archive/2026-02-08/${id}.md`, text);
  for (const doc of ["comprehension", "root-cause", "impact-map"]) {
    const path = `.chant/research/issue-1234-${doc}.md`;
    cpSync(join(GUIDE_DOCS, path), join(repo, path));
  }
  for (const [path, text] of Object.entries(SOURCES)) write(path, text);
  const env = { PATH: process.env.PATH ?? "", HOME: repo };
  for (const args of [
    ["init", "--quiet", "--initial-branch=main"],
    ["add", "--all"],
    ["-c", "user.name=m", "-c", "user.email=m@example.com", "commit", "--quiet", "-m", "#1234"],
  ]) {
    await runProcess(["git", ...args], { cwd: repo, env, timeoutMs: 20_000 });
  }
});

afterAll(() => rmSync(repo, { recursive: true, force: true }));

async function draft(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["draft", "--repo", repo, ...args], {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    isTTY: false,
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("a repository laid out as chant's OSS maintainer guide lays it out", () => {
  it("chant-bot draft finds the chain without help and drafts the guide's Phase 5 spec", async () => {
    const result = await draft([
      "--issue",
      "1234",
      "--title",
      "add locking to concurrent writes",
      "--json",
    ]);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.out);
    expect(json.research).toMatchObject({
      id: "2026-02-08-005-k9w",
      path: ".chant/archive/2026-02-08/2026-02-08-005-k9w.md",
      rule: "label",
    });
    expect(json.chain.map((m: { id: string; phase: string }) => `${m.phase} ${m.id}`)).toEqual([
      "comprehension 2026-02-08-001-r4x",
      "reproduction 2026-02-08-004-m2p",
      "root_cause 2026-02-08-005-k9w",
      "impact_map 2026-02-08-008-j3n",
    ]);
    expect(json.rca).toEqual([".chant/research/issue-1234-root-cause.md"]);
    expect(json.reproductionTests).toEqual(["tests/regression/issue_1234_test.rs"]);

    const spec = parseSpec(json.draft.path, json.draft.content);
    // The guide's Phase 5 spec: type code, labels [fix, issue-1234], depends_on the impact map,
    // informed_by the root cause and the impact map, target_files from the impact map. The
    // depends_on entry is the full id: chant resolves depends_on by exact id (in .chant/specs/
    // and .chant/archive/*/), where the guide's `008-j3n` would not be found.
    expect(spec.frontmatter).toEqual({
      type: "code",
      status: "pending",
      depends_on: ["2026-02-08-008-j3n"],
      labels: ["fix", "issue-1234"],
      target_files: [
        "src/storage/store.rs",
        "src/storage/batch.rs",
        "tests/storage/concurrent_test.rs",
        "docs/architecture/storage.md",
      ],
      prompt: "implement",
      informed_by: [
        ".chant/archive/2026-02-08/2026-02-08-005-k9w.md",
        ".chant/research/issue-1234-root-cause.md",
        ".chant/research/issue-1234-impact-map.md",
      ],
    });
    expect(existsSync(join(repo, ".chant/archive/2026-02-08/2026-02-08-008-j3n.md"))).toBe(true);
    expect(json.draft.title).toBe("Fix issue #1234: add locking to concurrent writes");

    // A spec a chant user would take as is: chant's format, balanced fences, the guide's approach.
    expect(strictWriteProblems({ ...spec, id: json.draft.id })).toEqual([]);
    expect(spec.leniencies).toEqual([]);
    expect(fencesBalanced(spec.body)).toBe(true);
    const part = (title: string) =>
      sectionText(sections(spec.body).find((s) => s.level === 2 && s.title === title)!);
    expect(part("Approach")).toContain("**Approach 1: Pessimistic Locking**");
    expect(part("Approach")).toContain(
      "Not the other options the research weighed: Approach 2: Compare-and-Swap; Approach 3: Write-Ahead Log",
    );
    expect(part("Approach")).not.toContain("Higher throughput");
    expect(acceptanceCriteria(spec.body).map((c) => c.text)).toEqual([
      "The recommended approach is implemented: Approach 1: Pessimistic Locking",
      "Fixed: `src/storage/store.rs:145` - Read-modify-write without lock",
      "Fixed: `src/storage/batch.rs:89` - Read-modify-write without lock",
      "Reproduction test `tests/regression/issue_1234_test.rs` passes",
      "Test added: Concurrent write stress test",
      "Test added: Batch operation concurrency test",
      "Test added: Cross-process write test",
      "Documentation updated: docs/architecture/storage.md - Update concurrency model",
      "Documentation updated: CHANGELOG.md - Document the fix",
      "All existing tests pass",
      "Release notes section added",
    ]);
    expect(part("Release Notes")).toBe("<!-- Fill in after implementation -->");

    // `chant work <id>` needs `.chant/prompts/implement.md`: the draft brings chant-bot's, whose
    // placeholders are all ones chant substitutes.
    expect(json.draft.files.map((f: { path: string }) => f.path)).toEqual([
      ".chant/prompts/implement.md",
    ]);
    const prompt = await bundledPrompt("implement");
    expect(json.draft.files[0].content).toBe(prompt);
    const placeholders = new Set([...prompt.matchAll(/\{\{\s*([^}]+?)\s*\}\}/g)].map((m) => m[1]));
    for (const name of placeholders) {
      expect([
        "project.name",
        "spec.id",
        "spec.title",
        "spec.description",
        "spec.path",
        "spec",
        "spec.target_files",
        "spec.context",
      ]).toContain(name);
    }
  });

  it("says in words what it found, for the person at the command line", async () => {
    const result = await draft(["--issue", "1234"]);
    expect(result.code).toBe(0);
    expect(result.err.split("\n").slice(0, 2)).toEqual([
      "Research spec `2026-02-08-005-k9w` found (labelled with the issue).",
      "Chain: comprehension `2026-02-08-001-r4x` → reproduction `2026-02-08-004-m2p` → root cause `2026-02-08-005-k9w` → impact map `2026-02-08-008-j3n`.",
    ]);
    expect(result.err).toContain(
      "Also informed by: `.chant/research/issue-1234-impact-map.md` (impact map).",
    );
    expect(result.err).toContain("chant-bot's implement prompt is added with the spec");
    expect(parseSpec(".chant/specs/x.md", result.out).frontmatter.depends_on).toEqual([
      "2026-02-08-008-j3n",
    ]);
  });

  it("names the impact map with the guide's short id, and refuses it unfinished with the CLI's words", async () => {
    const path = join(repo, ".chant/archive/2026-02-08/2026-02-08-008-j3n.md");
    const original = SPECS["2026-02-08-008-j3n"]!;
    writeFileSync(path, original.replace("status: completed", "status: in_progress"));
    try {
      const refused = await draft(["--issue", "1234", "--spec", "008-j3n"]);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain(
        "The research chain of `2026-02-08-005-k9w` is not completed: `2026-02-08-008-j3n` is `in_progress`.",
      );
      expect(refused.err).toContain("`--spec 2026-02-08-005-k9w --force`");
      expect(refused.err).not.toContain("/chant implement");
      const forced = await draft(["--issue", "1234", "--spec", "008-j3n", "--force"]);
      expect(forced.code).toBe(0);
      expect(parseSpec(".chant/specs/x.md", forced.out).frontmatter.depends_on).toEqual([
        "2026-02-08-008-j3n",
      ]);
    } finally {
      writeFileSync(path, original);
    }
  });
});
