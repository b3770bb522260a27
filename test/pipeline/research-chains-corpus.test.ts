import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { LocalFiles } from "../../src/process/local-files.js";
import type { RepoFiles } from "../../src/domain/repo-files.js";
import { draftForIssue } from "../../src/pipeline/draft-spec/draft-for-issue.js";
import {
  draftImplementationSpec,
  type DraftedSpec,
} from "../../src/pipeline/draft-spec/draft-implementation-spec.js";
import { describeResearchOutcome } from "../../src/pipeline/find-research/describe-outcome.js";
import {
  findResearchSpec,
  type ResearchOutcome,
} from "../../src/pipeline/find-research/find-research-spec.js";
import { acceptanceCriteria } from "../../src/chant-format/acceptance-criteria.js";
import {
  fencesBalanced,
  firstHeading,
  sections,
  sectionText,
} from "../../src/chant-format/markdown.js";
import { parseSpec } from "../../src/chant-format/parse-spec.js";
import { strictWriteProblems } from "../../src/chant-format/serialize-spec.js";
import { MemoryFiles } from "../support/memory-files.js";

/**
 * The research-chain corpus (test/fixtures/research-chains/, see its
 * README): repositories laid out the ways chant users lay them out, each
 * with the chain, RCA, target_files, Approach and criteria a maintainer
 * expects. The search and the drafting are held to them, and every draft to
 * what chant accepts.
 */
const CORPUS = join(import.meta.dirname, "..", "fixtures", "research-chains");
const CASES = readdirSync(CORPUS).filter((name) => {
  try {
    return statSync(join(CORPUS, name, "expected.json")).isFile();
  } catch {
    return false;
  }
});
const DRAFT_ID = "2026-07-01-001-new";

interface Expected {
  description: string;
  source: string;
  styles: string[];
  request: { issue: number; title?: string; texts?: string[] };
  refused?: { headline: string; hint: string };
  forced?: boolean;
  withoutTexts?: string;
  kind: "found" | "ambiguous";
  rule: string;
  research: string;
  others?: string[];
  reason?: string;
  chain: [string, string][];
  rca: string[];
  dependsOn: string[];
  informedBy: string[];
  reproductionTests: string[];
  targetFiles: string[];
  notInRepository?: string[];
  approach: { includes: string[]; excludes: string[] };
  context: { includes: string[]; excludes?: string[] };
  criteria: string[];
  notes: string[];
  missing: string[];
  companionFiles: string[];
}

function load(name: string): Expected {
  return JSON.parse(readFileSync(join(CORPUS, name, "expected.json"), "utf8")) as Expected;
}

/** Every file of a case's repository, as path -> text (optionally with CRLF line endings). */
function repoFiles(name: string, crlf = false): Record<string, string> {
  const root = join(CORPUS, name, "repo");
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const text = readFileSync(full, "utf8");
        files[relative(root, full).split(sep).join("/")] = crlf
          ? text.replace(/\r?\n/g, "\r\n")
          : text;
      }
    }
  };
  walk(root);
  return files;
}

async function search(files: RepoFiles, expected: Expected, overrides: { texts?: string[] } = {}) {
  return findResearchSpec(files, {
    issueNumber: expected.request.issue,
    texts: overrides.texts ?? expected.request.texts ?? [],
    force: expected.forced ?? false,
    audience: "cli",
  });
}

function found(outcome: ResearchOutcome) {
  if (outcome.kind !== "found" && outcome.kind !== "ambiguous") {
    const text = describeResearchOutcome(outcome);
    throw new Error(
      `expected a chain, got ${outcome.kind}: ${text.headline}\n${text.details.join("\n")}`,
    );
  }
  return outcome;
}

async function draft(files: RepoFiles, expected: Expected) {
  const outcome = found(await search(files, expected));
  const spec = await draftForIssue(files, outcome, {
    id: DRAFT_ID,
    issueNumber: expected.request.issue,
    issueTitle: expected.request.title,
    status: "pending",
  });
  return { outcome, spec };
}

function section(spec: DraftedSpec, title: string): string {
  const found = sections(spec.body).find((s) => s.level === 2 && s.title === title);
  if (!found) throw new Error(`no ## ${title} in the draft`);
  return sectionText(found);
}

/** What chant reads back from the file: the same fields, a body chant can work with. */
function expectChantAccepts(spec: DraftedSpec): void {
  const back = parseSpec(spec.path, spec.content);
  expect(back.frontmatter).toEqual(spec.frontmatter);
  expect(back.body).toBe(spec.body);
  expect(back.extraFields).toEqual({});
  expect(back.leniencies).toEqual([]);
  expect(strictWriteProblems(back)).toEqual([]);
  expect(firstHeading(back.body)).toBe(spec.title);
  expect(fencesBalanced(back.body)).toBe(true);
  expect(
    sections(back.body)
      .filter((s) => s.level === 2)
      .map((s) => s.title),
  ).toEqual(["Context", "Approach", "Acceptance Criteria", "Release Notes"]);
  const criteria = acceptanceCriteria(back.body);
  expect(criteria.length).toBeGreaterThanOrEqual(3);
  expect(criteria.every((c) => !c.checked)).toBe(true);
  // Never a pros/cons item.
  for (const c of criteria) expect(c.text).not.toMatch(/^(✅|❌|\+|pros?\b|cons?\b)/i);
}

describe("the research-chain corpus", () => {
  it("has its cases, each saying where it comes from and which styles it holds", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(9);
    for (const name of CASES) {
      const expected = load(name);
      expect(expected.description.length, name).toBeGreaterThan(40);
      expect(expected.source, name).not.toBe("");
      expect(expected.styles.length, name).toBeGreaterThan(0);
    }
    const real = CASES.filter((name) => load(name).styles.includes("real"));
    expect(real.length).toBeGreaterThanOrEqual(2);
  });

  describe.each(CASES)("%s", (name) => {
    const expected = load(name);
    const dir = join(CORPUS, name, "repo");

    it("finds the chain, its root cause, its reproduction test, by the rule expected", async () => {
      const files = new LocalFiles(dir);
      if (expected.refused) {
        const refused = await findResearchSpec(files, {
          issueNumber: expected.request.issue,
          texts: expected.request.texts ?? [],
          audience: "cli",
        });
        expect(refused.kind).toBe("not_completed");
        const text = describeResearchOutcome(refused);
        expect(text.headline).toBe(expected.refused.headline);
        expect(text.details.join("\n")).toContain(expected.refused.hint);
        // The status comment names the comment command instead.
        expect(describeResearchOutcome(refused, "comment").details.join("\n")).toContain(
          `\`/chant implement ${expected.research} --force\``,
        );
      }
      if (expected.withoutTexts) {
        expect((await search(files, expected, { texts: [] })).kind).toBe(expected.withoutTexts);
      }
      const outcome = found(await search(files, expected));
      expect(outcome.kind).toBe(expected.kind);
      expect(outcome.rule).toBe(expected.rule);
      expect(outcome.research.id).toBe(expected.research);
      expect(outcome.candidates.slice(1).map((c) => c.id)).toEqual(expected.others ?? []);
      if (expected.reason) expect(outcome.reason).toBe(expected.reason);
      expect(outcome.chain.members?.map((m) => [m.spec.id, m.phase])).toEqual(expected.chain);
      expect(outcome.chain.rcaDocuments.map((d) => d.path)).toEqual(expected.rca);
      expect(outcome.chain.reproductionTests).toEqual(expected.reproductionTests);
      expect(outcome.notes).toEqual(expected.notes);
      // The outcome says which rule matched, in words.
      expect(describeResearchOutcome(outcome).headline).toMatch(
        new RegExp(`^Research spec \`${expected.research}\` found \\(.+\\)\\.$`),
      );
    });

    it("drafts what the research says: depends_on, informed_by, target_files, Approach, criteria", async () => {
      const files = new LocalFiles(dir);
      const { spec } = await draft(files, expected);
      expect(spec.frontmatter.depends_on).toEqual(expected.dependsOn);
      expect(spec.frontmatter.informed_by).toEqual(expected.informedBy);
      expect(spec.frontmatter.target_files ?? []).toEqual(expected.targetFiles);
      expect(spec.frontmatter).toMatchObject({
        type: "code",
        status: "pending",
        prompt: "implement",
        labels: ["fix", `issue-${expected.request.issue}`],
      });
      // informed_by never names a file that is not there.
      const reads = await files.read(spec.frontmatter.informed_by ?? []);
      for (const [path, read] of reads) expect(read.kind, path).toBe("text");
      for (const path of expected.notInRepository ?? []) {
        expect(spec.frontmatter.target_files ?? []).not.toContain(path);
        expect(spec.missing.join("\n")).toContain(`\`${path}\``);
      }

      const approach = section(spec, "Approach");
      for (const text of expected.approach.includes) expect(approach).toContain(text);
      for (const text of expected.approach.excludes) expect(approach).not.toContain(text);
      const context = section(spec, "Context");
      for (const text of expected.context.includes) expect(context).toContain(text);
      for (const text of expected.context.excludes ?? []) expect(context).not.toContain(text);
      expect(acceptanceCriteria(spec.body).map((c) => c.text)).toEqual(expected.criteria);
      expect(spec.missing).toEqual(expected.missing);
      expect((spec.companionFiles ?? []).map((f) => f.path)).toEqual(expected.companionFiles);
      expectChantAccepts(spec);
    });

    it("reads the same with CRLF line endings in every file", async () => {
      const lf = await draft(new LocalFiles(dir), expected);
      const crlf = await draft(new MemoryFiles(repoFiles(name, true)), expected);
      expect(crlf.outcome.research.id).toBe(lf.outcome.research.id);
      expect(crlf.spec.frontmatter).toEqual(lf.spec.frontmatter);
      expect(acceptanceCriteria(crlf.spec.body).map((c) => c.text)).toEqual(expected.criteria);
      expect(section(crlf.spec, "Approach")).toBe(section(lf.spec, "Approach"));
      expect(crlf.spec.body).not.toContain("\r");
      expectChantAccepts(crlf.spec);
    });
  });

  it("finds every chain without help (no spec named, no mention) but the one only the issue's text names", async () => {
    const unaided = CASES.filter((name) => !load(name).request.texts);
    let foundUnaided = 0;
    for (const name of unaided) {
      const outcome = await search(new LocalFiles(join(CORPUS, name, "repo")), {
        ...load(name),
        forced: true,
      });
      if (outcome.kind === "found" || outcome.kind === "ambiguous") foundUnaided++;
    }
    console.log(
      `research-chain corpus: ${CASES.length} cases, ${foundUnaided} of ${unaided.length} found without help`,
    );
    expect(foundUnaided).toBe(unaided.length);
  });
});

/**
 * The research chant wrote about itself (the spec corpus): research specs
 * whose analysis lives in the spec body, as free-form as agents write it.
 * Drafting from each must give a spec chant accepts, fences closed, no
 * criterion from a pros/cons list.
 */
describe("drafting from chant's own research specs", () => {
  const SPECS = join(import.meta.dirname, "..", "fixtures", "chant-specs-corpus");
  const research = readdirSync(SPECS)
    .filter((n) => n.endsWith(".md") && n !== "README.md")
    .map((n) => parseSpec(`.chant/specs/${n}`, readFileSync(join(SPECS, n), "utf8")))
    .filter(
      (s) =>
        s.frontmatter.type === "research" ||
        sections(s.body).some((x) => /root cause|recommend/i.test(x.title)),
    );

  it("drafts an acceptable spec from every one", () => {
    expect(research.length).toBeGreaterThan(30);
    for (const spec of research) {
      const drafted = draftImplementationSpec({
        id: DRAFT_ID,
        issueNumber: 1,
        research: spec,
        chain: { rcaDocuments: [], missingRca: [], reproductionTests: [] },
      });
      try {
        expectChantAccepts(drafted);
      } catch (error) {
        throw new Error(`drafting from ${spec.id}: ${(error as Error).message}`, { cause: error });
      }
    }
  });
});
