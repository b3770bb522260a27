import { describe, expect, it } from "vitest";
import { describeResearchOutcome } from "../../src/pipeline/find-research/describe-outcome.js";
import {
  findResearchSpec,
  MAX_SPEC_FILES_READ,
  type ResearchOutcome,
} from "../../src/pipeline/find-research/find-research-spec.js";
import { findReproductionTests } from "../../src/pipeline/find-research/reproduction-tests.js";
import { parseSpec } from "../../src/spec/parse-spec.js";
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
