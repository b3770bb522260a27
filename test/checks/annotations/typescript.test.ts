import { describe, expect, it } from "vitest";
import { stripAnsi } from "../../../src/checks/annotations/output-lines.js";
import { parseAnnotations } from "../../../src/checks/annotations/parse-annotations.js";
import { parseTypescript } from "../../../src/checks/annotations/typescript.js";
import { FIXTURE_ROOT, at, toolOutput } from "./tool-output.js";

// Captured in test/fixtures/tool-output/projects/js (src/util.ts is stored as
// util.ts.txt; see projects/capture.sh):
//   tsc-plain.txt / tsc-pretty.txt:   TypeScript 5.9 `tsc -p . --pretty false|true`
//   tsc7-plain.txt / tsc7-pretty.txt: TypeScript 7.0 (the native port), same flags
// The pretty captures keep tsc's colour codes.
const ROOT = `${FIXTURE_ROOT}/js`;
const EXPECTED = [
  at(
    "src/util.ts",
    1,
    14,
    "failure",
    "Type 'string' is not assignable to type 'number'.",
    "TS2322",
  ),
  at(
    "src/util.ts",
    4,
    15,
    "failure",
    "Property 'toUpperCas' does not exist on type 'string'. Did you mean 'toUpperCase'?",
    "TS2551",
  ),
  at(
    "src/util.ts",
    7,
    52,
    "failure",
    "Type 'string' is not assignable to type 'number'.",
    "TS2322",
  ),
];

describe("TypeScript compiler", () => {
  for (const fixture of ["tsc-plain", "tsc-pretty", "tsc7-plain", "tsc7-pretty"]) {
    it(`reads ${fixture}`, () => {
      expect(parseAnnotations(toolOutput(fixture), { repoRoot: ROOT })).toEqual(EXPECTED);
    });
  }

  it("does not annotate related locations (the indented lines of --pretty)", () => {
    // tsc-pretty points into lib.es5.d.ts and at line 7:29 as related information.
    const raw = parseTypescript(stripAnsi(toolOutput("tsc-pretty")));
    expect(raw.map((a) => `${a.start_line}:${a.start_column}`)).toEqual(["1:14", "4:15", "7:52"]);
  });

  it("joins a message chain and reads a path with parentheses", () => {
    const output = [
      "app/(shop)/page.tsx(3,7): error TS2322: Type '{ a: string; }' is not assignable to type 'X'.",
      "  Types of property 'a' are incompatible.",
      "    Type 'string' is not assignable to type 'number'.",
      "src/b.ts(1,1): warning TS6133: 'x' is declared but its value is never read.",
    ].join("\n");
    expect(parseAnnotations(output, { repoRoot: "/r" })).toEqual([
      at(
        "app/(shop)/page.tsx",
        3,
        7,
        "failure",
        "Type '{ a: string; }' is not assignable to type 'X'.\nTypes of property 'a' are incompatible.\nType 'string' is not assignable to type 'number'.",
        "TS2322",
      ),
      at("src/b.ts", 1, 1, "warning", "'x' is declared but its value is never read.", "TS6133"),
    ]);
  });

  it("skips errors without a file and the summary table", () => {
    const output = [
      "error TS5083: Cannot read file '/r/tsconfig.json'.",
      "Found 2 errors in 1 file.",
      "",
      "Errors  Files",
      "     2  src/util.ts:1",
    ].join("\n");
    expect(parseAnnotations(output, { repoRoot: "/r" })).toEqual([]);
  });
});
