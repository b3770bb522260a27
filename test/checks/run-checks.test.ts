import { existsSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { testSandbox } from "../support/sandbox.js";
import { MAX_CHECK_TEXT } from "../../src/domain/checks.js";
import { runChecks, type CheckResult, type ChecksInput } from "../../src/checks/run-checks.js";
import { loadLocalConfig } from "../../src/forge/local/local-config.js";
import type { ChecksCommands } from "../../src/checks/check-types.js";
import type { CheckName } from "../../src/domain/checks.js";
import { createRedactor, redactKnownTokens } from "../../src/util/redact.js";
import {
  checkRepo,
  FIXED_STORE,
  git,
  GIT_ENV,
  KV_STORE,
  removeCheckRepos,
  REPRODUCTION_TEST,
  tempDir,
} from "./check-repos.js";

afterAll(removeCheckRepos);

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await testSandbox();
});

type Checks = ChecksCommands;

/** kv-store's commands, without npm (its start-up would only slow the tests down). */
const KV_CHECKS: Checks = {
  reproduction: "node --test {tests}",
  tests: "node --test",
  lint: "node scripts/lint.js",
  format: "node scripts/format-check.js",
  timeout_minutes: 5,
};

function input(dir: string, extra: Partial<ChecksInput> = {}): ChecksInput {
  return {
    workspace: dir,
    // The commands run in the real sandbox, on the test's checkout as a person's (it keeps its owner).
    sandbox,
    privateDir: tempDir(),
    ownsCheckouts: false,
    reproductionTests: [REPRODUCTION_TEST],
    config: KV_CHECKS,
    env: GIT_ENV,
    redact: redactKnownTokens,
    ...extra,
  };
}

function byName(results: CheckResult[], name: CheckName): CheckResult {
  const result = results.find((r) => r.name === name);
  if (!result) throw new Error(`no result for ${name}`);
  return result;
}

async function worktrees(dir: string): Promise<number> {
  const list = await git(dir, "worktree", "list", "--porcelain");
  return list.split("\n").filter((line) => line.startsWith("worktree ")).length;
}

describe("runChecks: reproduction", () => {
  it("succeeds when the test fails on the base and passes on the head (kv-store's own config)", async () => {
    const repo = await checkRepo({ after: { "src/store.js": FIXED_STORE } });
    const config = await loadLocalConfig(repo.dir);
    const started: string[] = [];
    const completed: string[] = [];
    const results = await runChecks(
      input(repo.dir, {
        baseSha: repo.baseSha,
        config: config.checks,
        onStart: (name, at) => {
          expect(Date.parse(at)).not.toBeNaN();
          started.push(name);
        },
        onComplete: (result) => {
          completed.push(result.name);
        },
      }),
    );
    expect(results.map((r) => [r.name, r.conclusion, r.title])).toEqual([
      ["chant/reproduction", "success", "Reproduction test failed on base, passes on head"],
      ["chant/tests", "success", "Tests passed"],
      ["chant/lint", "success", "Lint passed"],
      ["chant/format", "success", "Format check passed"],
    ]);
    expect(started).toEqual(["chant/reproduction", "chant/tests", "chant/lint", "chant/format"]);
    expect(completed).toEqual(started);
    const reproduction = byName(results, "chant/reproduction");
    expect(reproduction.summary).toContain(
      "**Command:** `node --test 'test/regression/issue-42.test.js'`",
    );
    expect(reproduction.summary).toMatch(
      new RegExp(`\\| On the base \`${repo.baseSha.slice(0, 12)}\` \\| failed \\| 1 \\| [^|]+ \\|`),
    );
    expect(reproduction.summary).toMatch(/\| On the head \| passed \| 0 \| [^|]+ \|/);
    expect(reproduction.text).toContain("#### On the head");
    expect(reproduction.text).toContain("# fail 1");
    expect(reproduction.text).toContain("# pass 1");
    for (const result of results) {
      expect(result.durationMs).toBeGreaterThanOrEqual(0);
      expect(Date.parse(result.completedAt) - Date.parse(result.startedAt)).toBe(result.durationMs);
      expect(result.annotations).toEqual([]);
    }
    expect(await worktrees(repo.dir)).toBe(1);
  });

  it("copies a test that is new in the head into the base, quoting its path", async () => {
    const test = "test/regression/issue 42, new.test.js";
    const source = readFileSync(join(KV_STORE, REPRODUCTION_TEST), "utf8");
    const repo = await checkRepo({
      before: { [REPRODUCTION_TEST]: null },
      after: { "src/store.js": FIXED_STORE, [test]: source },
    });
    const [result] = await runChecks(
      input(repo.dir, {
        baseSha: repo.baseSha,
        reproductionTests: [test],
        only: ["chant/reproduction"],
      }),
    );
    expect(result).toMatchObject({
      conclusion: "success",
      title: "Reproduction test failed on base, passes on head",
    });
    expect(result!.summary).toContain(`node --test 'test/regression/issue 42, new.test.js'`);
    expect(await worktrees(repo.dir)).toBe(1);
  });

  it("fails, explained, when the test already passes on the base", async () => {
    const passing = `import { test } from "node:test";\ntest("always passes", () => {});\n`;
    const repo = await checkRepo({
      before: { [REPRODUCTION_TEST]: passing },
      after: { "src/store.js": FIXED_STORE },
    });
    const [result] = await runChecks(
      input(repo.dir, { baseSha: repo.baseSha, only: ["chant/reproduction"] }),
    );
    expect(result).toMatchObject({
      name: "chant/reproduction",
      conclusion: "failure",
      title: "Reproduction test already passes on base: it does not reproduce the bug",
    });
    expect(result!.summary).toContain("it does not show that the bug existed");
    expect(result!.summary).toMatch(/\| On the base `[0-9a-f]{12}` \| passed \| 0 \|/);
  });

  it("fails when the test still fails on the head, and removes the worktree", async () => {
    const repo = await checkRepo({ after: { "README.md": "no fix here\n" } });
    const [result] = await runChecks(
      input(repo.dir, { baseSha: repo.baseSha, only: ["chant/reproduction"] }),
    );
    expect(result).toMatchObject({
      conclusion: "failure",
      title: "Reproduction test still fails on head",
    });
    expect(result!.summary).toMatch(/\| On the head \| failed \| 1 \|/);
    expect(result!.text).toContain("#### On the head");
    expect(await worktrees(repo.dir)).toBe(1);
  });

  it("is neutral when no base is known, or the base cannot be checked out", async () => {
    const repo = await checkRepo({ after: { "src/store.js": FIXED_STORE } });
    const [noBase] = await runChecks(input(repo.dir, { only: ["chant/reproduction"] }));
    expect(noBase).toMatchObject({
      conclusion: "neutral",
      title: "Reproduction test passes on head; the before-state could not be checked",
    });
    expect(noBase!.summary).toContain("no base commit is known for this change");

    const [missingBase] = await runChecks(
      input(repo.dir, {
        baseSha: "0123456789abcdef0123456789abcdef01234567",
        only: ["chant/reproduction"],
      }),
    );
    expect(missingBase).toMatchObject({ conclusion: "neutral" });
    expect(missingBase!.summary).toContain(
      "the base commit could not be checked out (`git checkout` exit 128)",
    );
    expect(missingBase!.text).toContain("#### Base checkout");
    expect(await worktrees(repo.dir)).toBe(1);
  });

  it("runs setup in the head and in the base; a setup failing only on the base leaves it neutral", async () => {
    const repo = await checkRepo({ after: { "src/store.js": FIXED_STORE, "setup-ok": "" } });
    // The sandbox lets a command write only in its own checkout: each setup leaves its mark there.
    const config: Checks = { ...KV_CHECKS, setup: "pwd >> setup.log" };
    const privateDir = tempDir();
    const results = await runChecks(
      input(repo.dir, {
        baseSha: repo.baseSha,
        config,
        privateDir,
        only: ["chant/reproduction", "chant/tests"],
      }),
    );
    expect(results.map((r) => r.conclusion)).toEqual(["success", "success"]);
    expect(readFileSync(join(repo.dir, "setup.log"), "utf8").trim()).toBe(repo.dir);
    const base = join(privateDir, "base-checkout");
    expect(readFileSync(join(base, "setup.log"), "utf8").trim()).toBe(base);
    expect(results[1]!.summary).toContain("Setup `pwd >> setup.log` ran first");

    const [result] = await runChecks(
      input(repo.dir, {
        baseSha: repo.baseSha,
        config: { ...KV_CHECKS, setup: "test -f setup-ok || { echo missing setup-ok; exit 4; }" },
        only: ["chant/reproduction"],
      }),
    );
    expect(result).toMatchObject({ conclusion: "neutral" });
    expect(result!.summary).toContain("`checks.setup` exit code 4 on the base commit");
    expect(result!.text).toContain("missing setup-ok");
    expect(await worktrees(repo.dir)).toBe(1);
  });

  it("is skipped, saying how to name a test, when none is known or no command is configured", async () => {
    const repo = await checkRepo();
    const [noTest] = await runChecks(
      input(repo.dir, { reproductionTests: [], only: ["chant/reproduction"] }),
    );
    expect(noTest).toMatchObject({
      conclusion: "skipped",
      title: "No reproduction test known for this change",
    });
    expect(noTest!.summary).toContain("`informed_by`");
    expect(noTest!.summary).toContain("acceptance criterion that mentions reproduction");

    const { reproduction: _, ...withoutReproduction } = KV_CHECKS;
    const [noCommand] = await runChecks(
      input(repo.dir, { config: withoutReproduction, only: ["chant/reproduction"] }),
    );
    expect(noCommand).toMatchObject({
      conclusion: "skipped",
      title: "No reproduction command configured",
    });
    expect(noCommand!.summary).toContain("`checks.reproduction` is not set");
    expect(noCommand!.summary).toContain("reproduction: npm test -- {tests}");
  });

  it("refuses hostile test paths without running anything", async () => {
    const repo = await checkRepo();
    const canaries = tempDir();
    const canary = join(canaries, "pwned");
    const ran = join(canaries, "ran");
    symlinkSync("/etc/passwd", join(repo.dir, "test/regression/link.test.js"));
    const config: Checks = { ...KV_CHECKS, reproduction: `touch ${ran} && node --test {tests}` };
    const hostile = [
      `$(touch ${canary})`,
      "../../etc/passwd",
      `test/x.test.js; touch ${canary}`,
      "`touch pwned`",
      "--help",
      "test/regression/link.test.js",
      "/etc/passwd",
    ];
    for (const path of hostile) {
      const [result] = await runChecks(
        input(repo.dir, {
          baseSha: repo.baseSha,
          config,
          reproductionTests: [REPRODUCTION_TEST, path],
          only: ["chant/reproduction"],
        }),
      );
      expect(result, path).toMatchObject({
        conclusion: "failure",
        title: "Reproduction test path refused: nothing was run",
      });
      expect(result!.summary).toContain("were refused");
    }
    expect(existsSync(canary)).toBe(false);
    expect(existsSync(ran)).toBe(false);
    expect(existsSync(join(repo.dir, "pwned"))).toBe(false);

    const [missing] = await runChecks(
      input(repo.dir, {
        config,
        reproductionTests: ["test/nope.test.js"],
        only: ["chant/reproduction"],
      }),
    );
    expect(missing).toMatchObject({
      conclusion: "failure",
      title: "Reproduction test not found on head",
    });
    expect(existsSync(ran)).toBe(false);
  });
});

describe("runChecks: tests, lint and format", () => {
  it("annotates lint errors on the right line and fails", async () => {
    const broken = FIXED_STORE.replace(
      "    const data = await this.backend.readAll();\n    return data[key];",
      "    var data = await this.backend.readAll();\n    console.log(key);\n    return data[key];",
    );
    const line = broken.split("\n").findIndex((l) => l.includes("var data")) + 1;
    const repo = await checkRepo({ after: { "src/store.js": broken } });
    const [lint] = await runChecks(input(repo.dir, { only: ["chant/lint"] }));
    expect(lint).toMatchObject({
      name: "chant/lint",
      conclusion: "failure",
      title: "Lint failed: 1 error, 1 warning",
    });
    expect(lint!.annotations).toEqual([
      {
        path: "src/store.js",
        start_line: line,
        end_line: line,
        start_column: 5,
        end_column: 5,
        annotation_level: "failure",
        message: "use let or const instead of var",
      },
      expect.objectContaining({
        path: "src/store.js",
        start_line: line + 1,
        annotation_level: "warning",
        message: "unexpected console.log",
      }),
    ]);
    expect(lint!.summary).toContain("**Annotations:** 2 annotations on 1 file: 1 error, 1 warning");
    expect(lint!.summary).toContain("**Result:** exit code 1 after");
  });

  it("passes lint with warnings as annotations", async () => {
    const noisy = FIXED_STORE.replace(
      "  async get(key) {\n",
      "  async get(key) {\n    console.log(key);\n",
    );
    const repo = await checkRepo({ after: { "src/store.js": noisy } });
    const [lint] = await runChecks(input(repo.dir, { only: ["chant/lint"] }));
    expect(lint).toMatchObject({ conclusion: "success", title: "Lint passed with 1 warning" });
    expect(lint!.annotations).toHaveLength(1);
  });

  it("annotates unformatted files and fails the format check", async () => {
    const repo = await checkRepo({
      after: { "src/store.js": FIXED_STORE.replace("  async get(key) {", "\tasync get(key) {  ") },
    });
    const [format] = await runChecks(input(repo.dir, { only: ["chant/format"] }));
    expect(format).toMatchObject({
      conclusion: "failure",
      title: "Format check failed: 1 file not formatted",
    });
    expect(format!.annotations).toEqual([
      expect.objectContaining({ path: "src/store.js", start_line: 1 }),
    ]);
    expect(format!.summary).toContain("1 annotation on 1 file");
    expect(format!.text).toContain("[warn] src/store.js");
  });

  it("skips a check whose command is not configured, naming the key", async () => {
    const repo = await checkRepo();
    const results = await runChecks(
      input(repo.dir, { config: { timeout_minutes: 1 }, reproductionTests: [] }),
    );
    expect(results.map((r) => [r.name, r.conclusion, r.title])).toEqual([
      [
        "chant/reproduction",
        "skipped",
        "No reproduction command configured and no reproduction test known",
      ],
      ["chant/tests", "skipped", "No checks.tests command configured"],
      ["chant/lint", "skipped", "No checks.lint command configured"],
      ["chant/format", "skipped", "No checks.format command configured"],
    ]);
    expect(byName(results, "chant/tests").summary).toContain("`checks.tests` is not set");
    expect(byName(results, "chant/tests").summary).toContain("  tests: npm test");
    expect(byName(results, "chant/format").summary).toContain("  format: npm run format:check");
  });

  it("times out a command that hangs, killing it", async () => {
    const repo = await checkRepo();
    const started = Date.now();
    const [result] = await runChecks(
      input(repo.dir, {
        config: { ...KV_CHECKS, tests: "echo started; sleep 30" },
        timeoutMs: 300,
        only: ["chant/tests"],
      }),
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result).toMatchObject({
      conclusion: "timed_out",
      title: "Tests timed out after 300 ms",
    });
    expect(result!.summary).toContain("timed out after 300 ms (its processes were killed)");
    expect(result!.text).toContain("started");
  });

  it("cuts 10 MB of output to the limit with a note", async () => {
    const repo = await checkRepo();
    const [result] = await runChecks(
      input(repo.dir, {
        config: { ...KV_CHECKS, tests: "yes 'a line of output' | head -c 10485760; echo THE END" },
        only: ["chant/tests"],
      }),
    );
    expect(result!.conclusion).toBe("success");
    expect(result!.text.length).toBeLessThanOrEqual(MAX_CHECK_TEXT);
    expect(result!.text.length).toBeGreaterThan(60_000);
    expect(result!.text).toMatch(
      /^… \(output cut: showing the last \d+ of \d+ characters; the runner kept the first and last part of the output and left out \d+ bytes in between\)/,
    );
    expect(result!.text).toMatch(/THE END\n`{3}$/);
    expect(result!.summary.length).toBeLessThanOrEqual(MAX_CHECK_TEXT);
  });

  it("redacts secrets in text, summary and annotations before anything else sees them", async () => {
    const secret = "s3cr3t-value-1234";
    const base64 = Buffer.from(`x:${secret}`).toString("base64");
    const token = `ghp_${"A".repeat(36)}`;
    const repo = await checkRepo();
    const results = await runChecks(
      input(repo.dir, {
        config: {
          ...KV_CHECKS,
          tests: `echo "token ${token}"; echo "auth ${base64}"; echo ${secret}`,
          lint: `echo "src/store.js:3:1: error: leaked ${secret}"; exit 1`,
        },
        redact: createRedactor([secret]),
        only: ["chant/tests", "chant/lint"],
      }),
    );
    const everything = JSON.stringify(results);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(base64.slice(4, 20));
    const [tests, lint] = results;
    expect(tests!.text).toContain("token [REDACTED]");
    expect(tests!.summary).toContain("echo [REDACTED]");
    expect(lint!.annotations[0]).toMatchObject({
      path: "src/store.js",
      message: "leaked [REDACTED]",
    });
  });

  it("fails every check that needed setup when setup fails; unconfigured ones stay skipped", async () => {
    const repo = await checkRepo();
    const results = await runChecks(
      input(repo.dir, {
        baseSha: repo.baseSha,
        config: { ...KV_CHECKS, format: undefined, setup: "echo 'npm ERR! boom'; exit 3" },
      }),
    );
    expect(results.map((r) => [r.conclusion, r.title])).toEqual([
      ["failure", "Setup failed: reproduction test not run"],
      ["failure", "Setup failed: tests not run"],
      ["failure", "Setup failed: lint not run"],
      ["skipped", "No checks.format command configured"],
    ]);
    expect(results[1]!.summary).toContain("**Result:** exit code 3");
    expect(results[1]!.text).toContain("npm ERR! boom");
    expect(await worktrees(repo.dir)).toBe(1);
  });

  it("cancels the running check and the ones after it", async () => {
    const repo = await checkRepo();
    const controller = new AbortController();
    const started = Date.now();
    const results = await runChecks(
      input(repo.dir, {
        config: { ...KV_CHECKS, tests: "sleep 30" },
        signal: controller.signal,
        only: ["chant/tests", "chant/lint"],
        onStart: (name) => {
          if (name === "chant/tests") setTimeout(() => controller.abort(), 200);
        },
      }),
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(results.map((r) => [r.name, r.conclusion])).toEqual([
      ["chant/tests", "cancelled"],
      ["chant/lint", "cancelled"],
    ]);
  });
});
