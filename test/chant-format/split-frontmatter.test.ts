import { describe, expect, it } from "vitest";
import { splitFrontmatter } from "../../src/chant-format/split-frontmatter.js";

describe("splitFrontmatter", () => {
  it("splits a `---` line, the YAML, a `---` line; the YAML keeps the file's line numbers", () => {
    expect(splitFrontmatter("---\na: 1\nb: 2\n---\n# Body\n")).toEqual({
      kind: "frontmatter",
      yaml: "\na: 1\nb: 2",
      closeLine: 4,
      body: "# Body\n",
    });
  });

  it("accepts a byte-order mark, CRLF line endings and trailing spaces on the delimiters", () => {
    expect(splitFrontmatter("\uFEFF--- \r\na: 1\r\n---\t\r\nBody\r\n")).toEqual({
      kind: "frontmatter",
      yaml: "\na: 1",
      closeLine: 3,
      body: "Body\n",
    });
  });

  it("closes with `...` only when asked", () => {
    expect(splitFrontmatter("---\na: 1\n...\nBody").kind).toBe("unclosed");
    expect(splitFrontmatter("---\na: 1\n...\nBody", { allowDotsClose: true })).toMatchObject({
      kind: "frontmatter",
      body: "Body",
    });
  });

  it("treats another language's opener as no YAML frontmatter, never as an engine", () => {
    for (const opener of ["---js", "---javascript", "---coffee", "--- json", "---yaml", "----"]) {
      expect(splitFrontmatter(`${opener}\n({})\n---\nBody`), opener).toEqual({ kind: "not_yaml" });
    }
  });

  it("says when there is no frontmatter, or it is never closed", () => {
    expect(splitFrontmatter("# Title\n---\n")).toEqual({ kind: "none" });
    expect(splitFrontmatter("")).toEqual({ kind: "none" });
    expect(splitFrontmatter(" ---\na: 1\n---\n")).toEqual({ kind: "none" });
    expect(splitFrontmatter("---\na: 1\n----\n")).toEqual({ kind: "unclosed" });
    expect(splitFrontmatter("---")).toEqual({ kind: "unclosed" });
  });

  it("reads an empty frontmatter and a file that ends on the closing line", () => {
    expect(splitFrontmatter("---\n---")).toEqual({
      kind: "frontmatter",
      yaml: "\n",
      closeLine: 2,
      body: "",
    });
  });
});
