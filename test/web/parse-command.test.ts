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
