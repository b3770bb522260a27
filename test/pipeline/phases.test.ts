import { describe, expect, it } from "vitest";
import {
  issueOfDocumentName,
  issuesInTitle,
  specPhase,
} from "../../src/pipeline/find-research/phases.js";
import { parseSpec } from "../../src/chant-format/parse-spec.js";

function spec(path: string, frontmatter: string, title: string) {
  return parseSpec(path, `---\n${frontmatter}\n---\n# ${title}\n`);
}

describe("specPhase: a chain phase from what chant users write", () => {
  it.each([
    [
      "a phase label",
      ".chant/specs/2026-02-08-008-j3n.md",
      "type: research\nlabels: [impact-map, issue-1234]",
      "Impact map",
      "impact_map",
    ],
    [
      "a label over a generic title",
      ".chant/specs/2026-01-01-001-abc.md",
      "type: research\nlabels: [root-cause]",
      "Research",
      "root_cause",
    ],
    [
      "triage as comprehension",
      ".chant/specs/2026-01-27-001-tri.md",
      "type: task\nprompt: triage\nlabels: [triage]",
      "Triage issue #42",
      "comprehension",
    ],
    [
      "the reproduce prompt",
      ".chant/specs/2026-01-01-002-abc.md",
      "type: task\nprompt: reproduce",
      "Make it fail",
      "reproduction",
    ],
    [
      "the guide example's title",
      ".chant/archive/002-reprod/002-reproduction.md",
      "type: code\nprompt: standard",
      "Phase 2: Reproduction - Create failing test for Issue #42",
      "reproduction",
    ],
    [
      "a research title",
      ".chant/specs/2026-01-28-001-res.md",
      "type: task\nprompt: research\nlabels: [research, issue-42]",
      "Research root cause: issue #42",
      "root_cause",
    ],
    [
      "the earliest phase word",
      ".chant/archive/004-sprawl/004-sprawl.md",
      "type: research",
      "Phase 4: Impact Map - Assess impact of Issue #42 bug pattern",
      "impact_map",
    ],
    [
      "a descriptive file name",
      ".chant/archive/003-root-c/003-root-cause.md",
      "type: research",
      "Phase 3",
      "root_cause",
    ],
    [
      "the documents it writes",
      ".chant/specs/2026-01-01-003-abc.md",
      "type: research\ntarget_files: [.chant/research/issue-9-impact-map.md]",
      "Look wider",
      "impact_map",
    ],
    [
      "single-spec mode",
      ".chant/specs/2026-01-01-004-abc.md",
      "type: research\nlabels: [investigation]",
      "Investigation: Issue #77",
      "investigation",
    ],
    [
      "research of no known phase",
      ".chant/specs/2026-01-01-005-abc.md",
      "type: research",
      "Re-research #5: tables",
      "research",
    ],
    [
      "the fix",
      ".chant/archive/005-fork-f/005-fork-fix.md",
      "type: code\nprompt: standard",
      "Phase 5: Fork Fix - Implement fix for Issue #42",
      "implementation",
    ],
    [
      "an implementation spec",
      ".chant/specs/2026-01-01-006-abc.md",
      "type: code\nprompt: implement\nlabels: [fix, issue-42]",
      "Fix issue #42",
      "implementation",
    ],
    [
      "research whose title says fix",
      ".chant/specs/2026-01-01-007-abc.md",
      "type: research",
      "Fix options for #5",
      "research",
    ],
    [
      "a random id suffix that spells rca",
      ".chant/specs/2026-01-01-008-rca.md",
      "type: code",
      "Tidy up",
      "other",
    ],
  ])("%s", (_name, path, frontmatter, title, phase) => {
    expect(specPhase(spec(path, frontmatter, title))).toBe(phase);
  });
});

describe("issuesInTitle", () => {
  it.each([
    ["Issue #42 Root Cause Analysis", [42]],
    ["Comprehension: issue #1234 data loss", [1234]],
    ["Comprehension: #1234 race condition in storage", [1234]],
    ["Reproduce issue 42", [42]],
    ["Follow-up to PR #12 and pull request #13", []],
    ["Escape &#42; in names", []],
    ["#420 is not #42", [420, 42]],
    ["Nothing here", []],
  ])("%j", (title, issues) => {
    expect(issuesInTitle(title).sort((a, b) => a - b)).toEqual([...issues].sort((a, b) => a - b));
  });
});

describe("issueOfDocumentName", () => {
  it.each([
    [".chant/research/issue-42-root-cause.md", 42],
    [".chant/triage/issue-42.md", 42],
    [".chant/research/issue_7_rca.md", 7],
    [".chant/research/tissue-42.md", undefined],
    [".chant/research/csv-export-rca.md", undefined],
  ])("%s", (path, issue) => {
    expect(issueOfDocumentName(path)).toBe(issue);
  });
});
