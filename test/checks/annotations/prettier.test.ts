import { describe, expect, it } from "vitest";
import { parseAnnotations } from "../../../src/checks/annotations/parse-annotations.js";
import {
  PRETTIER_MESSAGE,
  parsePrettierCheck,
} from "../../../src/checks/annotations/prettier-check.js";
import { FIXTURE_ROOT, at, toolOutput } from "./tool-output.js";

// Captured from Prettier 3.10 in test/fixtures/tool-output/projects/js (see projects/capture.sh):
//   prettier-check.txt:       `prettier --check src` (one file does not parse, two are unformatted)
//   prettier-check-clean.txt: `prettier --check <abs>/src/ugly.js <abs>/src/util.ts <abs>/src/app.js`
//                             (Prettier prints cwd-relative paths even for absolute arguments)
const ROOT = `${FIXTURE_ROOT}/js`;

describe("Prettier --check", () => {
  it("annotates line 1 of each unformatted file, and a parse error where it is", () => {
    expect(parseAnnotations(toolOutput("prettier-check"), { repoRoot: ROOT })).toEqual([
      at(
        "src/broken.js",
        2,
        9,
        "failure",
        "Prettier cannot parse this file: SyntaxError: Unexpected token",
        "prettier",
      ),
      at("src/ugly.js", 1, 0, "warning", PRETTIER_MESSAGE, "prettier"),
      at("src/util.ts", 1, 0, "warning", PRETTIER_MESSAGE, "prettier"),
    ]);
  });

  it("does not take the closing 'Code style issues found' line for a file", () => {
    expect(parseAnnotations(toolOutput("prettier-check-clean"), { repoRoot: ROOT })).toEqual([
      at("src/ugly.js", 1, 0, "warning", PRETTIER_MESSAGE, "prettier"),
      at("src/util.ts", 1, 0, "warning", PRETTIER_MESSAGE, "prettier"),
    ]);
  });

  it("says which command formats the file", () => {
    expect(PRETTIER_MESSAGE).toContain("not formatted");
    expect(PRETTIER_MESSAGE).toContain("prettier --write");
  });

  it("ignores Prettier's other warnings", () => {
    const output = [
      "[warn] Ignored unknown option { foo: 1 }.",
      "[warn] Code style issues found in the above file. Run Prettier with --write to fix.",
      "[warn] jsxBracketSameLine is deprecated.",
    ].join("\n");
    expect(parsePrettierCheck(output)).toEqual([]);
  });
});
