import { describe, expect, it } from "vitest";
import { acceptanceCriteria } from "../../src/chant-format/acceptance-criteria.js";
import {
  closeFences,
  cutMarkdown,
  fencesBalanced,
  sections,
} from "../../src/chant-format/markdown.js";

/** Quoted text followed by the rest of a spec: the rest must stay markdown, for GitHub and for chant. */
function followedBySpec(quoted: string): string {
  return `${quoted}\n\n## Acceptance Criteria\n\n- [ ] Fixed\n`;
}

describe("fencesBalanced", () => {
  it.each([
    ["no fence", "text", true],
    ["a closed ``` fence", "```js\nx\n```", true],
    ["an open ``` fence", "```js\nx", false],
    ["a closed ~~~ fence", "~~~\n## not a heading\n~~~", true],
    ["an open ~~~ fence", "~~~\nx", false],
    ["```` holding ``` lines", "````\n```\nx\n```\n````", true],
    ["```` holding one ``` line (chant toggles three times)", "````\n```\n````", false],
  ])("%s", (_name, text, balanced) => {
    expect(fencesBalanced(text)).toBe(balanced);
  });
});

describe("closeFences", () => {
  it("closes an open ``` fence so that what follows is read as markdown", () => {
    const closed = closeFences("Before\n\n```python\ndef f():");
    expect(closed).toBe("Before\n\n```python\ndef f():\n```");
    expect(fencesBalanced(closed)).toBe(true);
    expect(acceptanceCriteria(followedBySpec(closed)).map((c) => c.text)).toEqual(["Fixed"]);
  });

  it("closes an open ```` fence with four backticks and an open ~~~ fence with tildes", () => {
    expect(closeFences("````md\nx")).toBe("````md\nx\n````");
    expect(closeFences("~~~\nx")).toBe("~~~\nx\n~~~");
  });

  it("cuts where one closing line cannot satisfy both readings, and says so", () => {
    const text = "Intro\n\n````\n```\nlog line";
    const closed = closeFences(text, "…(cut)");
    expect(closed).toBe("Intro\n\n…(cut)");
    expect(fencesBalanced(closed)).toBe(true);
  });

  it("leaves balanced text alone", () => {
    expect(closeFences("a\n```\nb\n```\nc")).toBe("a\n```\nb\n```\nc");
  });
});

describe("cutMarkdown", () => {
  const code = Array.from({ length: 50 }, (_, i) => `line ${i}`).join("\n");
  const text = `Steps:\n\n1. one\n2. two\n\n\`\`\`js\n${code}\n\`\`\`\n\nAfter.`;

  it("never cuts inside a code block: the block is left out whole", () => {
    const cut = cutMarkdown(text, 200, "…(cut)");
    expect(cut).toBe("Steps:\n\n1. one\n2. two\n\n…(cut)");
    expect(fencesBalanced(cut)).toBe(true);
  });

  it("keeps text that fits, closing what it leaves open", () => {
    expect(cutMarkdown("short", 100)).toBe("short");
    expect(cutMarkdown("```\nopen", 100)).toBe("```\nopen\n```");
  });

  it("keeps a quoted heading inside a tilde fence from ending the spec's own sections", () => {
    const quoted = closeFences("~~~\ncode");
    const spec = followedBySpec(`## Context\n\n${quoted}`);
    expect(
      sections(spec)
        .filter((s) => s.level === 2)
        .map((s) => s.title),
    ).toEqual(["Context", "Acceptance Criteria"]);
  });
});
