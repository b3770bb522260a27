import { describe, expect, it } from "vitest";
import { parseFlake8 } from "../../../src/checks/annotations/flake8.js";
import { parseAnnotations } from "../../../src/checks/annotations/parse-annotations.js";
import { RUFF_FORMAT_MESSAGE, parseRuff } from "../../../src/checks/annotations/ruff.js";
import { FIXTURE_ROOT, at, toolOutput } from "./tool-output.js";

const ROOT = `${FIXTURE_ROOT}/python`;

// Captured from flake8 5.0.4 (Debian 12's `apt-get install flake8`) in
// test/fixtures/tool-output/projects/python (see projects/capture.sh):
//   flake8-relative.txt: `flake8 .` (paths start with ./)
//   flake8-absolute.txt: `flake8 /tmp/chant-fixture/python`
const FLAKE8 = [
  at("app.py", 1, 1, "failure", "'os' imported but unused", "F401"),
  at("app.py", 6, 22, "failure", "undefined name 'nme'", "F821"),
  at("app.py", 7, 80, "failure", "line too long (104 > 79 characters)", "E501"),
  at("app.py", 8, 1, "failure", "expected 2 blank lines, found 0", "E302"),
  at("app.py", 9, 5, "failure", "local variable 'x' is assigned to but never used", "F841"),
  at("app.py", 9, 6, "failure", "missing whitespace around operator", "E225"),
  at("pkg/broken.py", 1, 8, "failure", "SyntaxError: invalid syntax", "E999"),
];

describe("flake8", () => {
  it("reads ./-relative paths", () => {
    expect(parseAnnotations(toolOutput("flake8-relative"), { repoRoot: ROOT })).toEqual(FLAKE8);
    expect(parseFlake8(toolOutput("flake8-relative"))[0]?.path).toBe("./app.py");
  });

  it("reads absolute paths inside the repository", () => {
    expect(parseAnnotations(toolOutput("flake8-absolute"), { repoRoot: ROOT })).toEqual(FLAKE8);
  });

  it("drops absolute paths outside the repository", () => {
    expect(
      parseAnnotations(toolOutput("flake8-absolute"), { repoRoot: `${FIXTURE_ROOT}/js` }),
    ).toEqual([]);
    // A root that is only a prefix of the directory name is not the directory.
    expect(
      parseAnnotations(toolOutput("flake8-absolute"), { repoRoot: `${FIXTURE_ROOT}/py` }),
    ).toEqual([]);
  });

  it("makes W codes warnings", () => {
    const [annotation] = parseAnnotations("x.py:3:1: W391 blank line at end of file", {
      repoRoot: "/r",
    });
    expect(annotation?.annotation_level).toBe("warning");
  });
});

// Ruff: its CLI does not install here (not on Debian 12 apt; PyPI unreachable),
// so these fixtures are NOT a capture of the ruff CLI. They hold REAL
// diagnostics (codes, messages, positions, fixes) from Ruff 0.17.4's official
// WebAssembly build (npm @astral-sh/ruff-wasm-nodejs), printed by
// projects/render-ruff.mjs in the layouts that ruff's own CLI snapshot tests
// document (crates/ruff/tests/cli/snapshots/cli__lint__output_format_{concise,full}.snap,
// cli__format__output_format_*.snap), for the commands:
//   ruff-concise.txt:      `ruff check --select E,F,W --output-format concise app.py pkg/typed.py`
//   ruff-full.txt:         `ruff check --select E,F,W --output-format full app.py pkg/typed.py`
//   ruff-format-check.txt: `ruff format --check app.py pkg/typed.py pkg/__init__.py`
const RUFF = [
  at("app.py", 1, 8, "failure", "`os` imported but unused", "F401"),
  at("app.py", 6, 22, "failure", "Undefined name `nme`", "F821"),
  at("app.py", 7, 89, "failure", "Line too long (104 > 88)", "E501"),
  at("app.py", 9, 5, "failure", "Local variable `x` is assigned to but never used", "F841"),
];

describe("Ruff", () => {
  it("reads the concise format (and strips the [*] fixable mark)", () => {
    expect(parseAnnotations(toolOutput("ruff-concise"), { repoRoot: ROOT })).toEqual(RUFF);
  });

  it("reads the full format (header, then --> location)", () => {
    expect(parseAnnotations(toolOutput("ruff-full"), { repoRoot: ROOT })).toEqual(RUFF);
  });

  it("reads ruff format --check", () => {
    expect(parseAnnotations(toolOutput("ruff-format-check"), { repoRoot: ROOT })).toEqual([
      at("app.py", 1, 0, "warning", RUFF_FORMAT_MESSAGE, "ruff format"),
    ]);
  });

  it("keeps a concise line for ruff, not for flake8 which also matches it", () => {
    // flake8's pattern reads "[*] `os` imported but unused" as the message.
    expect(parseFlake8(toolOutput("ruff-concise"))[0]?.message).toBe(
      "[*] `os` imported but unused",
    );
    expect(parseAnnotations(toolOutput("ruff-concise"), { repoRoot: ROOT })[0]?.message).toBe(
      "`os` imported but unused",
    );
  });

  // From ruff's documented snapshots (cli__lint__output_format_concise.snap and
  // the preview variant, cli__format__output_format_concise.snap,
  // cli__lint__output_format_full.snap for the pre-0.12 full layout's first line).
  it("reads named diagnostics and the formatter's concise output", () => {
    const output = [
      "input.py:3:1: invalid-syntax: Cannot use `match` statement on Python 3.9 (syntax was added in Python 3.10)",
      "input.py:1:8: unused-import: [*] `os` imported but unused",
      "input.py:1:1: unformatted: File would be reformatted",
      "Found 3 errors.",
      "[*] 1 fixable with the `--fix` option.",
    ].join("\n");
    expect(parseAnnotations(output, { repoRoot: "/r" })).toEqual([
      at(
        "input.py",
        3,
        1,
        "failure",
        "Cannot use `match` statement on Python 3.9 (syntax was added in Python 3.10)",
        "invalid-syntax",
      ),
      at("input.py", 1, 8, "failure", "`os` imported but unused", "unused-import"),
      at("input.py", 1, 1, "warning", RUFF_FORMAT_MESSAGE, "unformatted"),
    ]);
  });

  it("does not read rustc headers as ruff rule names", () => {
    expect(parseRuff("warning: unused variable: `x`\n --> src/main.rs:2:9")).toEqual([]);
  });
});
