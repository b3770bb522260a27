import { describe, expect, it } from "vitest";
import { parseSpec } from "../../src/chant-format/parse-spec.js";
import { SpecError } from "../../src/chant-format/spec-error.js";
import { acceptanceCriteria } from "../../src/chant-format/acceptance-criteria.js";
import { firstHeading } from "../../src/chant-format/markdown.js";

const PATH = ".chant/specs/2026-01-29-003-ghi.md";

function specError(content: string): SpecError {
  try {
    parseSpec(PATH, content);
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error("expected a SpecError");
}

describe("parseSpec", () => {
  it("reads the fields, the id from the file name, the title and the acceptance criteria", () => {
    const spec = parseSpec(
      PATH,
      [
        "---",
        "type: research",
        "status: completed",
        "labels:",
        "- research",
        "- issue-1234",
        "informed_by:",
        "  - .chant/specs/2026-01-29-002-def.md",
        "target_files:",
        "- .chant/research/issue-1234-rca.md",
        "commits:",
        "- 0123456",
        "- 12e4567",
        "completed_at: 2026-01-29T18:00:00Z",
        "approval:",
        "  required: true",
        "  status: approved",
        "  by: alice",
        "---",
        "# Research root cause: issue #1234",
        "",
        "## Acceptance Criteria",
        "",
        "- [x] Root cause identified",
        "- [ ] Files listed",
        "",
      ].join("\n"),
    );
    expect(spec.id).toBe("2026-01-29-003-ghi");
    expect(spec.frontmatter).toEqual({
      type: "research",
      status: "completed",
      labels: ["research", "issue-1234"],
      informed_by: [".chant/specs/2026-01-29-002-def.md"],
      target_files: [".chant/research/issue-1234-rca.md"],
      // Commit shas stay text: YAML would read these as 123456 and Infinity.
      commits: ["0123456", "12e4567"],
      completed_at: "2026-01-29T18:00:00Z",
      approval: { required: true, status: "approved", by: "alice" },
    });
    expect(spec.leniencies).toEqual([]);
    expect(firstHeading(spec.body)).toBe("Research root cause: issue #1234");
    expect(acceptanceCriteria(spec.body).map((c) => [c.text, c.checked])).toEqual([
      ["Root cause identified", true],
      ["Files listed", false],
    ]);
  });

  it("applies chant's defaults: type code, status pending, null fields absent", () => {
    const spec = parseSpec(PATH, "---\nbranch:\nlabels: ~\n---\n# T\n");
    expect(spec.frontmatter).toEqual({ type: "code", status: "pending" });
  });

  it("reads depends_on given as one string, as chant does", () => {
    const spec = parseSpec(PATH, "---\ndepends_on: 2026-01-01-001-abc\n---\n# T\n");
    expect(spec.frontmatter.depends_on).toEqual(["2026-01-01-001-abc"]);
    expect(spec.leniencies).toEqual([]);
  });

  it("reads CRLF files and remembers the line ending", () => {
    const spec = parseSpec(
      PATH,
      "---\r\ntype: code\r\nstatus: completed\r\nlabels:\r\n- fix\r\n---\r\n# Title\r\n\r\n## Acceptance Criteria\r\n\r\n- [x] Done\r\n",
    );
    expect(spec.eol).toBe("\r\n");
    expect(spec.frontmatter).toEqual({ type: "code", status: "completed", labels: ["fix"] });
    expect(firstHeading(spec.body)).toBe("Title");
    expect(acceptanceCriteria(spec.body)).toEqual([{ text: "Done", checked: true, index: 4 }]);
  });

  it("reads legacy values tolerantly and says so", () => {
    const spec = parseSpec(
      PATH,
      "---\ntype: docs\nstatus: ready\nlabels: fix\nsuperseded_by: 2026-02-01-001-abc\n---\n# T\n",
    );
    expect(spec.frontmatter.type).toBe("docs");
    expect(spec.frontmatter.status).toBe("ready");
    expect(spec.frontmatter.labels).toEqual(["fix"]);
    expect(spec.extraFields).toEqual({ superseded_by: "2026-02-01-001-abc" });
    expect(spec.leniencies.map((l) => [l.field, l.line])).toEqual([
      ["type", 2],
      ["status", 3],
      ["labels", 4],
      ["superseded_by", 5],
    ]);
    expect(spec.leniencies[1]!.note).toMatch(/chant refuses `ready -> in_progress`/);
  });

  it.each([
    ["no frontmatter", "# Just a title\n", "missing_frontmatter", 1, /has no frontmatter/],
    ["unclosed frontmatter", "---\ntype: code\n# T\n", "unclosed_frontmatter", 1, /never closed/],
    [
      "malformed YAML",
      "---\ntype: code\nlabels: [fix\nstatus: pending\n---\n# T\n",
      "invalid_yaml",
      4,
      /invalid YAML/,
    ],
    [
      "bad indentation",
      "---\ntype: code\n  status: pending\n---\n",
      "invalid_yaml",
      2,
      /invalid YAML/,
    ],
    ["duplicate key", "---\ntype: code\ntype: task\n---\n", "invalid_yaml", 3, /unique/],
    ["a list as frontmatter", "---\n- a\n- b\n---\n", "not_a_mapping", 2, /key: value/],
    [
      "unknown status",
      "---\ntype: code\nstatus: done\n---\n",
      "unknown_status",
      3,
      /unknown status `done`/,
    ],
    ["unknown type", "---\n\ntype: feature\n---\n", "unknown_type", 3, /unknown type `feature`/],
    ["status as a list", "---\nstatus:\n- pending\n---\n", "unknown_status", 2, /must be one of/],
    ["labels as a mapping", "---\nlabels:\n  a: b\n---\n", "invalid_field", 2, /`labels`/],
    [
      "a bad approval status",
      "---\napproval:\n  status: maybe\n---\n",
      "invalid_field",
      3,
      /`approval.status` must be one of pending, approved, rejected/,
    ],
  ])(
    "refuses %s with a SpecError naming the file and line",
    (_name, content, code, line, message) => {
      const error = specError(content);
      expect(error.code).toBe(code);
      expect(error.file).toBe(PATH);
      expect(error.line).toBe(line);
      expect(error.message).toMatch(message);
      expect(error.message.startsWith(`${PATH}:${line}: `)).toBe(true);
    },
  );

  it.each([
    ["---js", "---js\n{ type: 'code' }\n---\n# T\n"],
    ["---javascript", "---javascript\nmodule.exports = {}\n---\n# T\n"],
    ["---coffee", "---coffee\ntype: 'code'\n---\n# T\n"],
    ["--- json", '--- json\n{"type": "code"}\n---\n# T\n'],
    ["---yaml", "---yaml\ntype: code\n---\n# T\n"],
    ["----", "----\ntype: code\n---\n# T\n"],
  ])(
    "refuses a %s opener: it is not a YAML frontmatter, and nothing in it runs",
    (_name, content) => {
      const error = specError(content);
      expect(error.code).toBe("missing_frontmatter");
      expect(error.message).toMatch(
        new RegExp(
          `^${PATH}:1: has no YAML frontmatter: the first line starts with \`---\` but is not exactly \`---\``,
        ),
      );
      expect(error.message).toMatch(/such as `---js`\) is not read/);
    },
  );

  it("refuses YAML tags in the frontmatter, naming the line, instead of constructing anything", () => {
    for (const [value, tag] of [
      ['!!js/function "function () { return 1 }"', "!!js/function"],
      ["!!js/regexp /x/", "!!js/regexp"],
      ['!<tag:yaml.org,2002:js/undefined> ""', "!!js/undefined"],
      ["!foo bar", "!foo"],
      ["!!binary aGVsbG8=", "!!binary"],
      ["!!set {a, b}", "!!set"],
    ]) {
      const error = specError(`---\ntype: code\nbranch: ${value}\n---\n# T\n`);
      expect(error.code, value).toBe("invalid_yaml");
      expect(error.line, value).toBe(3);
      expect(error.message, value).toBe(
        `${PATH}:3: invalid YAML: unsupported YAML tag \`${tag}\`: only plain YAML is read (no \`!tag\`s)`,
      );
    }
  });

  it("refuses an alias bomb quickly, with a clear message", () => {
    const levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (let i = 1; i < 12; i++) {
      const name = String.fromCharCode(97 + i);
      const previous = String.fromCharCode(96 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`);
    }
    const started = Date.now();
    const error = specError(`---\n${levels.join("\n")}\n---\n# T\n`);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.code).toBe("invalid_yaml");
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/too many aliases \(`\*name`\): more than 100 alias expansions/);
  });

  it("reads a byte-order mark, CRLF and a closing line with trailing spaces; the body starts after it", () => {
    const spec = parseSpec(PATH, "\uFEFF---  \r\ntype: task\r\n---  \r\n# T\r\n");
    expect(spec.frontmatter.type).toBe("task");
    expect(spec.eol).toBe("\r\n");
    expect(spec.body).toBe("# T\n");
  });

  it("closes the frontmatter at the first line that is exactly `---`", () => {
    const spec = parseSpec(PATH, "---\nbranch: a\n---\n# T\n---\nstatus: x\n---\n");
    expect(spec.frontmatter.branch).toBe("a");
    expect(spec.body).toBe("# T\n---\nstatus: x\n---\n");
    // `----` is not a closing line: here it is bad YAML at line 3.
    expect(specError("---\nbranch: a\n----\nstatus: x\n---\n# T\n").line).toBe(3);
    // `...` ends a YAML document but does not close a spec's frontmatter (chant writes `---`).
    expect(specError("---\nbranch: a\n...\n# T\n").code).toBe("unclosed_frontmatter");
  });

  it("reads an empty frontmatter as chant's defaults", () => {
    expect(parseSpec(PATH, "---\n---\n# T\n").frontmatter).toEqual({
      type: "code",
      status: "pending",
    });
    expect(parseSpec(PATH, "---\n# only a comment\n---\n# T\n").body).toBe("# T\n");
  });

  it("refuses binary and giant files without parsing them", () => {
    expect(specError("---\ntype: code\n---\n\u0000\u0001").code).toBe("not_text");
    expect(specError(`---\ntype: code\n---\n${"x".repeat(1024 * 1024 + 1)}`).code).toBe(
      "too_large",
    );
  });
});

describe("acceptanceCriteria", () => {
  it("takes the LAST heading outside code fences, and stops at the next ## heading", () => {
    const body = [
      "# T",
      "## Acceptance Criteria",
      "- [ ] an old list",
      "```markdown",
      "## Acceptance Criteria",
      "- [ ] inside a fence",
      "```",
      "## Acceptance Criteria",
      "- [x] first",
      "```",
      "## Not a heading",
      "- [ ] fenced checkbox",
      "```",
      "* [ ] not a dash, not counted",
      "  - [X] nested, upper-case x",
      "## Agent Output",
      "- [ ] after the section",
    ].join("\n");
    expect(acceptanceCriteria(body).map((c) => [c.text, c.checked, c.index])).toEqual([
      ["first", true, 8],
      ["nested, upper-case x", true, 14],
    ]);
  });

  it("is empty without the heading", () => {
    expect(acceptanceCriteria("# T\n- [ ] loose\n")).toEqual([]);
  });
});
