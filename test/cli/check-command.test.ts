import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkCommand } from "../../src/cli/check-command.js";
import { EXIT, UsageError } from "../../src/cli/command.js";
import {
  checkRepo,
  type CheckRepo,
  FIXED_STORE,
  git,
  removeCheckRepos,
  REPRODUCTION_TEST,
  tempDir,
} from "../checks/check-repos.js";
import { cliEnv, spawnCli } from "../support/spawn-cli.js";

afterAll(removeCheckRepos);

const SPEC_ID = "2026-02-01-001-imp";

/** The implementation spec drafted from kv-store's research spec (it names the reproduction test). */
const IMPLEMENTATION_SPEC = `---
type: code
status: in_progress
prompt: implement
labels:
- fix
- issue-42
informed_by:
- .chant/specs/2026-01-28-001-res.md
- .chant/research/issue-42-rca.md
target_files:
- src/store.js
---
# Fix issue #42: concurrent writes lose data

## Acceptance Criteria

- [ ] Writes are serialized
`;

/** kv-store's commands without npm start-up (keeps the suite fast). */
const NODE_CONFIG = `checks:
  reproduction: node --test {tests}
  tests: node --test
  lint: node scripts/lint.js
  format: node scripts/format-check.js
  timeout_minutes: 1
`;

/** Runs the command the way main() does: a UsageError is exit 2 with the usage text. */
async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t), isTTY: false };
  let code: number;
  try {
    code = await checkCommand.run(args, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`chant-bot check: ${error.message}\n\n${checkCommand.usage}`);
    code = EXIT.usage;
  }
  return { code, out: out.join("\n"), err: err.join("\n") };
}

let usageRepo: CheckRepo | undefined;

// Real processes in the real sandbox: seconds alone, past 20 s under load. Not a timing test.
describe("chant-bot check", { timeout: 60_000 }, () => {
  it("finds the reproduction test through the branch's spec and the base through main; prints a table", async () => {
    const repo = await checkRepo({
      after: { "src/store.js": FIXED_STORE, [`.chant/specs/${SPEC_ID}.md`]: IMPLEMENTATION_SPEC },
      branch: `chant/${SPEC_ID}`,
    });
    // kv-store's own .github/chant.yml (npm run ...).
    const result = await run(["--repo", repo.dir]);
    expect(result.err).toContain(`  base: ${repo.baseSha}`);
    expect(result.err).toContain(`  reproduction tests: ${REPRODUCTION_TEST}`);
    expect(result.err).toContain("chant/reproduction: running");
    expect(result.err).toMatch(
      /chant\/reproduction: success in [\d.]+ m?s: Reproduction test failed on base, passes on head/,
    );
    const lines = result.out.split("\n");
    expect(lines[0]).toMatch(/^CHECK {15}RESULT {3}TIME +TITLE$/);
    expect(lines.slice(1).map((l) => l.split(/ {2,}/))).toEqual([
      [
        "chant/reproduction",
        "success",
        expect.any(String),
        "Reproduction test failed on base, passes on head",
      ],
      ["chant/tests", "success", expect.any(String), "Tests passed"],
      ["chant/lint", "success", expect.any(String), "Lint passed"],
      ["chant/format", "success", expect.any(String), "Format check passed"],
    ]);
    expect(result.code).toBe(EXIT.ok);
  });

  it("prints JSON and exits 1 when a check fails", async () => {
    const linted = FIXED_STORE.replace("  async get(key) {\n", "  async get(key) {\n    var x;\n");
    const repo = await checkRepo({
      after: { ".github/chant.yml": NODE_CONFIG, "src/store.js": linted },
      branch: "fix-lint",
    });
    const result = await run(["--repo", repo.dir, "--json", "--tests", REPRODUCTION_TEST]);
    expect(result.code).toBe(EXIT.failed);
    const json = JSON.parse(result.out);
    expect(json).toMatchObject({
      ok: false,
      base: repo.baseSha,
      reproductionTests: [REPRODUCTION_TEST],
    });
    expect(
      json.results.map((r: { name: string; conclusion: string }) => [r.name, r.conclusion]),
    ).toEqual([
      ["chant/reproduction", "success"],
      ["chant/tests", "success"],
      ["chant/lint", "failure"],
      ["chant/format", "success"],
    ]);
    expect(json.results[2].annotations).toEqual([
      expect.objectContaining({
        path: "src/store.js",
        start_line: linted.split("\n").indexOf("    var x;") + 1,
        annotation_level: "failure",
      }),
    ]);
    expect(result.err).toContain("chant/lint: failure in");
  });

  it("takes --base REF; without a base (HEAD on main) the reproduction is neutral", async () => {
    const repo = await checkRepo({
      after: { ".github/chant.yml": NODE_CONFIG, "src/store.js": FIXED_STORE },
      branch: "some-branch",
    });
    await git(repo.dir, "checkout", "--quiet", "-B", "main");
    const args = ["--repo", repo.dir, "--tests", REPRODUCTION_TEST];

    const noBase = await run([...args, "--json"]);
    expect(noBase.err).toContain("HEAD is already on main");
    expect(noBase.code).toBe(EXIT.ok);
    expect(JSON.parse(noBase.out).results[0]).toMatchObject({
      conclusion: "neutral",
      title: "Reproduction test passes on head; the before-state could not be checked",
    });

    const withBase = await run([...args, "--base", "HEAD~1", "--json"]);
    expect(withBase.code).toBe(EXIT.ok);
    expect(JSON.parse(withBase.out)).toMatchObject({
      ok: true,
      base: repo.baseSha,
      results: [{ conclusion: "success" }, {}, {}, {}],
    });
  });

  it("says where to name a test when the branch is not chant/<ID>", async () => {
    const repo = await checkRepo({ after: { ".github/chant.yml": NODE_CONFIG }, branch: "topic" });
    const result = await run(["--repo", repo.dir]);
    expect(result.err).toContain("branch topic is not a chant/<ID> branch");
    expect(result.out).toMatch(/chant\/reproduction +skipped .* No reproduction test known/);
    expect(result.out).toMatch(/chant\/tests +failure/);
    expect(result.code).toBe(EXIT.failed);
  });

  it("exits 1 with the config error when .github/chant.yml is invalid", async () => {
    const bad = tempDir();
    mkdirSync(join(bad, ".github"));
    writeFileSync(join(bad, ".github/chant.yml"), "checks:\n  timeout_minutes: 0\n");
    const result = await run(["--repo", bad]);
    expect(result.code).toBe(EXIT.failed);
    expect(result.err).toContain(`${join(bad, ".github/chant.yml")} is invalid:`);
    expect(result.err).toContain("line 2: `checks.timeout_minutes`");
    expect(result.out).toBe("");
  });

  it.each([
    [["--bogus"], /Unknown option '--bogus'/],
    [["--repo", "/nonexistent/dir"], /--repo \/nonexistent\/dir: not a directory/],
    [["--base", "no-such-ref"], /--base no-such-ref: not a commit/],
    [["--base=--output=x"], /--base --output=x: not a commit/],
    [["--spec", "../x"], /--spec \.\.\/x: not a spec id/],
  ])("exits 2 with usage for %j", async (args, message) => {
    const repo = (usageRepo ??= await checkRepo({ after: { ".github/chant.yml": NODE_CONFIG } }));
    const result = await run(args[0] === "--repo" ? args : ["--repo", repo.dir, ...args]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toMatch(message);
    expect(result.out).toBe("");
  });

  it("shows the end of a failing check's output under the table, not only its exit code", async () => {
    const lines = Array.from({ length: 40 }, (_, i) => `echo line-${i + 1}`).join("; ");
    const repo = await checkRepo({
      after: {
        ".github/chant.yml": `checks:\n  tests: '${lines}; echo "AssertionError: expected 3 to be 4" >&2; exit 1'\n  timeout_minutes: 1\n`,
      },
    });
    const result = await run(["--repo", repo.dir, "--tests", REPRODUCTION_TEST]);
    expect(result.code).toBe(EXIT.failed);
    const out = result.out.split("\n");
    const at = out.findIndex((line) => line.startsWith("chant/tests: Tests failed"));
    expect(at).toBeGreaterThan(0);
    expect(out[at]).toMatch(/\(the last 25 lines\)$/);
    expect(out.slice(at + 1)).toContain("  AssertionError: expected 3 to be 4");
    expect(out.slice(at + 1)).toContain("  line-40");
    expect(out.slice(at + 1)).not.toContain("  line-1");
    expect(result.out).not.toContain("```");
  });

  it("SIGTERM stops the running check command's whole sandbox, then the command exits", async () => {
    const marker = `chant-check-stop-${process.pid}-${Date.now()}`;
    const repo = await checkRepo({
      after: { ".github/chant.yml": `checks:\n  tests: 'sleep 600 & wait; : ${marker}'\n` },
    });
    const p = spawnCli(["check", "--repo", repo.dir], cliEnv({}));
    const withMarker = () =>
      readdirSync("/proc").filter((pid) => {
        try {
          return (
            /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/cmdline`, "latin1").includes(marker)
          );
        } catch {
          return false;
        }
      });
    const deadline = Date.now() + 20_000;
    while (withMarker().length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(withMarker().length).toBeGreaterThanOrEqual(2);
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(EXIT.failed);
    // Gone with the sandbox's PID namespace: at once, or within moments on a busy machine.
    const gone = Date.now() + 5000;
    while (withMarker().length > 0 && Date.now() < gone)
      await new Promise((r) => setTimeout(r, 50));
    expect(withMarker()).toEqual([]);
  }, 40_000);

  it("prints help", async () => {
    const result = await run(["--help"]);
    expect(result.code).toBe(EXIT.ok);
    expect(result.out).toMatch(/^chant-bot check --repo DIR \[--base REF\]/);
    expect(checkCommand.name).toBe("check");
  });
});
