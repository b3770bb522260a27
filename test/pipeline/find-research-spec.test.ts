import { describe, expect, it } from "vitest";
import { describeResearchOutcome } from "../../src/pipeline/find-research/describe-outcome.js";
import {
  findResearchSpec,
  MAX_SPEC_FILES_READ,
  type ResearchOutcome,
} from "../../src/pipeline/find-research/find-research-spec.js";
import { MAX_CHAIN_SPECS } from "../../src/pipeline/find-research/research-chain.js";
import { findReproductionTests } from "../../src/pipeline/find-research/reproduction-tests.js";
import { draftImplementationSpec } from "../../src/pipeline/draft-spec/draft-implementation-spec.js";
import { acceptanceCriteria } from "../../src/chant-format/acceptance-criteria.js";
import { sections } from "../../src/chant-format/markdown.js";
import { parseSpec } from "../../src/chant-format/parse-spec.js";
import { loadFixtureRepo, MemoryFiles } from "../support/memory-files.js";

const RESEARCH = ".chant/specs/2026-01-28-001-res.md";
const REPRO = ".chant/specs/2026-01-27-002-rep.md";

function kvStore(overrides: Record<string, string | Buffer | undefined> = {}) {
  const files: Record<string, string | Buffer> = { ...loadFixtureRepo("kv-store") };
  for (const [path, content] of Object.entries(overrides)) {
    if (content === undefined) delete files[path];
    else files[path] = content;
  }
  return new MemoryFiles(files);
}

function researchSpec(opts: { status?: string; labels?: string[]; extra?: string } = {}) {
  return [
    "---",
    "type: task",
    `status: ${opts.status ?? "completed"}`,
    "labels:",
    ...(opts.labels ?? ["research", "issue-42"]).map((l) => `- ${l}`),
    "target_files:",
    "- .chant/research/issue-42-rca.md",
    "prompt: research",
    ...(opts.extra ? [opts.extra] : []),
    "---",
    "# Another look at issue 42",
    "",
  ].join("\n");
}

function expectFound(outcome: ResearchOutcome) {
  if (outcome.kind !== "found" && outcome.kind !== "ambiguous") {
    throw new Error(
      `expected research to be found, got ${outcome.kind}: ${describeResearchOutcome(outcome).headline}`,
    );
  }
  return outcome;
}

describe("findResearchSpec on the kv-store chain (triage -> reproduction -> research)", () => {
  it("does not take a chain of triage and reproduction only: no research analyses the cause yet", async () => {
    const files = kvStore({ [RESEARCH]: undefined, ".chant/research/issue-42-rca.md": undefined });
    const outcome = await findResearchSpec(files, { issueNumber: 42, texts: [] });
    expect(outcome.kind).toBe("not_found");
    const notes = (outcome as { notes: string[] }).notes.join("\n");
    expect(notes).toContain("`2026-01-27-001-tri` (comprehension)");
    expect(notes).toContain("`2026-01-27-002-rep` (reproduction)");
    expect(notes).toContain("add the root-cause research spec");
  });

  it("finds the research by its issue label and follows it to the RCA and the reproduction test", async () => {
    const files = kvStore();
    const outcome = expectFound(await findResearchSpec(files, { issueNumber: 42, texts: [] }));
    expect(outcome.kind).toBe("found");
    expect(outcome.rule).toBe("label");
    expect(outcome.research.path).toBe(RESEARCH);
    expect(outcome.issueNumber).toBe(42);
    expect(outcome.chain.rcaDocuments.map((d) => d.path)).toEqual([
      ".chant/research/issue-42-rca.md",
    ]);
    expect(outcome.chain.reproductionSpecs.map((s) => s.path)).toEqual([REPRO]);
    expect(outcome.chain.reproductionTests).toEqual(["test/regression/issue-42.test.js"]);
    expect(outcome.notes).toEqual([]);
    // One listing, one batch of spec reads, one batch for the RCA + reproduction spec.
    expect(files.listCalls).toBe(1);
    expect(files.readCalls).toBe(2);
  });

  it("reads the named spec first, then what it names, then the rest for links back to it", async () => {
    const files = kvStore();
    const outcome = expectFound(
      await findResearchSpec(files, { issueNumber: 42, texts: [], explicit: "2026-01-28-001-res" }),
    );
    expect(outcome.rule).toBe("explicit");
    expect(files.readPaths.slice(0, 2)).toEqual([RESEARCH, REPRO]);
    expect(outcome.chain.members?.map((m) => [m.spec.id, m.phase])).toEqual([
      ["2026-01-27-001-tri", "comprehension"],
      ["2026-01-27-002-rep", "reproduction"],
      ["2026-01-28-001-res", "root_cause"],
    ]);
    // The triage document is not read: the root cause is known, and it is not the RCA.
    expect(files.readPaths).not.toContain(".chant/triage/issue-42.md");
  });

  it("takes the chain's root cause when the command names another phase of it", async () => {
    const outcome = expectFound(
      await findResearchSpec(kvStore(), { issueNumber: 42, texts: [], explicit: `./${REPRO}` }),
    );
    expect(outcome.research.path).toBe(RESEARCH);
    expect(outcome.chain.reproductionSpecs.map((s) => s.path)).toEqual([REPRO]);
    expect(outcome.notes).toEqual([]);
  });

  it("says when the named spec does not look like research, and uses it as named", async () => {
    const code = ".chant/specs/2026-01-29-001-cod.md";
    const files = kvStore({
      [code]: "---\ntype: code\nstatus: completed\n---\n# Tidy the store\n",
    });
    const outcome = expectFound(
      await findResearchSpec(files, { issueNumber: 42, texts: [], explicit: code }),
    );
    expect(outcome.research.path).toBe(code);
    expect(outcome.chain.lastResearch?.path).toBe(code);
    expect(outcome.notes[0]).toMatch(/does not look like a research spec/);
  });

  it.each([
    ["2026-01-01-001-zzz", /There is no spec `2026-01-01-001-zzz`/],
    [".chant/specs/nope.md", /There is no `.chant\/specs\/nope.md`/],
    ["../../etc/passwd", /is not a spec path/],
    ["$(touch /tmp/pwned)", /is not a spec (id|path)/],
    ['zzz";echo${IFS}"hello";#', /is not a spec id/],
    ["src/store.js", /is not a spec path/],
  ])("refuses the explicit argument %j clearly", async (arg, message) => {
    const outcome = await findResearchSpec(kvStore(), {
      issueNumber: 42,
      texts: [],
      explicit: arg,
    });
    expect(outcome.kind).toBe("invalid");
    expect(describeResearchOutcome(outcome).headline).toMatch(message);
  });

  it("finds a spec whose id is only mentioned in the issue body (no label)", async () => {
    const files = kvStore({ [RESEARCH]: researchSpec({ labels: ["research"] }) });
    const outcome = expectFound(
      await findResearchSpec(files, {
        issueNumber: 42,
        texts: ["The analysis is in 2026-01-28-001-res, see there."],
      }),
    );
    expect(outcome.rule).toBe("mentioned");
    expect(outcome.research.path).toBe(RESEARCH);
    // Mentioned specs are read before the rest, so the read limit cannot leave them out.
    expect(files.readPaths[0]).toBe(RESEARCH);
  });

  it("ignores ids hidden in HTML comments and notes mentions of specs that do not exist", async () => {
    const outcome = expectFound(
      await findResearchSpec(kvStore(), {
        issueNumber: 42,
        texts: ["<!-- 2026-01-27-002-rep --> see .chant/specs/2026-09-09-001-zzz.md"],
      }),
    );
    expect(outcome.rule).toBe("label");
    expect(outcome.notes).toEqual([
      "`.chant/specs/2026-09-09-001-zzz.md` is mentioned, but there is no such spec in test/repo@main.",
    ]);
  });

  it("finds research that was archived", async () => {
    const content = loadFixtureRepo("kv-store")[RESEARCH]!;
    const files = kvStore({
      [RESEARCH]: undefined,
      ".chant/archive/2026-01-28/2026-01-28-001-res.md": content,
    });
    const outcome = expectFound(await findResearchSpec(files, { issueNumber: 42, texts: [] }));
    expect(outcome.research.path).toBe(".chant/archive/2026-01-28/2026-01-28-001-res.md");
  });

  it("with two research specs prefers the completed one and names the other", async () => {
    const files = kvStore({
      ".chant/specs/2026-02-01-001-new.md": researchSpec({ status: "in_progress" }),
    });
    const outcome = expectFound(await findResearchSpec(files, { issueNumber: 42, texts: [] }));
    expect(outcome.kind).toBe("ambiguous");
    expect(outcome.research.path).toBe(RESEARCH);
    expect(outcome.reason).toBe("`2026-01-28-001-res` is the only completed one");
    const text = describeResearchOutcome(outcome);
    expect(text.details).toContain(
      "- also matched: `.chant/specs/2026-02-01-001-new.md` (in_progress)",
    );
  });

  it("with two completed research specs takes the newest id", async () => {
    const files = kvStore({ ".chant/specs/2026-02-01-00a-new.md": researchSpec() });
    const outcome = expectFound(await findResearchSpec(files, { issueNumber: 42, texts: [] }));
    expect(outcome.research.id).toBe("2026-02-01-00a-new");
    expect(outcome.reason).toBe(
      "`2026-02-01-00a-new` is the newest of 2 completed research chains",
    );
  });

  it("refuses research that is still in progress, unless forced", async () => {
    const files = kvStore({ [RESEARCH]: researchSpec({ status: "in_progress" }) });
    const outcome = await findResearchSpec(files, { issueNumber: 42, texts: [] });
    expect(outcome.kind).toBe("not_completed");
    const text = describeResearchOutcome(outcome);
    expect(text.headline).toBe(
      "Research spec `2026-01-28-001-res` is `in_progress`, not completed.",
    );
    expect(text.details.join("\n")).toMatch(/`\/chant implement 2026-01-28-001-res --force`/);

    const forced = expectFound(
      await findResearchSpec(files, { issueNumber: 42, texts: [], force: true }),
    );
    expect(forced.notes[0]).toMatch(/going ahead because of `--force`/);
  });

  it("reads a research spec with status: ready as not completed", async () => {
    const files = kvStore({ [RESEARCH]: researchSpec({ status: "ready" }) });
    expect((await findResearchSpec(files, { issueNumber: 42, texts: [] })).kind).toBe(
      "not_completed",
    );
  });

  it("finds nothing for another issue and says exactly what to add", async () => {
    const outcome = await findResearchSpec(kvStore(), { issueNumber: 7, texts: [] });
    expect(outcome.kind).toBe("not_found");
    const text = describeResearchOutcome(outcome);
    expect(text.headline).toBe("No research spec found for issue #7.");
    expect(text.details.join("\n")).toMatch(/the label `issue-7`/);
  });

  it("reads CRLF specs", async () => {
    const crlf = (text: string) => text.replace(/\n/g, "\r\n");
    const repo = loadFixtureRepo("kv-store");
    const files = kvStore({ [RESEARCH]: crlf(repo[RESEARCH]!), [REPRO]: crlf(repo[REPRO]!) });
    const outcome = expectFound(await findResearchSpec(files, { issueNumber: 42, texts: [] }));
    expect(outcome.chain.reproductionTests).toEqual(["test/regression/issue-42.test.js"]);
  });

  it("skips giant, binary and malformed spec files with a note naming file and line", async () => {
    const files = kvStore({
      ".chant/specs/2026-01-01-001-big.md": `---\ntype: code\n---\n${"x".repeat(2 * 1024 * 1024)}`,
      ".chant/specs/2026-01-01-002-bin.md": Buffer.from([0x2d, 0x2d, 0x2d, 0x0a, 0x00, 0xff]),
      ".chant/specs/2026-01-01-003-bad.md": "---\ntype: code\nlabels: [oops\n---\n",
    });
    const outcome = expectFound(await findResearchSpec(files, { issueNumber: 42, texts: [] }));
    expect(outcome.research.path).toBe(RESEARCH);
    expect(outcome.notes).toEqual([
      "`.chant/specs/2026-01-01-001-big.md` was skipped: 2048 KiB is too large for a spec.",
      "`.chant/specs/2026-01-01-002-bin.md` was skipped: it is a binary file, not a markdown spec.",
      expect.stringMatching(/^`\.chant\/specs\/2026-01-01-003-bad\.md:\d+`: invalid YAML/),
    ]);
    // The giant file is never read.
    expect(files.readPaths).not.toContain(".chant/specs/2026-01-01-001-big.md");
  });

  it("notes an RCA document that the research lists but that is missing", async () => {
    const files = kvStore({ ".chant/research/issue-42-rca.md": undefined });
    const outcome = expectFound(await findResearchSpec(files, { issueNumber: 42, texts: [] }));
    expect(outcome.chain.rcaDocuments).toEqual([]);
    expect(outcome.chain.missingRca).toEqual([".chant/research/issue-42-rca.md"]);
  });
});

describe("findResearchSpec on a pull request", () => {
  const prSpec = ".chant/specs/2026-02-02-001-prr.md";

  it("finds research the pull request adds, and takes the issue number from its label", async () => {
    const files = kvStore({ [RESEARCH]: undefined, [prSpec]: researchSpec() });
    const outcome = expectFound(
      await findResearchSpec(files, {
        issueNumber: undefined,
        texts: ["Research for the store bug"],
        pullRequest: { number: 50, changedFiles: [prSpec, "src/store.js"], fromFork: false },
      }),
    );
    expect(outcome.rule).toBe("pull_request");
    expect(outcome.issueNumber).toBe(42);
  });

  it("does not read the specs a fork pull request changes", async () => {
    const files = kvStore({ [RESEARCH]: undefined, [prSpec]: researchSpec() });
    const outcome = await findResearchSpec(files, {
      issueNumber: undefined,
      texts: [],
      pullRequest: { number: 51, changedFiles: [prSpec], fromFork: true },
    });
    expect(outcome.kind).toBe("not_found");
    expect(outcome.notes[0]).toMatch(/comes from a fork/);
  });
});

describe("findResearchSpec in a huge repository: bounded work, said out loud", () => {
  /** kv-store plus `count` code specs, newest ids 2026-03-..., each a few bytes. */
  function huge(count: number, overrides: Record<string, string | undefined> = {}) {
    const extra: Record<string, string> = {};
    for (let i = 0; i < count; i++) {
      const day = String(1 + (i % 28)).padStart(2, "0");
      const seq = Math.floor(i / 28)
        .toString(36)
        .padStart(3, "0");
      extra[`.chant/${i % 4 === 0 ? "archive" : "specs"}/2026-03-${day}-${seq}-zzz.md`] =
        "---\ntype: code\nstatus: completed\nlabels:\n- issue-9\n---\n# filler\n";
    }
    return kvStore({ ...extra, ...overrides });
  }

  it("lists at most MAX_SPEC_FILES_LISTED and reads at most MAX_SPEC_FILES_READ, and the outcome says what was left out", async () => {
    // 20,000 newer specs bury kv-store's research (2026-01-28), labelled issue-42.
    const files = huge(20_000);
    const outcome = await findResearchSpec(files, { issueNumber: 42, texts: [] });
    expect(files.listCalls).toBe(1);
    expect(new Set(files.readPaths).size).toBeLessThanOrEqual(MAX_SPEC_FILES_READ);
    expect(files.readPaths.length).toBeLessThanOrEqual(MAX_SPEC_FILES_READ);
    expect(outcome.kind).toBe("not_found");
    if (outcome.kind !== "not_found") return;
    expect(outcome.limited).toBe(true);
    expect(outcome.notes[0]).toMatch(
      /^\*\*Not every spec was searched\*\*: `.chant\/specs\/` and `.chant\/archive\/` hold 20,00\d spec files, and chant-bot considers at most 5,000 per job .* so 15,00\d were not searched\. Name the research spec to use one of them: `\/chant implement <spec-id>`\.$/,
    );
    expect(outcome.notes[1]).toMatch(
      /^\*\*Not every spec was read\*\*: chant-bot reads at most 500 spec files per job \(the newest first\), so 4,500 more/,
    );
    // What the status comment shows.
    const text = describeResearchOutcome(outcome);
    expect(text.headline).toBe(
      "No research spec found for issue #42 (not every spec file was searched: the repository has more than one job reads).",
    );
    expect(text.details.join("\n")).toContain("Not every spec was searched");
    // The newest were the ones read; active specs before archived ones.
    expect(files.readPaths.every((p) => p.startsWith(".chant/specs/2026-03-"))).toBe(true);
  });

  it("still finds a spec named in the command, however far down the listing", async () => {
    const files = huge(20_000);
    const outcome = expectFound(
      await findResearchSpec(files, { issueNumber: 42, texts: [], explicit: "2026-01-28-001-res" }),
    );
    expect(outcome.research.path).toBe(RESEARCH);
    expect(outcome.chain.reproductionTests).toEqual(["test/regression/issue-42.test.js"]);
    // The named spec first; the walk back along the chain's links stays within the read limit.
    expect(files.readPaths[0]).toBe(RESEARCH);
    const specReads = files.readPaths.filter((p) => /^\.chant\/(specs|archive)\//.test(p));
    expect(new Set(specReads).size).toBe(specReads.length);
    expect(specReads.length).toBeLessThanOrEqual(MAX_SPEC_FILES_READ);
  });

  it("finds research among the newest specs and notes the unread rest", async () => {
    const newest = ".chant/specs/2026-04-01-001-new.md";
    const files = huge(1_000, { [newest]: researchSpec() });
    const outcome = expectFound(await findResearchSpec(files, { issueNumber: 42, texts: [] }));
    expect(outcome.research.path).toBe(newest);
    expect(files.readPaths.filter((p) => p.startsWith(".chant/")).length).toBeLessThanOrEqual(
      MAX_SPEC_FILES_READ + 1,
    );
    expect(outcome.notes).toEqual([
      expect.stringMatching(/^\*\*Not every spec was read\*\*: .* so 50\d more/),
    ]);
  });

  it("bounds the spec files a mention-stuffed issue body makes it read", async () => {
    const files = huge(2_000);
    const ids = Object.keys(files.files)
      .filter((p) => p.includes("2026-03-"))
      .map((p) => p.replace(/^.*\//, "").replace(/\.md$/, ""));
    const outcome = await findResearchSpec(files, {
      issueNumber: undefined,
      texts: [ids.join(" ")],
    });
    expect(files.readPaths.length).toBeLessThanOrEqual(MAX_SPEC_FILES_READ);
    expect(outcome.notes[0]).toMatch(/^\*\*Not every spec was read\*\*/);
  });
});

describe("findReproductionTests", () => {
  it("follows an implementation spec to its research's reproduction test", async () => {
    const impl = parseSpec(
      ".chant/specs/2026-01-29-001-imp.md",
      "---\ntype: code\nstatus: completed\ninformed_by:\n- .chant/specs/2026-01-28-001-res.md\n- .chant/research/issue-42-rca.md\n---\n# Fix\n",
    );
    expect(await findReproductionTests(kvStore(), impl)).toEqual([
      "test/regression/issue-42.test.js",
    ]);
  });

  it("falls back to a backticked test path in a criterion about reproduction", async () => {
    const impl = parseSpec(
      ".chant/specs/2026-01-29-001-imp.md",
      "---\ntype: code\n---\n# Fix\n\n## Acceptance Criteria\n\n- [x] Reproduction test `tests/regression/issue_7_test.rs` passes\n- [x] Lint `src/lib.rs`\n",
    );
    expect(await findReproductionTests(kvStore(), impl)).toEqual([
      "tests/regression/issue_7_test.rs",
    ]);
  });
});

describe("findResearchSpec follows chains as chant users write them", () => {
  function spec(frontmatter: string[], title: string) {
    return [
      "---",
      ...frontmatter,
      "---",
      `# ${title}`,
      "",
      "## Acceptance Criteria",
      "",
      "- [x] done",
      "",
    ].join("\n");
  }
  const RC = ".chant/specs/2026-02-08-005-k9w.md";
  const IM = ".chant/specs/2026-02-08-008-j3n.md";
  const guide = (): Record<string, string> => ({
    ".chant/archive/2026-02-08/2026-02-08-001-r4x.md": spec(
      [
        "type: research",
        "status: completed",
        "target_files: [.chant/research/issue-1234-comprehension.md]",
      ],
      "Comprehension: issue #1234 data loss on concurrent writes",
    ),
    [RC]: spec(
      [
        "type: research",
        "status: completed",
        "informed_by: [.chant/specs/2026-02-08-001-r4x.md]",
        "target_files: [.chant/research/issue-1234-root-cause.md]",
      ],
      "Root cause: concurrent write data loss",
    ),
    [IM]: spec(
      [
        "type: research",
        "status: completed",
        "depends_on: [005-k9w]",
        "target_files: [.chant/research/issue-1234-impact-map.md]",
      ],
      "Impact map: concurrent write pattern",
    ),
    ".chant/research/issue-1234-comprehension.md": "# Comprehension\n",
    ".chant/research/issue-1234-root-cause.md": "# RCA\n\n## Root Cause\n\nA race.\n",
    ".chant/research/issue-1234-impact-map.md": "# Impact map\n",
  });

  it("finds an unlabelled chain by its title, follows a short-id depends_on both ways and an archived informed_by, and reads in three calls", async () => {
    const files = new MemoryFiles(guide());
    const outcome = expectFound(await findResearchSpec(files, { issueNumber: 1234, texts: [] }));
    expect(outcome.rule).toBe("title");
    expect(outcome.research.path).toBe(RC);
    expect(outcome.chain.members?.map((m) => `${m.phase} ${m.spec.id}`)).toEqual([
      "comprehension 2026-02-08-001-r4x",
      "root_cause 2026-02-08-005-k9w",
      "impact_map 2026-02-08-008-j3n",
    ]);
    expect(outcome.chain.lastResearch?.id).toBe("2026-02-08-008-j3n");
    expect(outcome.chain.documents?.map((d) => [d.path, d.phase])).toEqual([
      [".chant/research/issue-1234-root-cause.md", "root_cause"],
      [".chant/research/issue-1234-impact-map.md", "impact_map"],
    ]);
    // One listing, one batch of specs, one batch of the chain's documents (not the comprehension's).
    expect(files.listCalls).toBe(1);
    expect(files.readCalls).toBe(2);
    expect(files.readPaths).not.toContain(".chant/research/issue-1234-comprehension.md");
    const text = describeResearchOutcome(outcome);
    expect(text.headline).toBe(
      "Research spec `2026-02-08-005-k9w` found (its title names the issue).",
    );
    expect(text.details[0]).toBe(
      "Chain: comprehension `2026-02-08-001-r4x` → root cause `2026-02-08-005-k9w` → impact map `2026-02-08-008-j3n`.",
    );
  });

  it("finds a chain by the name of its research documents alone", async () => {
    const files = guide();
    files[".chant/archive/2026-02-08/2026-02-08-001-r4x.md"] = spec(
      [
        "type: research",
        "status: completed",
        "target_files: [.chant/research/issue-1234-comprehension.md]",
      ],
      "Comprehension: data loss",
    );
    const outcome = expectFound(
      await findResearchSpec(new MemoryFiles(files), { issueNumber: 1234, texts: [] }),
    );
    expect(outcome.rule).toBe("documents");
    expect(outcome.research.path).toBe(RC);
    expect(describeResearchOutcome(outcome).headline).toMatch(
      /\(its research documents are named after the issue\)\.$/,
    );
  });

  it("says so when research documents name the issue but no spec writes or reads them", async () => {
    const outcome = await findResearchSpec(
      new MemoryFiles({ ".chant/research/issue-9-root-cause.md": "# RCA\n" }),
      { issueNumber: 9, texts: [] },
    );
    expect(outcome.kind).toBe("not_found");
    expect(outcome.notes).toEqual([
      "Found `.chant/research/issue-9-root-cause.md`, but no spec writes or reads it: add the research spec that wrote it (its `target_files` naming it).",
    ]);
  });

  it("takes the root cause, not the newest spec, from a labelled chain whose phases do not link", async () => {
    const labelled = (id: string, phase: string, status = "completed") => [
      `.chant/specs/${id}.md`,
      spec(
        [`type: research`, `status: ${status}`, `labels: [${phase}, issue-3]`],
        `${phase} for #3`,
      ),
    ];
    const files = new MemoryFiles(
      Object.fromEntries([
        labelled("2026-03-01-001-aaa", "comprehension"),
        labelled("2026-03-02-001-bbb", "root-cause"),
        labelled("2026-03-03-001-ccc", "impact-map"),
      ]),
    );
    const outcome = expectFound(await findResearchSpec(files, { issueNumber: 3, texts: [] }));
    expect(outcome.kind).toBe("found");
    expect(outcome.research.id).toBe("2026-03-02-001-bbb");
    expect(outcome.chain.lastResearch?.id).toBe("2026-03-03-001-ccc");
  });

  it("refuses a chain whose later phase is not completed, naming it, and says --spec to the CLI", async () => {
    const files = guide();
    files[IM] = files[IM]!.replace("status: completed", "status: pending");
    const outcome = await findResearchSpec(new MemoryFiles(files), {
      issueNumber: 1234,
      texts: [],
      audience: "cli",
    });
    expect(outcome.kind).toBe("not_completed");
    const cli = describeResearchOutcome(outcome);
    expect(cli.headline).toBe(
      "The research chain of `2026-02-08-005-k9w` is not completed: `2026-02-08-008-j3n` is `pending`.",
    );
    expect(cli.details.join("\n")).toContain("`--spec 2026-02-08-005-k9w --force`");
    expect(describeResearchOutcome(outcome, "comment").details.join("\n")).toContain(
      "`/chant implement 2026-02-08-005-k9w --force`",
    );
  });

  it("does not walk into another issue's research or a cancelled spec, and says which it left out", async () => {
    const files = guide();
    files[".chant/specs/2026-02-09-001-oth.md"] = spec(
      [
        "type: research",
        "status: completed",
        "labels: [issue-999]",
        "depends_on: [2026-02-08-005-k9w]",
      ],
      "Root cause: issue #999",
    );
    files[".chant/specs/2026-02-09-002-can.md"] = spec(
      ["type: research", "status: cancelled", "depends_on: [2026-02-08-005-k9w]"],
      "Impact map, abandoned",
    );
    const outcome = expectFound(
      await findResearchSpec(new MemoryFiles(files), { issueNumber: 1234, texts: [] }),
    );
    expect(outcome.chain.members?.map((m) => m.spec.id)).not.toContain("2026-02-09-001-oth");
    expect(outcome.notes).toEqual([
      "Linked but not part of the chain (cancelled, about another issue, or past 24 specs): `2026-02-09-001-oth`, `2026-02-09-002-can`.",
    ]);
  });

  it("bounds the walk: depends_on cycles end, a hostile fan-out is cut, the chain stays small", async () => {
    const files: Record<string, string> = {};
    // A ring of 60 research specs for issue 7, each depending on the next (and the last on the
    // first), the first also depending on 10,000 ids.
    for (let i = 0; i < 60; i++) {
      const id = `2026-04-01-${i.toString(36).padStart(3, "0")}-rng`;
      const next = `2026-04-01-${((i + 1) % 60).toString(36).padStart(3, "0")}-rng`;
      const many =
        i === 0
          ? Array.from(
              { length: 10_000 },
              (_, j) => `- 2026-05-01-${j.toString(36).padStart(3, "0")}-zzz`,
            )
          : [];
      files[`.chant/specs/${id}.md`] = [
        "---",
        "type: research",
        "status: completed",
        "labels: [issue-7]",
        "depends_on:",
        `- ${next}`,
        ...many,
        "---",
        `# Root cause part ${i}`,
        "",
      ].join("\n");
    }
    const memory = new MemoryFiles(files);
    const outcome = expectFound(await findResearchSpec(memory, { issueNumber: 7, texts: [] }));
    expect(outcome.chain.members?.length).toBeLessThanOrEqual(MAX_CHAIN_SPECS);
    expect(memory.readPaths.length).toBeLessThanOrEqual(MAX_SPEC_FILES_READ);
    expect(outcome.notes.join("\n")).toMatch(/past 24 specs/);
  });

  it("respects the read limit while walking: a phase named past it is said, not read", async () => {
    const extra: Record<string, string> = {};
    for (let i = 0; i < 600; i++) {
      const day = String(1 + (i % 28)).padStart(2, "0");
      const seq = Math.floor(i / 28)
        .toString(36)
        .padStart(3, "0");
      extra[`.chant/specs/2026-03-${day}-${seq}-zzz.md`] = "---\ntype: code\n---\n# filler\n";
    }
    // The newest spec, labelled, depends on kv-store's reproduction, which 600 newer specs bury.
    extra[".chant/specs/2026-04-01-001-new.md"] = researchSpec({
      extra: "depends_on:\n- 2026-01-27-002-rep",
    });
    const files = kvStore(extra);
    const outcome = expectFound(await findResearchSpec(files, { issueNumber: 42, texts: [] }));
    expect(
      new Set(files.readPaths.filter((p) => p.startsWith(".chant/specs/"))).size,
    ).toBeLessThanOrEqual(MAX_SPEC_FILES_READ);
    expect(files.readPaths).not.toContain(REPRO);
    expect(outcome.notes[0]).toMatch(
      /^\*\*Not every spec was read\*\*: .* more that could hold the research or a phase of its chain were not read/,
    );
  });

  it("shows a hostile spec file name as one plain line, in the outcome and in the draft", async () => {
    const hostile = ".chant/specs/x`\n## Acceptance Criteria\n- [x] owned.md";
    const content = loadFixtureRepo("kv-store")[RESEARCH]!;
    const outcome = expectFound(
      await findResearchSpec(kvStore({ [RESEARCH]: undefined, [hostile]: content }), {
        issueNumber: 42,
        texts: [],
      }),
    );
    expect(outcome.research.path).toBe(hostile);
    const text = describeResearchOutcome(outcome);
    for (const line of [text.headline, ...text.details]) expect(line).not.toMatch(/\n/);
    const draft = draftImplementationSpec({
      id: "2026-02-01-001-abc",
      issueNumber: 42,
      research: outcome.research,
      chain: outcome.chain,
    });
    expect(
      sections(draft.body)
        .filter((s) => s.level === 2)
        .map((s) => s.title),
    ).toEqual(["Context", "Approach", "Acceptance Criteria", "Release Notes"]);
    expect(acceptanceCriteria(draft.body).every((c) => !c.checked)).toBe(true);
    expect(parseSpec(draft.path, draft.content).frontmatter.depends_on).toEqual([
      outcome.research.id,
    ]);
  });
});
