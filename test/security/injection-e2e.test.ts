/**
 * Shell-injection corpus end to end (issue 7, item 4b): hostile strings
 * delivered the way GitHub delivers them (signed webhooks) to the whole app
 * (web + worker in their own process, real Redis, real git against the
 * GitHub stand-in, a scripted agent), in an issue title and body, a label,
 * a `/chant implement` argument, an RCA's files to modify, a research spec's
 * reproduction tests and a branch name. No canary file may appear; each
 * string is refused where the user sees it or published as plain text.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shellQuote } from "../../src/process/command-line.js";
import { readStatusState } from "../../src/domain/status.js";
import { parseSpec } from "../../src/chant-format/parse-spec.js";
import { isSafeRepoPath } from "../../src/util/repo-path.js";
import { oneLine } from "../../src/util/untrusted-text.js";
import { hostileStrings, type HostileString } from "../fixtures/hostile-strings.js";
import { AGENTS } from "../support/e2e-stack.js";
import { runGit } from "../support/fake-github/index.js";
import { FIXTURE_REPOS } from "../support/memory-files.js";
import { startAppStack, type AppStack } from "./app-stack.js";

const FIX = join(AGENTS, "fix-kv-store.mjs");
const canaryDir = mkdtempSync(join(tmpdir(), "chant-canary-e2e-"));
const HOSTILE = hostileStrings(canaryDir);
const pick = (...names: string[]): HostileString[] =>
  names.map((name) => {
    const found = HOSTILE.find((h) => h.name === name);
    if (!found) throw new Error(`no hostile string ${name}`);
    return found;
  });
const RESEARCH_ID = "2026-01-28-001-res";

afterAll(() => {
  // Checked by every test; the directory itself goes at the end.
  rmSync(canaryDir, { recursive: true, force: true });
});

function canaries(): string[] {
  return readdirSync(canaryDir);
}

function status(stack: AppStack, issue: number) {
  const comments = stack.fake
    .comments("acme/kv-store", issue)
    .filter((c) => c.user.login === stack.fake.botLogin);
  expect(comments).toHaveLength(1);
  return readStatusState(comments[0]!.body)!;
}

async function fileOnBranch(stack: AppStack, ref: string, path: string): Promise<string> {
  const result = await runGit(["--git-dir", stack.repo.gitDir, "show", `${ref}:${path}`]);
  return result.stdout.toString("utf8");
}

const concurrency = { CHANT_WORKER_CONCURRENCY: "4", CHANT_CHECKS_CONCURRENCY: "4" };

describe("issue titles and bodies, a label, `/chant implement` arguments, a branch name", () => {
  let stack: AppStack;
  beforeAll(async () => {
    stack = await startAppStack({ agent: FIX, env: concurrency });
  }, 60_000);
  afterAll(async () => stack?.stop());

  const TITLES = pick(
    "cmd-subst",
    "backticks-in-words",
    "newline",
    "branch-name-canary",
    "bidi-override",
    "nul-then-subst",
    "long-prefix",
    "yaml-injection",
  );

  it("hostile titles and bodies become literal, single-line PR titles and commit subjects", async () => {
    const issues = TITLES.map((h, i) => {
      const number = 100 + i;
      stack.fake.addIssue("acme/kv-store", {
        number,
        title: h.value,
        body: `The research is ${RESEARCH_ID}.\n\n${h.value}\n\n<!-- ${h.value} -->`,
        user: "reporter",
      });
      return { h, number };
    });
    for (const { number } of issues) {
      const delivery = await stack.deliver(
        "issues",
        stack.fake.payloads.issuesLabeled({
          repo: "acme/kv-store",
          issue: number,
          label: "chant:implement",
          sender: "alice",
        }),
      );
      expect(delivery.status).toBe(200);
    }
    await stack.settle(120_000);

    const pulls = await stack.fake.pulls("acme/kv-store");
    for (const { h, number } of issues) {
      expect(status(stack, number).phase, h.name).toBe("succeeded");
      const pull = pulls.find((p) => p.body?.startsWith(`Fixes #${number}\n`));
      expect(pull, h.name).toBeDefined();
      // Exactly the issue's visible text, on one line: nothing was interpreted.
      expect(pull!.title, h.name).toBe(`Fix issue #${number}: ${oneLine(h.value, 80)}`);
      expect(pull!.title).not.toMatch(/[\r\n\p{Cc}\p{Cf}]/u);
      const subjects = (
        await runGit([
          "--git-dir",
          stack.repo.gitDir,
          "log",
          "--format=%s",
          `main..${pull!.head.ref}`,
        ])
      ).stdout
        .toString("utf8")
        .trim()
        .split("\n");
      const id = pull!.head.ref.slice("chant/".length);
      expect(subjects).toContain(`chant(${id}): ${pull!.title}`);
      const spec = parseSpec(
        `.chant/specs/${id}.md`,
        await fileOnBranch(stack, pull!.head.ref, `.chant/specs/${id}.md`),
      );
      expect(spec.frontmatter.status).toBe("completed");
      expect(spec.extraFields).toEqual({});
      const runs = stack.fake.checkRuns("acme/kv-store", pull!.head.sha);
      expect(runs.find((r) => r.name === "chant/reproduction")?.conclusion).toBe("success");
    }
    expect(canaries()).toEqual([]);
  }, 180_000);

  it("a hostile label, even from a maintainer, is compared as text: no job, no reply", async () => {
    stack.fake.addIssue("acme/kv-store", { number: 300, title: "Labels", user: "reporter" });
    const before = await stack.queues.implement.count();
    for (const h of HOSTILE) {
      const delivery = await stack.deliver(
        "issues",
        stack.fake.payloads.issuesLabeled({
          repo: "acme/kv-store",
          issue: 300,
          label: h.value,
          sender: "alice",
        }),
      );
      expect(delivery.status, h.name).toBe(200);
    }
    expect(await stack.queues.implement.count()).toBe(before);
    expect(stack.fake.comments("acme/kv-store", 300)).toEqual([]);
    expect(canaries()).toEqual([]);
  }, 60_000);

  it("`/chant implement <hostile>` is refused in the status comment, with the reason", async () => {
    const strings = pick(
      "cmd-subst",
      "ifs-semicolon",
      "upload-pack",
      "parent-traversal",
      "specs-traversal",
      "spec-path-subst",
      "branch-name",
      "bidi-isolate",
    );
    const cases = strings.flatMap((h, i) => [
      { h, number: 400 + 2 * i, argument: h.value },
      { h, number: 401 + 2 * i, argument: shellQuote(h.value) },
    ]);
    for (const c of cases) {
      stack.fake.addIssue("acme/kv-store", { number: c.number, title: "A bug", user: "reporter" });
      const delivery = await stack.deliver(
        "issue_comment",
        stack.fake.payloads.issueCommentCreated({
          repo: "acme/kv-store",
          issue: c.number,
          body: `/chant implement ${c.argument}`,
          user: "alice",
        }),
      );
      expect(delivery.status, c.h.name).toBe(200);
    }
    await stack.settle();
    for (const c of cases) {
      const state = status(stack, c.number);
      const said = `${state.headline}\n${state.notice ?? ""}`;
      // Refused by the command parser (a reply) or by the linker (the job's outcome).
      expect(said, `${c.h.name}: ${said}`).toMatch(
        /is not a spec (id|path)|There is no|has no option|takes at most one spec|could not be read|unbalanced|not a chant-bot command/,
      );
      expect(state.phase).not.toBe("succeeded");
      expect(state.headline).not.toMatch(/\n/);
    }
    const pulls = await stack.fake.pulls("acme/kv-store");
    expect(
      pulls.filter((p) => cases.some((c) => p.body?.startsWith(`Fixes #${c.number}\n`))),
    ).toEqual([]);
    expect(canaries()).toEqual([]);
  }, 120_000);

  it('a person\'s push to a branch named `chant/zzz";touch${IFS}"…";#` is checked without running anything', async () => {
    for (const h of pick("chant-branch-canary")) {
      const branch = h.value;
      const sha = await stack.fake.commit("acme/kv-store", {
        branch,
        from: "main",
        files: { "NOTES.md": "a person's change\n" },
        message: "a person's change",
      });
      const pr = await stack.fake.addPullRequest("acme/kv-store", {
        title: "A person's pull request",
        user: "alice",
        head: branch,
      });
      const delivery = await stack.deliver(
        "pull_request",
        await stack.fake.payloads.pullRequestSynchronize({
          repo: "acme/kv-store",
          number: pr.number,
          sender: "alice",
        }),
      );
      expect(delivery.status).toBe(200);
      await stack.settle();
      const runs = stack.fake.checkRuns("acme/kv-store", sha);
      expect(Object.fromEntries(runs.map((r) => [r.name, r.status]))).toEqual({
        "chant/reproduction": "completed",
        "chant/tests": "completed",
        "chant/lint": "completed",
        "chant/format": "completed",
      });
      // Its name names no spec: no reproduction test is known, and that is what it says.
      expect(runs.find((r) => r.name === "chant/reproduction")?.output.title).toBe(
        "No reproduction test known for this change",
      );
      // The suite ran as usual: on this branch (no fix) the reproduction test in it fails.
      const tests = runs.find((r) => r.name === "chant/tests")!;
      expect(tests.output.title).toBe("Tests failed: exit code 1");
      expect(tests.output.text).toContain("# fail 1");
    }
    expect(canaries()).toEqual([]);
  }, 60_000);
});

describe("an RCA listing hostile paths, a research spec naming hostile reproduction tests", () => {
  const RCA = ".chant/research/issue-42-rca.md";
  const RESEARCH = `.chant/specs/${RESEARCH_ID}.md`;
  const PATHS = pick(
    "cmd-subst",
    "test-path-subst",
    "test-path-backticks",
    "test-path-semicolon",
    "test-path-space-semicolon",
    "upload-pack",
    "git-output-option",
    "parent-traversal",
    "absolute-path",
    "newline",
    "bidi-override",
  );
  // (A NUL would make the RCA a binary file, which is refused as a whole: see injection.test.ts.)
  /** A test path a shell would split and expand, but a plain path all the same. */
  const TRICKY = "test/regression/~ -rf =issue 42.test.js";
  let stack: AppStack;

  beforeAll(async () => {
    const fixture = join(FIXTURE_REPOS, "kv-store");
    const rca = readFileSync(join(fixture, RCA), "utf8").replace(
      "## Files to Modify\n",
      `## Files to Modify\n\n${PATHS.map((h) => `- \`${h.value}\` - change it`).join("\n")}\n`,
    );
    const research = readFileSync(join(fixture, RESEARCH), "utf8").replace(
      "- test/regression/issue-42.test.js\n",
      [
        "- test/regression/issue-42.test.js",
        `- ${JSON.stringify(TRICKY)}`,
        ...PATHS.map((h) => `- ${JSON.stringify(h.value)}`),
        "",
      ].join("\n"),
    );
    stack = await startAppStack({
      agent: FIX,
      files: {
        [RCA]: rca,
        [RESEARCH]: research,
        [TRICKY]: readFileSync(join(fixture, "test/regression/issue-42.test.js"), "utf8"),
      },
    });
  }, 60_000);
  afterAll(async () => stack?.stop());

  it("only plain paths reach target_files and `{tests}`; the rest are named as left out; the fix is checked", async () => {
    await stack.labelIssue42();
    const state = status(stack, 42);
    expect(state.phase).toBe("succeeded");
    // The hostile test paths are named as not run, in the status comment, on one line.
    const notRun = state.details.find((d) => d.startsWith("Not run as reproduction tests"));
    expect(notRun).toBeDefined();
    expect(notRun).not.toMatch(/[\r\n]/);
    expect(notRun).toContain("test/$(touch");
    const [pull] = await stack.fake.pulls("acme/kv-store");
    const id = pull!.head.ref.slice("chant/".length);
    const specText = await fileOnBranch(stack, pull!.head.ref, `.chant/specs/${id}.md`);
    const spec = parseSpec(`.chant/specs/${id}.md`, specText);
    for (const path of spec.frontmatter.target_files ?? []) expect(isSafeRepoPath(path)).toBe(true);
    expect(spec.frontmatter.target_files).toContain("src/store.js");
    // The drafting notes name what was left out, one line each.
    const notes = specText.split("\n");
    expect(notes.find((l) => l.startsWith("- Left out of `target_files`"))).toBeDefined();
    expect(notes.find((l) => l.startsWith("- Not reproduction tests"))).toBeDefined();
    // The reproduction check ran the two real tests, the tricky path as one argument.
    const runs = stack.fake.checkRuns("acme/kv-store", pull!.head.sha);
    const reproduction = runs.find((r) => r.name === "chant/reproduction")!;
    expect(reproduction.conclusion).toBe("success");
    expect(reproduction.output.summary).toContain("`test/regression/issue-42.test.js`");
    expect(reproduction.output.summary).toContain(`\`${TRICKY}\``);
    expect(pull!.body).toContain(`\`${TRICKY}\``);
    expect(canaries()).toEqual([]);
  }, 180_000);
});
