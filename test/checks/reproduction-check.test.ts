import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { toCheckRunUpdate } from "../../src/checks/check-run-update.js";
import { checkTestPaths, reproductionCommand } from "../../src/checks/reproduction-check.js";
import { removeCheckRepos, tempDir } from "./check-repos.js";

afterAll(removeCheckRepos);

describe("reproduction command", () => {
  it("replaces every {tests} with the shell-quoted paths, and leaves a command without it alone", () => {
    expect(reproductionCommand("node --test {tests}", ["test/a.test.js", "test/b c.test.js"])).toBe(
      "node --test 'test/a.test.js' 'test/b c.test.js'",
    );
    expect(reproductionCommand("echo {tests} && run {tests}", ["t.js"])).toBe(
      "echo 't.js' && run 't.js'",
    );
    expect(reproductionCommand("npm run test:regression", ["t.js"])).toBe(
      "npm run test:regression",
    );
  });

  it("accepts regular files of the checkout only", async () => {
    const root = realpathSync(tempDir());
    mkdirSync(join(root, "test"));
    writeFileSync(join(root, "test/ok.test.js"), "");
    symlinkSync("/etc", join(root, "test/etc"));
    symlinkSync(join(root, "test/ok.test.js"), join(root, "test/link.test.js"));
    const { refused, missing } = await checkTestPaths(root, [
      "test/ok.test.js",
      "test/missing.test.js",
      "test/etc/passwd",
      "test/link.test.js",
      "test",
      "$(id)",
      "../x.test.js",
      "-rf",
      "a\nb",
    ]);
    expect(missing).toEqual(["test/missing.test.js"]);
    expect(refused.map((r) => [r.path, r.problem])).toEqual([
      ["test/etc/passwd", "leads outside the checkout"],
      ["test/link.test.js", "is not a regular file (a directory or a symbolic link)"],
      ["test", "is not a regular file (a directory or a symbolic link)"],
      ["$(id)", expect.stringContaining("is not a plain relative path")],
      ["../x.test.js", expect.stringContaining("is not a plain relative path")],
      ["-rf", expect.stringContaining("is not a plain relative path")],
      ["a\nb", expect.stringContaining("is not a plain relative path")],
    ]);
  });
});

describe("toCheckRunUpdate", () => {
  it("maps a result to a completed check run, leaving out empty text", () => {
    const update = toCheckRunUpdate({
      name: "chant/tests",
      conclusion: "skipped",
      title: "No checks.tests command configured",
      summary: "s",
      text: "",
      annotations: [],
      startedAt: "2026-02-01T10:00:00.000Z",
      completedAt: "2026-02-01T10:00:00.000Z",
      durationMs: 0,
    });
    expect(update).toEqual({
      status: "completed",
      conclusion: "skipped",
      startedAt: "2026-02-01T10:00:00.000Z",
      completedAt: "2026-02-01T10:00:00.000Z",
      title: "No checks.tests command configured",
      summary: "s",
      annotations: [],
    });
  });
});
