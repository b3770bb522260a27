import { describe, expect, it } from "vitest";
import { parseCommand } from "../../src/web/parse-command.js";

describe("parseCommand", () => {
  it.each([
    ["/chant implement", { name: "implement", spec: undefined, force: false }],
    [
      "/chant implement 2026-01-29-003-ghi",
      { name: "implement", spec: "2026-01-29-003-ghi", force: false },
    ],
    [
      "  /chant   implement   --force  2026-01-29-003-ghi ",
      { name: "implement", spec: "2026-01-29-003-ghi", force: true },
    ],
    [
      '/chant implement ".chant/specs/2026-01-29-003-ghi.md"',
      { name: "implement", spec: ".chant/specs/2026-01-29-003-ghi.md", force: false },
    ],
    ["/chant IMPLEMENT -f", { name: "implement", spec: undefined, force: true }],
    ["/chant plan", { name: "plan", spec: undefined, force: false }],
    ["/chant plan --force 005-k9w", { name: "plan", spec: "005-k9w", force: true }],
    ["/chant plan a b", { name: "help", problem: "`plan` takes at most one spec" }],
    ["/chant approve", { name: "approve", sha: undefined }],
    ["/chant approve ABCDEF0", { name: "approve", sha: "abcdef0" }],
    [`/chant approve ${"a".repeat(40)}`, { name: "approve", sha: "a".repeat(40) }],
    [
      "/chant approve abc",
      { name: "help", problem: "`abc` is not a commit sha (7 to 40 hexadecimal digits)" },
    ],
    [
      "/chant approve HEAD~1",
      { name: "help", problem: "`HEAD~1` is not a commit sha (7 to 40 hexadecimal digits)" },
    ],
    [
      "/chant approve a1b2c3d e",
      { name: "help", problem: "`approve` takes at most one commit sha" },
    ],
    // A reason is free text, quotes and apostrophes included; only the first line counts.
    [
      `/chant reject don't touch the "public" API\nmore words`,
      { name: "reject", reason: `don't touch the "public" API` },
    ],
    [
      "/chant reject",
      { name: "help", problem: "`reject` needs a reason: `/chant reject the scope is too wide`" },
    ],
    ["/chant retry", { name: "retry" }],
    ["/chant cancel\r\nplease stop it", { name: "cancel" }],
    ["\n\n/chant status", { name: "status" }],
    ["/chant check", { name: "check" }],
    ["/chant help", { name: "help", problem: undefined }],
    ["/chant", { name: "help", problem: undefined }],
    ["/chant deploy", { name: "help", problem: "`deploy` is not a chant-bot command" }],
    ["/chant retry now", { name: "help", problem: "`retry` takes no arguments" }],
    ["/chant implement a b", { name: "help", problem: "`implement` takes at most one spec" }],
    ["/chant implement --yolo", { name: "help", problem: "`implement` has no option `--yolo`" }],
    ['/chant implement "unbalanced', { name: "help", problem: expect.stringMatching(/quote/i) }],
    // Nothing is ever expanded: the argument is the literal text.
    [
      '/chant implement "$(touch /tmp/pwned)"',
      { name: "implement", spec: "$(touch /tmp/pwned)", force: false },
    ],
    [
      "/chant implement $(touch /tmp/pwned)",
      { name: "help", problem: "`implement` takes at most one spec" },
    ],
  ])("reads %j", (body, expected) => {
    expect(parseCommand(body)).toEqual(expected);
  });

  it.each([
    ["not addressed to chant-bot", "Thanks! /chant implement"],
    ["a command below the first line", "Looks good.\n/chant implement"],
    ["a fenced command", "```\n/chant implement\n```"],
    ["an indented code block", "    /chant implement"],
    ["inline code", "`/chant implement`"],
    ["a quote", "> /chant implement"],
    ["another word", "/chantey implement"],
    ["an empty comment", ""],
  ])("ignores %s", (_name, body) => {
    expect(parseCommand(body)).toBeUndefined();
  });

  it("bounds what it reads", () => {
    expect(parseCommand(`/chant implement ${"x".repeat(1000)}`)).toEqual({
      name: "help",
      problem: "the command line is longer than 500 characters",
    });
  });
});
