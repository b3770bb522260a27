import { describe, expect, it } from "vitest";
import { parseClippyShort } from "../../../src/checks/annotations/clippy-short.js";
import { parseGeneric } from "../../../src/checks/annotations/generic.js";
import { parseAnnotations } from "../../../src/checks/annotations/parse-annotations.js";
import { FIXTURE_ROOT, at, toolOutput } from "./tool-output.js";

// Captured from clippy 0.1.95 (cargo clippy --version) in
// test/fixtures/tool-output/projects/rust (see projects/capture.sh), after `cargo clean`:
//   clippy-short.txt: `cargo clippy --offline --message-format=short --bins`
//   clippy-human.txt: `cargo clippy --offline --bins` (the default human format)
// src/bin/typo.rs has a type error, so both end with "could not compile".
const ROOT = `${FIXTURE_ROOT}/rust`;

describe("cargo clippy --message-format=short", () => {
  it("reads warnings and errors with their codes", () => {
    expect(parseAnnotations(toolOutput("clippy-short"), { repoRoot: ROOT })).toEqual([
      at(
        "src/main.rs",
        2,
        9,
        "warning",
        "unused variable: `unused`: help: if this is intentional, prefix it with an underscore: `_unused`",
      ),
      at("src/main.rs", 6, 5, "warning", "unneeded `return` statement"),
      at(
        "src/main.rs",
        1,
        13,
        "warning",
        "writing `&Vec` instead of `&[_]` involves a new object where a slice will do",
      ),
      at(
        "src/main.rs",
        3,
        8,
        "warning",
        "length comparison to zero: help: using `is_empty` is clearer and more explicit: `v.is_empty()`",
      ),
      at(
        "src/bin/typo.rs",
        2,
        18,
        "failure",
        "mismatched types: expected `i32`, found `&str`",
        "E0308",
      ),
    ]);
  });

  it("annotates a line once though the generic shape matches it too", () => {
    const output = toolOutput("clippy-short");
    expect(parseClippyShort(output)).toHaveLength(5);
    expect(parseGeneric(output)).toHaveLength(5);
    const annotations = parseAnnotations(output, { repoRoot: ROOT });
    expect(annotations).toHaveLength(5);
    // The generic parser would have kept "warning: " in the message; clippy's strips it.
    expect(annotations.every((a) => !a.message.startsWith("warning"))).toBe(true);
  });
});

describe("cargo clippy (human format)", () => {
  it("reads the header and --> location, and names the lint", () => {
    expect(parseAnnotations(toolOutput("clippy-human"), { repoRoot: ROOT })).toEqual([
      at("src/main.rs", 2, 9, "warning", "unused variable: `unused`", "unused_variables"),
      at("src/bin/typo.rs", 2, 18, "failure", "mismatched types", "E0308"),
      at("src/main.rs", 6, 5, "warning", "unneeded `return` statement", "clippy::needless_return"),
      at(
        "src/main.rs",
        1,
        13,
        "warning",
        "writing `&Vec` instead of `&[_]` involves a new object where a slice will do",
        "clippy::ptr_arg",
      ),
      at("src/main.rs", 3, 8, "warning", "length comparison to zero", "clippy::len_zero"),
    ]);
  });
});
