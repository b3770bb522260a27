import { describe, expect, it } from "vitest";
import { parseEslintStylish } from "../../../src/checks/annotations/eslint-stylish.js";
import { parseEslintUnix } from "../../../src/checks/annotations/eslint-unix.js";
import { parseAnnotations } from "../../../src/checks/annotations/parse-annotations.js";
import { FIXTURE_ROOT, at, toolOutput } from "./tool-output.js";

// Captured from ESLint 10.15 on test/fixtures/tool-output/projects/js (see
// projects/capture.sh), run in that directory:
//   eslint-stylish.txt: `eslint src` (the default "stylish" formatter)
//   eslint-unix.txt:    `eslint --format <eslint-formatter-unix>/index.js src`
// Both print absolute paths, under the placeholder /tmp/chant-fixture/js.
const ROOT = `${FIXTURE_ROOT}/js`;

describe("ESLint stylish", () => {
  it("reads every message with its rule, and the parsing error without one", () => {
    expect(parseAnnotations(toolOutput("eslint-stylish"), { repoRoot: ROOT })).toEqual([
      at(
        "src/app.js",
        1,
        7,
        "failure",
        "'unused' is assigned a value but never used",
        "no-unused-vars",
      ),
      at(
        "src/app.js",
        4,
        7,
        "warning",
        "'total' is never reassigned. Use 'const' instead",
        "prefer-const",
      ),
      at("src/app.js", 5, 9, "warning", "Expected '===' and instead saw '=='", "eqeqeq"),
      at("src/app.js", 6, 12, "failure", "'undefinedThing' is not defined", "no-undef"),
      at("src/broken.js", 2, 9, "failure", "Parsing error: Unexpected token ="),
      at("src/café.js", 2, 20, "warning", "Expected '===' and instead saw '=='", "eqeqeq"),
    ]);
  });

  it("keeps the path as printed (absolute) and the output line it came from", () => {
    const raw = parseEslintStylish(toolOutput("eslint-stylish"));
    expect(raw).toHaveLength(6);
    expect(raw[0]).toMatchObject({ path: `${ROOT}/src/app.js`, output_line: 2 });
    expect(raw[5]).toMatchObject({ path: `${ROOT}/src/café.js`, output_line: 11 });
  });

  it("makes absolute paths relative to a root higher up", () => {
    const paths = parseAnnotations(toolOutput("eslint-stylish"), { repoRoot: FIXTURE_ROOT }).map(
      (a) => a.path,
    );
    expect(new Set(paths)).toEqual(
      new Set(["js/src/app.js", "js/src/broken.js", "js/src/café.js"]),
    );
  });

  it("ignores message-shaped lines with no file above them, and the summary", () => {
    const output = [
      "  1:7  error  Lost message  no-undef",
      "",
      "✖ 1 problem (1 error, 0 warnings)",
    ];
    expect(parseEslintStylish(output.join("\n"))).toEqual([]);
  });

  it("reads ESLint's file-level 0:0 messages on line 1", () => {
    const output =
      "\nsrc/x.js\n  0:0  warning  File ignored because of a matching ignore pattern\n";
    expect(parseAnnotations(output, { repoRoot: ROOT })).toEqual([
      {
        path: "src/x.js",
        start_line: 1,
        end_line: 1,
        annotation_level: "warning",
        message: "File ignored because of a matching ignore pattern",
      },
    ]);
  });
});

describe("ESLint unix", () => {
  it("reads every line, severity and rule", () => {
    expect(parseAnnotations(toolOutput("eslint-unix"), { repoRoot: ROOT })).toEqual([
      at(
        "src/app.js",
        1,
        7,
        "failure",
        "'unused' is assigned a value but never used.",
        "no-unused-vars",
      ),
      at(
        "src/app.js",
        4,
        7,
        "warning",
        "'total' is never reassigned. Use 'const' instead.",
        "prefer-const",
      ),
      at("src/app.js", 5, 9, "warning", "Expected '===' and instead saw '=='.", "eqeqeq"),
      at("src/app.js", 6, 12, "failure", "'undefinedThing' is not defined.", "no-undef"),
      at("src/broken.js", 2, 9, "failure", "Parsing error: Unexpected token ="),
      at("src/café.js", 2, 20, "warning", "Expected '===' and instead saw '=='.", "eqeqeq"),
    ]);
  });

  it("is read by the unix parser, not the generic one", () => {
    expect(parseEslintUnix(toolOutput("eslint-unix"))).toHaveLength(6);
    const levels = parseAnnotations(toolOutput("eslint-unix"), { repoRoot: ROOT }).map(
      (a) => a.annotation_level,
    );
    expect(levels).toEqual(["failure", "warning", "warning", "failure", "failure", "warning"]);
  });
});
