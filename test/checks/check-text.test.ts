import { describe, expect, it } from "vitest";
import {
  cleanOutput,
  commandMarkdown,
  fence,
  formatDuration,
  inlineCode,
  limitSummary,
  outputText,
} from "../../src/checks/check-text.js";
import { MAX_CHECK_TEXT } from "../../src/domain/checks.js";

describe("check text", () => {
  it.each([
    [0, "0 ms"],
    [850, "850 ms"],
    [1000, "1 s"],
    [1234, "1.2 s"],
    [59_940, "59.9 s"],
    [125_000, "2 min 5 s"],
    [15 * 60_000, "15 min"],
    [3_780_000, "1 h 3 min"],
  ])("formats %d ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("makes code spans and fences that the text cannot break out of", () => {
    expect(inlineCode("npm test")).toBe("`npm test`");
    expect(inlineCode("echo `date`")).toBe("`` echo `date` ``");
    expect(inlineCode("a\nb")).toBe("`a b`");
    expect(fence("plain")).toBe("```\nplain\n```");
    expect(fence("x\n````\ny\n")).toBe("`````\nx\n````\ny\n`````");
    expect(commandMarkdown("npm ci\nnpm test")).toBe("\n\n  ```sh\n  npm ci\n  npm test\n  ```");
  });

  it("strips terminal escapes and turns carriage returns into line breaks", () => {
    expect(cleanOutput("\u001b[31mred\u001b[0m\r\n10%\r20%\u0007")).toBe("red\n10%\n20%");
  });

  it("cuts a summary to the limit with a note", () => {
    const summary = "s".repeat(MAX_CHECK_TEXT + 1000);
    const cut = limitSummary(summary);
    expect(cut.length).toBeLessThanOrEqual(MAX_CHECK_TEXT);
    expect(cut).toMatch(
      /… \(summary cut to GitHub's limit of 65535 characters: \d+ characters left out\)$/,
    );
    expect(limitSummary("short")).toBe("short");
    // Never half a surrogate pair at the cut.
    const emoji = limitSummary("😀".repeat(40_000));
    expect(emoji.length).toBeLessThanOrEqual(MAX_CHECK_TEXT);
    expect(emoji).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it("keeps the tail of outputs, sharing the space, with a note where cut", () => {
    const long = Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join("\n");
    const text = outputText([
      { heading: "#### Base", output: "short base output" },
      { heading: "#### Head", output: long },
    ]);
    expect(text.length).toBeLessThanOrEqual(MAX_CHECK_TEXT);
    expect(text).toContain("#### Base\n\n```\nshort base output\n```");
    expect(text).toMatch(
      /#### Head\n\n… \(output cut: showing the last \d+ of \d+ characters\)\n\n```\nline \d+\n/,
    );
    expect(text).toMatch(/line 19999\n```$/);

    const both = outputText([{ output: long }, { output: long }]);
    expect(both.length).toBeLessThanOrEqual(MAX_CHECK_TEXT);
    expect(both.length).toBeGreaterThan(MAX_CHECK_TEXT - 2000);
    expect(both.match(/line 19999/g)).toHaveLength(2);
  });

  it("says when the runner already dropped the middle, and shows empty output", () => {
    expect(outputText([{ output: "head\n[… 5 bytes dropped …]\ntail", droppedBytes: 5 }])).toBe(
      "… (output cut: the runner kept the first and last part of the output and left out 5 bytes in between)\n\n```\nhead\n[… 5 bytes dropped …]\ntail\n```",
    );
    expect(outputText([{ heading: "#### Head", output: "" }])).toBe("#### Head\n\n(no output)");
    expect(outputText([])).toBe("");
  });

  it("stays under the limit whatever the output holds", () => {
    const hostile = "`".repeat(70_000);
    expect(outputText([{ output: hostile }]).length).toBeLessThanOrEqual(MAX_CHECK_TEXT);
  });
});
