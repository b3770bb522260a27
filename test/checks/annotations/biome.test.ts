import { describe, expect, it } from "vitest";
import { BIOME_FORMAT_MESSAGE, parseBiome } from "../../../src/checks/annotations/biome.js";
import { parseAnnotations } from "../../../src/checks/annotations/parse-annotations.js";
import { FIXTURE_ROOT, at, toolOutput } from "./tool-output.js";

// Captured from Biome 2.6.8 in test/fixtures/tool-output/projects/js (see projects/capture.sh):
//   biome-lint.txt:   `biome lint --colors=off src`
//   biome-check.txt:  `biome check --colors=off src`
//   biome-format.txt: `biome format --colors=off src`
//   biome-github.txt: `biome check --reporter=github src` (absolute paths)
const ROOT = `${FIXTURE_ROOT}/js`;

const LINT = [
  at(
    "src/app.js",
    1,
    7,
    "warning",
    "This variable unused is unused.",
    "lint/correctness/noUnusedVariables",
  ),
  at(
    "src/app.js",
    4,
    3,
    "warning",
    "This let declares a variable that is only assigned once.",
    "lint/style/useConst",
  ),
  at(
    "src/app.js",
    5,
    9,
    "failure",
    "Using == may be unsafe if you are relying on type coercion.",
    "lint/suspicious/noDoubleEquals",
  ),
];
const PARSE = [
  at(
    "src/broken.js",
    2,
    9,
    "failure",
    "Expected an identifier, an array pattern, or an object pattern but instead found '= 3'.",
    "parse",
  ),
  at("src/broken.js", 2, 12, "failure", "expected `,` but instead found `;`", "parse"),
];
const NO_FORMAT_ON_PARSE_ERROR = at(
  "src/broken.js",
  1,
  0,
  "failure",
  "Code formatting aborted due to parsing errors. To format code with errors, enable the 'formatter.formatWithErrors' option.",
  "format",
);
const CAFE_LINT = at(
  "src/café.js",
  2,
  20,
  "failure",
  "Using == may be unsafe if you are relying on type coercion.",
  "lint/suspicious/noDoubleEquals",
);

describe("Biome console reporter", () => {
  it("reads biome lint (and drops the parse error Biome prints twice)", () => {
    expect(parseAnnotations(toolOutput("biome-lint"), { repoRoot: ROOT })).toEqual([
      ...LINT,
      ...PARSE,
      CAFE_LINT,
    ]);
    expect(parseBiome(toolOutput("biome-lint"))).toHaveLength(7);
  });

  it("reads biome check: lint, parse and format diagnostics", () => {
    expect(parseAnnotations(toolOutput("biome-check"), { repoRoot: ROOT })).toEqual([
      ...LINT,
      // The formatter's diff starts at line 4 of app.js.
      at("src/app.js", 4, 0, "warning", BIOME_FORMAT_MESSAGE, "format"),
      ...PARSE,
      NO_FORMAT_ON_PARSE_ERROR,
      CAFE_LINT,
      at("src/café.js", 2, 0, "warning", BIOME_FORMAT_MESSAGE, "format"),
      at("src/ugly.js", 1, 0, "warning", BIOME_FORMAT_MESSAGE, "format"),
      at("src/util.ts", 4, 0, "warning", BIOME_FORMAT_MESSAGE, "format"),
    ]);
  });

  it("reads biome format", () => {
    expect(parseAnnotations(toolOutput("biome-format"), { repoRoot: ROOT })).toEqual([
      at("src/app.js", 4, 0, "warning", BIOME_FORMAT_MESSAGE, "format"),
      ...PARSE,
      NO_FORMAT_ON_PARSE_ERROR,
      at("src/café.js", 2, 0, "warning", BIOME_FORMAT_MESSAGE, "format"),
      at("src/ugly.js", 1, 0, "warning", BIOME_FORMAT_MESSAGE, "format"),
      at("src/util.ts", 4, 0, "warning", BIOME_FORMAT_MESSAGE, "format"),
    ]);
  });

  it("does not take the closing `check ━━━` block for a file", () => {
    const output =
      "check ━━━━━━━━━━━━━━━━━━━━\n\n  × Some errors were emitted while running checks.\n";
    expect(parseBiome(output)).toEqual([]);
  });

  it("reads a path with spaces", () => {
    const output =
      "src/my file.js:3:1 lint/style/useConst  FIXABLE  ━━━━━━━━━━\n\n  ! Use const.\n";
    expect(parseAnnotations(output, { repoRoot: "/r" })).toEqual([
      at("src/my file.js", 3, 1, "warning", "Use const.", "lint/style/useConst"),
    ]);
  });
});

describe("Biome --reporter=github (GitHub workflow commands)", () => {
  it("reads ranges, levels and titles, and decodes nothing it should not", () => {
    const span = (line: number, col: number, endCol: number) => ({
      start_line: line,
      end_line: line,
      start_column: col,
      end_column: endCol,
    });
    const formatted = (path: string) => ({
      path,
      ...span(1, 2, 2),
      annotation_level: "failure",
      message: "Formatter would have printed the following content:",
      title: "format",
    });
    expect(parseAnnotations(toolOutput("biome-github"), { repoRoot: ROOT })).toEqual([
      {
        path: "src/app.js",
        ...span(1, 7, 13),
        annotation_level: "warning",
        message: "This variable unused is unused.",
        title: "lint/correctness/noUnusedVariables",
      },
      {
        path: "src/app.js",
        ...span(4, 3, 6),
        annotation_level: "warning",
        message: "This let declares a variable that is only assigned once.",
        title: "lint/style/useConst",
      },
      {
        path: "src/app.js",
        ...span(5, 9, 11),
        annotation_level: "failure",
        message: "Using == may be unsafe if you are relying on type coercion.",
        title: "lint/suspicious/noDoubleEquals",
      },
      formatted("src/app.js"),
      {
        path: "src/broken.js",
        ...span(2, 9, 12),
        annotation_level: "failure",
        message:
          "Expected an identifier, an array pattern, or an object pattern but instead found '= 3'.",
        title: "parse",
      },
      {
        path: "src/broken.js",
        ...span(2, 12, 13),
        annotation_level: "failure",
        message: "expected `,` but instead found `;`",
        title: "parse",
      },
      {
        path: "src/café.js",
        ...span(2, 20, 22),
        annotation_level: "failure",
        message: "Using == may be unsafe if you are relying on type coercion.",
        title: "lint/suspicious/noDoubleEquals",
      },
      formatted("src/café.js"),
      formatted("src/ugly.js"),
      formatted("src/util.ts"),
    ]);
  });

  it("unescapes properties and data, and drops columns on a multi-line range", () => {
    const output =
      "::notice file=src/a%2Cb.py,line=2,endLine=4,col=3,endColumn=1,title=Ruff (E%3A1)::first%0Asecond 100%25";
    expect(parseAnnotations(output, { repoRoot: "/r" })).toEqual([
      {
        path: "src/a,b.py",
        start_line: 2,
        end_line: 4,
        annotation_level: "notice",
        message: "first\nsecond 100%",
        title: "Ruff (E:1)",
      },
    ]);
  });
});
