import { describe, expect, it } from "vitest";
import {
  MAX_ANNOTATIONS,
  MAX_MESSAGE_BYTES,
  MAX_OUTPUT_CHARS,
  parseAnnotations,
} from "../../../src/checks/annotations/parse-annotations.js";
import { cutUtf8 } from "../../../src/util/utf8.js";
import { FIXTURE_ROOT, at, toolOutput } from "./tool-output.js";

const ROOT = "/repo";

describe("parseAnnotations", () => {
  it("gives [] for empty output and for output without locations", () => {
    expect(parseAnnotations("", { repoRoot: ROOT })).toEqual([]);
    expect(parseAnnotations("\n\n", { repoRoot: ROOT })).toEqual([]);
    expect(
      parseAnnotations("All matched files use Prettier code style!\n", { repoRoot: ROOT }),
    ).toEqual([]);
  });

  it("strips ANSI colour codes and hyperlinks first", () => {
    const red = (text: string) => `\u001b[31m${text}\u001b[39m`;
    const link = (text: string) => `\u001b]8;;file:///repo/src/a.js\u0007${text}\u001b]8;;\u0007`;
    const output = [
      "",
      `\u001b[4m${link("/repo/src/a.js")}\u001b[24m`,
      `  \u001b[2m3:5\u001b[22m  ${red("error")}  Bad thing  \u001b[2mno-bad\u001b[22m`,
      "",
    ].join("\n");
    expect(parseAnnotations(output, { repoRoot: ROOT })).toEqual([
      at("src/a.js", 3, 5, "failure", "Bad thing", "no-bad"),
    ]);
    // tsc --pretty's own colours (a real capture).
    expect(
      parseAnnotations(toolOutput("tsc-pretty"), { repoRoot: `${FIXTURE_ROOT}/js` }),
    ).toHaveLength(3);
  });

  it("drops paths outside the repository", () => {
    const output = [
      "/elsewhere/a.js:1:1: error: absolute elsewhere",
      "/repository/a.js:1:1: error: a sibling whose name starts like the root",
      "../a.js:1:1: error: relative, escaping",
      "src/../../a.js:1:1: error: escaping through a subdirectory",
      "C:/repo/a.js:1:1: error: another drive",
      "/repo:1:1: error: the root itself",
      "/repo/src/ok.js:1:1: error: inside",
      "./src/also.js:2:1: error: dot-relative",
      "src/../lib/fine.js:3:1: error: relative, staying inside",
    ].join("\n");
    expect(parseAnnotations(output, { repoRoot: ROOT }).map((a) => a.path)).toEqual([
      "src/ok.js",
      "src/also.js",
      "lib/fine.js",
    ]);
  });

  it("annotates a line once, with the most specific parser", () => {
    // Clippy's short form is also the generic shape; ruff's concise form is also flake8's.
    const output = [
      "src/main.rs:2:9: warning: unused variable: `x`",
      "app.py:1:8: F401 [*] `os` imported but unused",
    ].join("\n");
    expect(parseAnnotations(output, { repoRoot: ROOT })).toEqual([
      at("src/main.rs", 2, 9, "warning", "unused variable: `x`"),
      at("app.py", 1, 8, "failure", "`os` imported but unused", "F401"),
    ]);
  });

  it("removes duplicates (same path, line, column and message)", () => {
    const line = "src/a.c:3:4: error: boom";
    const output = [line, line, "./src/a.c:3:4: error: boom", "/repo/src/a.c:3:4: error: boom"];
    output.push("src/a.c:3:5: error: boom");
    expect(parseAnnotations(output.join("\n"), { repoRoot: ROOT })).toEqual([
      at("src/a.c", 3, 4, "failure", "boom"),
      at("src/a.c", 3, 5, "failure", "boom"),
    ]);
  });

  it("keeps at most MAX_ANNOTATIONS, in the tool's order", () => {
    const output = Array.from({ length: 5000 }, (_, i) => `src/a.js:${i + 1}:1: error: e${i}`);
    const annotations = parseAnnotations(output.join("\n"), { repoRoot: ROOT });
    expect(annotations).toHaveLength(MAX_ANNOTATIONS);
    expect(annotations[0]?.start_line).toBe(1);
    expect(annotations.at(-1)?.start_line).toBe(MAX_ANNOTATIONS);
  });

  it("reads only the first MAX_OUTPUT_CHARS of the output", () => {
    const filler = "x".repeat(1000) + "\n";
    const output =
      filler.repeat(Math.ceil(MAX_OUTPUT_CHARS / filler.length)) +
      "src/late.js:1:1: error: too late\n";
    expect(parseAnnotations(output, { repoRoot: ROOT })).toEqual([]);
  });

  // Not timed (speed is a benchmark's business): the test's time limit catches a
  // pattern that backtracks catastrophically, which would take minutes here.
  it("is bounded on 10 MB of garbage", { timeout: 30_000 }, () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const alphabet = [
      "a",
      "/",
      ".",
      ":",
      "1",
      " ",
      "\n",
      "(",
      ",",
      ")",
      "━",
      "×",
      "[",
      "]",
      "-",
      "\u001b",
      "%",
      "é",
      "😀",
      "\t",
      "js",
    ];
    const parts: string[] = [];
    for (let i = 0; i < 10 * 1024 * 1024; i++)
      parts.push(alphabet[Math.floor(random() * alphabet.length)] ?? "");
    // Real locations buried in it too.
    const garbage = parts.join("") + "\nsrc/a.js:1:1: error: x\n".repeat(100_000);
    const annotations = parseAnnotations(garbage, { repoRoot: ROOT });
    expect(annotations.length).toBeLessThanOrEqual(MAX_ANNOTATIONS);
  });

  it("finishes on long lines made to make patterns backtrack", { timeout: 30_000 }, () => {
    const units = ["a:1:1: ", "a(1,", " ━━━", "  [a", "\u001b]", "a.js:1:", "C:", "  1:1  error  "];
    for (const unit of units) {
      const line = unit.repeat(Math.floor(19_000 / unit.length));
      expect(
        parseAnnotations(`${line}\n`.repeat(100), { repoRoot: ROOT }).length,
      ).toBeLessThanOrEqual(MAX_ANNOTATIONS);
    }
  });

  it("survives weird unicode: paths with accents kept, control, bidi and half-surrogate characters dropped", () => {
    const output = [
      "src/naïve-日本.js:1:1: error: ünïcödé 😀 message",
      "src/evil\u202Egnp.js:1:1: error: bidi override in the path",
      "src/a.js:2:1: error: bidi \u202Eoverride in the message",
      "src/\u0000nul.js:1:1: error: NUL",
      "src/\uD800broken-surrogate.js:1:1: error: lone surrogate in the path",
      "src/b.js:1:1: error: lone \uDC00surrogate in the message",
    ].join("\n");
    const annotations = parseAnnotations(output, { repoRoot: ROOT });
    expect(annotations.map((a) => [a.path, a.message])).toEqual([
      ["src/naïve-日本.js", "ünïcödé 😀 message"],
      ["src/a.js", "bidi override in the message"],
      ["src/b.js", "lone \uFFFDsurrogate in the message"],
    ]);
  });

  it("cuts a message to 64 KiB of UTF-8, never inside a character", () => {
    const output = `src/a.js:1:1: error: ${"é".repeat(MAX_MESSAGE_BYTES)}`;
    const [annotation] = parseAnnotations(output, { repoRoot: ROOT });
    // The line is over the per-line limit, so it is not read at all...
    expect(annotation).toBeUndefined();
    // ...and a message that long is cut by cutUtf8.
    const cut = cutUtf8("é".repeat(MAX_MESSAGE_BYTES), MAX_MESSAGE_BYTES);
    expect(Buffer.byteLength(cut, "utf8")).toBe(MAX_MESSAGE_BYTES);
    expect(cut).toBe("é".repeat(MAX_MESSAGE_BYTES / 2));
    expect(cutUtf8("😀😀", 6)).toBe("😀");
  });

  it("cuts a long TypeScript message chain to 64 KiB", () => {
    const chain = Array.from(
      { length: 40 },
      () => `  ${"Type 'x' is not assignable. ".repeat(100)}`,
    );
    const output = ["src/a.ts(1,1): error TS2322: Start.", ...chain].join("\n");
    const [annotation] = parseAnnotations(output, { repoRoot: ROOT });
    expect(Buffer.byteLength(annotation?.message ?? "", "utf8")).toBeLessThanOrEqual(
      MAX_MESSAGE_BYTES,
    );
    expect(annotation?.message.startsWith("Start.\nType 'x'")).toBe(true);
  });

  it("drops annotations on files the isFile check rejects", () => {
    const output = "src/a.js:1:1: error: here\nsrc/gone.js:1:1: error: deleted\n";
    const annotations = parseAnnotations(output, {
      repoRoot: ROOT,
      isFile: (path) => path === "src/a.js",
    });
    expect(annotations.map((a) => a.path)).toEqual(["src/a.js"]);
  });

  it("reads every captured fixture of one repository together", () => {
    const combined = ["eslint-unix", "tsc-plain", "prettier-check-clean", "biome-github"]
      .map(toolOutput)
      .join("\n");
    const annotations = parseAnnotations(combined, { repoRoot: `${FIXTURE_ROOT}/js` });
    expect(annotations).toHaveLength(6 + 3 + 2 + 10);
  });
});
