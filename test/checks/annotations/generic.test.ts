import { describe, expect, it } from "vitest";
import { parseGeneric } from "../../../src/checks/annotations/generic.js";
import { parseAnnotations } from "../../../src/checks/annotations/parse-annotations.js";
import { FIXTURE_ROOT, at, toolOutput } from "./tool-output.js";

// The generic `path:line:col: message` and `path:line: message` shapes, captured
// (see projects/capture.sh) from tools that print nothing more specific:
//   generic-pyflakes.txt: pyflakes 2.5 (Debian's flake8 package), `python3 -m pyflakes app.py pkg`
//                         in projects/python: path:line:col: message, plus a code frame
//   generic-mypy.txt:     mypy 1.0.1 (`apt-get install mypy`),
//                         `mypy --no-error-summary --no-color-output pkg/typed.py`: path:line: error: ...  [code]
//   generic-make.txt:     GNU Make 4.3, `make` in projects/make: path:line: message
describe("generic path:line[:col]: message", () => {
  it("reads pyflakes (no severity word: a warning) and skips its code frame", () => {
    expect(
      parseAnnotations(toolOutput("generic-pyflakes"), { repoRoot: `${FIXTURE_ROOT}/python` }),
    ).toEqual([
      at("app.py", 1, 1, "warning", "'os' imported but unused"),
      at("app.py", 6, 22, "warning", "undefined name 'nme'"),
      at("app.py", 9, 5, "warning", "local variable 'x' is assigned to but never used"),
      at("pkg/broken.py", 1, 7, "warning", "invalid syntax"),
    ]);
  });

  it("reads mypy's severity and trailing error code", () => {
    expect(
      parseAnnotations(toolOutput("generic-mypy"), { repoRoot: `${FIXTURE_ROOT}/python` }),
    ).toEqual([
      at(
        "pkg/typed.py",
        5,
        0,
        "failure",
        'Incompatible types in assignment (expression has type "int", variable has type "str")',
        "assignment",
      ),
      at(
        "pkg/typed.py",
        6,
        0,
        "failure",
        'Argument 1 to "double" has incompatible type "str"; expected "int"',
        "arg-type",
      ),
    ]);
  });

  it("reads make's Makefile:line: message", () => {
    expect(
      parseAnnotations(toolOutput("generic-make"), { repoRoot: `${FIXTURE_ROOT}/make` }),
    ).toEqual([
      at(
        "Makefile",
        2,
        0,
        "warning",
        "*** missing separator (did you mean TAB instead of 8 spaces?).  Stop.",
      ),
    ]);
  });

  it("maps severity words: error, warning, note/info/hint", () => {
    const output = [
      "a.c:1:2: error: bad",
      "a.c:2:2: warning: odd",
      "a.py:3: note: see here",
      "b.sh:4:1: info: fine",
      "c.go:5:1: hint: maybe",
    ].join("\n");
    expect(parseAnnotations(output, { repoRoot: "/r" }).map((a) => a.annotation_level)).toEqual([
      "failure",
      "warning",
      "notice",
      "notice",
      "notice",
    ]);
  });

  it("does not take prose, addresses or timestamps for locations", () => {
    const output = [
      "Error in src/a.js:3: something",
      "localhost:8080: connection refused",
      "10.0.0.1:443: timed out",
      "2024-01-01T12:30:45: started",
      'warning: `broken` (bin "broken") generated 4 warnings',
      "   src/a.js:1:1: indented",
      "src/a.js:1:1:",
      "src/a.js:1:1:    ",
    ].join("\n");
    expect(parseGeneric(output)).toEqual([]);
  });
});
