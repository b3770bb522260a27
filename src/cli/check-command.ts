import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { workRootFromEnv } from "./app-env.js";
import { makeWorkspaceDir, removeTree } from "../pipeline/workspace/workspace-dir.js";
import { gitEnv } from "../process/git.js";
import { SandboxConfigError } from "../sandbox/sandbox.js";
import { openSandbox } from "../sandbox/sandbox-from-env.js";
import {
  formatResultLine,
  formatResultsJson,
  formatResultsTable,
  anyFailed,
} from "../checks/format-results.js";
import { runChecks, type CheckResult } from "../checks/run-checks.js";
import { loadLocalConfig } from "../forge/local/local-config.js";
import { ConfigError } from "../domain/repo-config.js";
import { LocalFiles } from "../process/local-files.js";
import { findReproductionTests } from "../pipeline/find-research/reproduction-tests.js";
import { childEnv } from "../process/command-line.js";
import { runProcess } from "../process/run-process.js";
import { parseSpec } from "../chant-format/parse-spec.js";
import { isSafeSpecId } from "../chant-format/spec-id.js";
import { secretsFromEnv } from "./process-secrets.js";
import { createRedactor } from "../util/redact.js";
import { isSafeRepoPath, normalizeRepoPath } from "../util/repo-path.js";
import {
  type Command,
  EXIT,
  UsageError,
  failure,
  parseCommandArgs,
  sandboxLog,
} from "./command.js";
import { isDirectory } from "../process/file-status.js";

/** Branches the default branch is looked for under, in this order. */
const DEFAULT_BRANCH_CANDIDATES = ["origin/HEAD", "main", "master"];
/** Secrets of the caller's environment that must not show up in output even if a tool prints them. */

export const checkCommand: Command = {
  name: "check",
  summary: "run the four checks (reproduction, tests, lint, format) on a checkout's HEAD",
  usage: `chant-bot check --repo DIR [--base REF] [--tests PATH]... [--spec ID] [--json]

Runs the checks of DIR's .github/chant.yml on the checkout as it is, the way
the app runs them on a pull request: checks.setup once, then the reproduction
test (on the base commit first, then on HEAD), the tests, lint and format.
The way to try the config before installing the app.

  --repo DIR    the checkout (default: the current directory)
  --base REF    the "before" commit of the reproduction (default: the
                merge-base of HEAD with origin/HEAD, main or master)
  --tests PATH  a reproduction test (repeat for several); default: those of
                the implementation spec of the current chant/<ID> branch
  --spec ID     read the reproduction tests from this implementation spec
                (id or .chant/specs/ path) instead of the branch's
  --json        print the results as JSON instead of a table

Progress goes to stderr, the results to stdout.
Exit status: 0 no check failed, 1 a check failed or timed out (or the config
is invalid), 2 usage error.`,

  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      repo: { type: "string", default: "." },
      base: { type: "string" },
      tests: { type: "string", multiple: true },
      spec: { type: "string" },
      json: { type: "boolean", default: false },
    });
    if (values.help) {
      io.out(this.usage);
      return EXIT.ok;
    }
    const dir = resolve(values.repo);
    if (!(await isDirectory(dir))) throw new UsageError(`--repo ${values.repo}: not a directory`);
    const fail = failure(io, "check", values.json);

    const workRoot = workRootFromEnv(process.env);
    let config;
    let sandbox;
    try {
      config = await loadLocalConfig(dir);
      sandbox = await openSandbox(process.env, { workRoot, log: sandboxLog(io) });
    } catch (error) {
      if (error instanceof ConfigError || error instanceof SandboxConfigError)
        return fail(error.message);
      throw error;
    }

    const inGit = (await git(dir, ["rev-parse", "--is-inside-work-tree"])) === "true";
    const notes: string[] = [];

    let tests: string[];
    if (values.tests !== undefined && values.tests.length > 0) {
      tests = values.tests.map(normalizeRepoPath);
    } else {
      const found = await testsFromSpec(dir, values.spec, inGit);
      if (found.error !== undefined) return fail(found.error);
      tests = found.tests;
      if (found.note !== undefined) notes.push(found.note);
    }

    const base = await findBase(dir, values.base, inGit);

    const mark = (symbol: string) => (io.isTTY ? `${symbol} ` : "");
    io.err(
      [
        `Checking ${dir}`,
        `  base: ${base.sha ?? "none"} (${base.why})`,
        `  reproduction tests: ${tests.length > 0 ? tests.join(", ") : "none"}`,
        ...notes.map((note) => `  note: ${note}`),
      ].join("\n"),
    );

    const controller = new AbortController();
    // Ctrl-C, `timeout`, a container stop: the checks' processes are killed, the base removed.
    const onInterrupt = () => controller.abort();
    process.once("SIGINT", onInterrupt);
    process.once("SIGTERM", onInterrupt);
    const scratch = await makeWorkspaceDir(workRoot, "chant-check-");
    const privateDir = join(scratch, "sandbox");
    await mkdir(privateDir);
    const redact = createRedactor(secretsFromEnv());
    let results: CheckResult[];
    try {
      results = await runChecks({
        workspace: dir,
        // The commands run in the sandbox on the checkout itself (it keeps its owner).
        sandbox,
        privateDir,
        ownsCheckouts: false,
        baseSha: base.sha,
        reproductionTests: tests,
        config: config.checks,
        env: childEnv({}),
        redact,
        signal: controller.signal,
        onStart: (name) => io.err(`${mark("▶")}${name}: running`),
        onComplete: (result) =>
          io.err(
            `${mark(result.conclusion === "success" ? "✔" : anyFailed([result]) ? "✖" : "–")}${formatResultLine(result)}`,
          ),
      });
    } finally {
      process.removeListener("SIGINT", onInterrupt);
      process.removeListener("SIGTERM", onInterrupt);
      await removeTree(scratch);
    }

    io.out(
      values.json
        ? formatResultsJson(results, { base: base.sha, reproductionTests: tests })
        : [formatResultsTable(results), ...failureTails(results)].join("\n"),
    );
    return anyFailed(results) ? EXIT.failed : EXIT.ok;
  },
};

/** Lines of a failing check's output shown under the table. */
const TAIL_LINES = 25;

/**
 * Under the table, for each check that failed: the end of its output, as the
 * check run shows it on GitHub (its `text`: the redacted tail, one section per
 * command), so that "Tests failed: exit code 1" comes with the reason.
 */
export function failureTails(results: readonly CheckResult[]): string[] {
  const out: string[] = [];
  for (const result of results) {
    if (!anyFailed([result]) || result.text.trim() === "") continue;
    const lines = result.text
      .split("\n")
      // The markdown around the output: fences go, headings become plain lines.
      .filter((line) => !/^\s*`{3,}[\w-]*\s*$/.test(line))
      .map((line) => line.replace(/^#{1,6} /, ""));
    while (lines.length > 0 && lines.at(-1)!.trim() === "") lines.pop();
    const shown = lines.slice(-TAIL_LINES);
    out.push(
      "",
      `${result.name}: ${result.title}${lines.length > shown.length ? ` (the last ${shown.length} lines)` : ""}`,
      ...shown.map((line) => `  ${line}`),
    );
  }
  return out;
}

/** The reproduction tests named by the implementation spec (`--spec`, or the chant/<ID> branch). */
async function testsFromSpec(
  dir: string,
  spec: string | undefined,
  inGit: boolean,
): Promise<{ tests: string[]; note?: string; error?: string }> {
  let candidates: string[];
  if (spec !== undefined) {
    const path = normalizeRepoPath(spec);
    if (path.endsWith(".md")) {
      if (!isSafeRepoPath(path)) throw new UsageError(`--spec ${spec}: not a repository path`);
      candidates = [path];
    } else {
      if (!isSafeSpecId(path)) throw new UsageError(`--spec ${spec}: not a spec id`);
      candidates = [`.chant/specs/${path}.md`, `.chant/archive/${path}.md`];
    }
  } else {
    const branch = inGit
      ? await git(dir, ["symbolic-ref", "--quiet", "--short", "HEAD"])
      : undefined;
    const id = branch?.startsWith("chant/") ? branch.slice("chant/".length) : undefined;
    if (id === undefined || !isSafeSpecId(id)) {
      return {
        tests: [],
        note: `${branch === undefined ? "HEAD is not on a branch" : `branch ${branch} is not a chant/<ID> branch`}: no implementation spec to read the reproduction tests from (name them with --tests PATH).`,
      };
    }
    candidates = [`.chant/specs/${id}.md`];
  }

  const files = new LocalFiles(dir);
  const reads = await files.read(candidates);
  const read = candidates.map((path) => reads.get(path)).find((r) => r?.kind === "text");
  if (read === undefined || read.kind !== "text") {
    const message = `no implementation spec at ${candidates.join(" or ")}`;
    return spec !== undefined
      ? { tests: [], error: message }
      : {
          tests: [],
          note: `${message}: no reproduction tests known (name them with --tests PATH).`,
        };
  }
  let parsed;
  try {
    parsed = parseSpec(read.path, read.text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return spec !== undefined
      ? { tests: [], error: message }
      : { tests: [], note: `${message}: no reproduction tests known.` };
  }
  const tests = await findReproductionTests(files, parsed);
  return tests.length > 0 ? { tests } : { tests, note: `${read.path} names no reproduction test.` };
}

/** `--base REF` as a commit id, else the merge-base of HEAD with the default branch, else none. */
async function findBase(
  dir: string,
  ref: string | undefined,
  inGit: boolean,
): Promise<{ sha: string | undefined; why: string }> {
  if (ref !== undefined) {
    const sha = inGit ? await resolveCommit(dir, ref) : undefined;
    if (sha === undefined) throw new UsageError(`--base ${ref}: not a commit of ${dir}`);
    return { sha, why: `--base ${ref}` };
  }
  if (!inGit) return { sha: undefined, why: "not a git checkout" };
  for (const candidate of DEFAULT_BRANCH_CANDIDATES) {
    if ((await resolveCommit(dir, candidate)) === undefined) continue;
    const [head, mergeBase] = await Promise.all([
      resolveCommit(dir, "HEAD"),
      git(dir, ["merge-base", "HEAD", candidate]),
    ]);
    if (mergeBase === undefined) {
      return { sha: undefined, why: `HEAD has no common history with ${candidate}` };
    }
    if (mergeBase === head) {
      return {
        sha: undefined,
        why: `HEAD is already on ${candidate}, with no commits of its own; name a base with --base REF`,
      };
    }
    return { sha: mergeBase, why: `the merge-base of HEAD with ${candidate}` };
  }
  return { sha: undefined, why: "no default branch found (origin/HEAD, main, master)" };
}

async function resolveCommit(dir: string, ref: string): Promise<string | undefined> {
  return git(dir, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`]);
}

/** A git command's trimmed stdout, or undefined when it fails. */
async function git(dir: string, args: readonly string[]): Promise<string | undefined> {
  const result = await runProcess(["git", ...args], {
    cwd: dir,
    env: gitEnv(),
    timeoutMs: 30_000,
    maxOutputBytes: 64 * 1024,
  });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}
