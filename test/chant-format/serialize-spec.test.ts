import { describe, expect, it } from "vitest";
import { parseSpec } from "../../src/chant-format/parse-spec.js";
import { serializeSpec, strictWriteProblems } from "../../src/chant-format/serialize-spec.js";
import { meaning } from "../support/spec-meaning.js";

const PATH = ".chant/specs/2026-01-29-004-xyz.md";

describe("serializeSpec", () => {
  it("writes chant's style: known fields in chant's order, block lists without indent, body as is", () => {
    const text = serializeSpec({
      frontmatter: {
        informed_by: [".chant/specs/2026-01-29-003-ghi.md"],
        model: "claude-sonnet-4-20250514",
        status: "completed",
        labels: ["fix", "issue-1234"],
        type: "code",
        commits: ["0123456", "abc1234"],
        completed_at: "2026-01-29T18:00:00Z",
        prompt: "implement",
        approval: { required: true, status: "approved", by: "alice" },
      },
      extraFields: {},
      body: "# Fix issue #1234: locking\n",
      eol: "\n",
    });
    expect(text).toBe(
      [
        "---",
        "type: code",
        "status: completed",
        "labels:",
        "- fix",
        "- issue-1234",
        "prompt: implement",
        "commits:",
        "- '0123456'",
        "- abc1234",
        "completed_at: 2026-01-29T18:00:00Z",
        "model: claude-sonnet-4-20250514",
        "informed_by:",
        "- .chant/specs/2026-01-29-003-ghi.md",
        "approval:",
        "  required: true",
        "  status: approved",
        "  by: alice",
        "---",
        "# Fix issue #1234: locking",
        "",
      ].join("\n"),
    );
  });

  it("does not fold long values onto several lines", () => {
    const long = "x ".repeat(100).trim();
    const text = serializeSpec({
      frontmatter: { type: "code", status: "pending", model: long },
      extraFields: {},
      body: "",
      eol: "\n",
    });
    expect(text).toContain(`model: ${long}\n`);
  });

  it("round-trips: parse(serialize(parse(x))) equals parse(x), body byte for byte", () => {
    const original = [
      "---",
      "type: task",
      "status: ready",
      "target_files:",
      "  - src/a.rs",
      "commits: ['1234567']",
      "labels: [research, 'issue-7']",
      "cancelled_reason: 'not needed: see #9'",
      "---",
      "",
      "# Title with `code` and: colons",
      "",
      "```yaml",
      "---",
      "## Acceptance Criteria",
      "```",
      "",
      "## Acceptance Criteria",
      "- [x] one",
      "",
    ].join("\n");
    const first = parseSpec(PATH, original);
    const again = parseSpec(PATH, serializeSpec(first));
    expect(meaning(again)).toEqual(meaning(first));
    expect(again.body).toBe(original.slice(original.indexOf("\n---\n") + 5));
  });

  it("keeps CRLF line endings", () => {
    const crlf = "---\r\ntype: code\r\nstatus: pending\r\n---\r\n# T\r\n\r\nbody\r\n";
    const out = serializeSpec(parseSpec(PATH, crlf));
    expect(out).toBe(crlf);
  });
});

describe("strictWriteProblems", () => {
  it("accepts what chant accepts", () => {
    expect(
      strictWriteProblems({
        id: "2026-01-29-004-xyz",
        frontmatter: { type: "code", status: "pending" },
        extraFields: {},
      }),
    ).toEqual([]);
  });

  it("names every reason chant would refuse or change a spec", () => {
    expect(
      strictWriteProblems({
        id: "my spec",
        frontmatter: { type: "docs", status: "ready" },
        extraFields: { pr: 12 },
      }),
    ).toEqual([
      "`my spec` is not a chant spec id (YYYY-MM-DD-SSS-XXX)",
      "status `ready` is not one chant's state machine accepts",
      "type `docs` is not one current chant knows",
      "`pr` is not a chant field",
    ]);
  });
});
