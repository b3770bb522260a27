import { realpath } from "node:fs/promises";
import { join, sep } from "node:path";
import { shellQuote } from "../process/command-line.js";
import { isSafeRepoPath } from "../util/repo-path.js";
import type { NetworkPolicy } from "../sandbox/sandbox.js";
import type { BaseCheckoutResult } from "./base-checkout.js";
import { commandMarkdown, formatDuration, inlineCode, type OutputSection } from "./check-text.js";
import type { CheckOutcome } from "./outcome.js";
import {
  describeExit,
  runShellCommand,
  type CommandContext,
  type CommandRun,
} from "./run-command.js";
import { lstatIfPresent } from "../process/file-status.js";

/** The placeholder in `checks.reproduction` that becomes the shell-quoted test paths. */
export const TESTS_PLACEHOLDER = "{tests}";

const RESULT_WORDS: Record<CommandRun["outcome"], string> = {
  passed: "passed",
  failed: "failed",
  timed_out: "timed out",
  cancelled: "cancelled",
  not_started: "did not start",
};

export interface TestPathProblem {
  path: string;
  problem: string;
}

/**
 * Each reproduction test path must be a safe repository path naming a regular
 * file of the head checkout before it goes anywhere near a shell.
 */
export async function checkTestPaths(
  workspace: string,
  paths: readonly string[],
): Promise<{ refused: TestPathProblem[]; missing: string[] }> {
  const refused: TestPathProblem[] = [];
  const missing: string[] = [];
  for (const path of paths) {
    if (!isSafeRepoPath(path)) {
      refused.push({
        path,
        problem:
          "is not a plain relative path inside the repository (letters, digits, spaces and `._@+,=~-/` only; no `..`, no segment starting with `-`)",
      });
      continue;
    }
    const full = join(workspace, path);
    const stat = await lstatIfPresent(full);
    if (stat === undefined) {
      missing.push(path);
    } else if (!stat.isFile()) {
      refused.push({ path, problem: "is not a regular file (a directory or a symbolic link)" });
    } else {
      // A symbolic link to a directory on the way must not lead outside the checkout.
      const real = await realpath(full);
      if (!real.startsWith(workspace + sep)) {
        refused.push({ path, problem: "leads outside the checkout" });
      }
    }
  }
  return { refused, missing };
}

/** `checks.reproduction` with `{tests}` replaced by the shell-quoted paths. */
export function reproductionCommand(command: string, tests: readonly string[]): string {
  return command.split(TESTS_PLACEHOLDER).join(tests.map(shellQuote).join(" "));
}

type BaseState =
  | { kind: "ran"; sha: string; run: CommandRun; setup: CommandRun | undefined }
  | {
      kind: "unknown";
      sha: string | undefined;
      reason: string;
      sections: OutputSection[];
      setup?: CommandRun | undefined;
    }
  | { kind: "cancelled" };

export interface ReproductionRun {
  context: CommandContext;
  /** The head checkout (real path). */
  workspace: string;
  baseSha: string | undefined;
  /** The base checkout made before any command ran (prepareBaseCheckout), when there is a base. */
  base: BaseCheckoutResult | undefined;
  tests: readonly string[];
  /** The command line with the tests filled in. */
  command: string;
  setup: string | undefined;
  /** Where `setup` may reach (checks.setup_network); the command itself never has network. */
  setupNetwork?: NetworkPolicy | undefined;
}

/**
 * Runs the reproduction command on the base commit (a separate checkout
 * with the head's test files copied in), then on the head, and judges the
 * pair: success only when it fails before and passes after.
 */
export async function runReproduction(run: ReproductionRun): Promise<CheckOutcome> {
  const { context } = run;
  const base = await runOnBase(run);
  if (base.kind === "cancelled" || context.signal?.aborted) return cancelledOutcome();
  const head = await runShellCommand(context, run.command, run.workspace);
  if (head.outcome === "cancelled") return cancelledOutcome();
  return judge(run, base, head);
}

async function runOnBase(run: ReproductionRun): Promise<BaseState> {
  const { context } = run;
  const sha = run.baseSha;
  if (sha === undefined) {
    return {
      kind: "unknown",
      sha,
      reason: "no base commit is known for this change",
      sections: [],
    };
  }
  const added = run.base;
  if (added === undefined || !added.ok) {
    if (added?.reason === "cancelled") return { kind: "cancelled" };
    return {
      kind: "unknown",
      sha,
      reason: added?.reason ?? "the base commit could not be checked out",
      sections: added?.output
        ? [{ heading: "#### Base checkout", output: context.redact(added.output) }]
        : [],
    };
  }
  const baseDir = added.dir;
  let setup: CommandRun | undefined;
  if (run.setup !== undefined) {
    setup = await runShellCommand(context, run.setup, baseDir, run.setupNetwork);
    if (setup.outcome === "cancelled") return { kind: "cancelled" };
    if (setup.outcome !== "passed") {
      return {
        kind: "unknown",
        sha,
        reason: `\`checks.setup\` ${describeExit(setup, context.timeoutMs)} on the base commit`,
        sections: [{ heading: `#### Setup on base ${inlineCode(short(sha))}`, ...outputOf(setup) }],
        setup,
      };
    }
  }
  const result = await runShellCommand(context, run.command, baseDir);
  if (result.outcome === "cancelled") return { kind: "cancelled" };
  if (result.outcome === "not_started") {
    return {
      kind: "unknown",
      sha,
      reason: `the command ${describeExit(result, context.timeoutMs)} on the base commit`,
      sections: [],
      setup,
    };
  }
  return { kind: "ran", sha, run: result, setup };
}

function judge(
  run: ReproductionRun,
  base: Exclude<BaseState, { kind: "cancelled" }>,
  head: CommandRun,
): CheckOutcome {
  const timeoutMs = run.context.timeoutMs;
  const baseLabel = base.sha === undefined ? "base" : `base ${inlineCode(short(base.sha))}`;
  const sections: OutputSection[] = [];
  if (base.kind === "ran") {
    sections.push({ heading: `#### On the ${baseLabel}`, ...outputOf(base.run) });
  } else {
    sections.push(...base.sections);
  }
  sections.push({ heading: "#### On the head", ...outputOf(head) });

  const rows: string[][] = [];
  if (base.setup !== undefined) rows.push(row(`Setup on the ${baseLabel}`, base.setup));
  if (base.kind === "ran") rows.push(row(`On the ${baseLabel}`, base.run));
  rows.push(row("On the head", head));

  let conclusion: CheckOutcome["conclusion"];
  let title: string;
  let meaning: string;
  const headPassed = head.outcome === "passed";
  const baseFailed = base.kind === "ran" && base.run.outcome !== "passed";

  if (head.outcome === "timed_out") {
    conclusion = "timed_out";
    title = `Reproduction test timed out on head after ${formatDuration(timeoutMs)}`;
    meaning = `The reproduction command did not finish on the head within ${formatDuration(timeoutMs)} (\`checks.timeout_minutes\`); its processes were killed.`;
  } else if (head.outcome === "not_started") {
    conclusion = "failure";
    title = "Reproduction command could not start";
    meaning = `The reproduction command ${describeExit(head, timeoutMs)}.`;
  } else if (!headPassed) {
    conclusion = "failure";
    if (base.kind === "ran" && base.run.outcome === "passed") {
      title = "Reproduction test passes on base but fails on head";
      meaning =
        "The test passed before the change and fails after it: the change breaks it (or the test does not reproduce the bug and fails on the head for another reason; see the output below).";
    } else {
      title = "Reproduction test still fails on head";
      meaning =
        "The reproduction test still fails on the head commit: the change does not fix the bug, or the test fails for another reason (see the output below).";
    }
  } else if (baseFailed) {
    conclusion = "success";
    title = "Reproduction test failed on base, passes on head";
    meaning =
      "The test fails on the base commit, so it reproduces the bug, and passes on the head, so the change fixes it.";
    if (base.kind === "ran" && base.run.outcome === "timed_out") {
      meaning += ` (On the base it did not finish within ${formatDuration(timeoutMs)}; a test that hangs there counts as failing.)`;
    }
  } else if (base.kind === "ran") {
    conclusion = "failure";
    title = "Reproduction test already passes on base: it does not reproduce the bug";
    meaning = [
      `The test passes on the ${baseLabel} as well as on the head, so it would pass with or without this change: it does not show that the bug existed, nor that the change fixes it.`,
      "",
      "Make the test fail on the base commit for the reason the issue describes (for example, assert the behaviour the issue reports as wrong), or check that the base commit is the right one.",
    ].join("\n");
  } else {
    conclusion = "neutral";
    title = "Reproduction test passes on head; the before-state could not be checked";
    meaning = [
      `The test passes on the head, but whether it failed before the change could not be checked: ${base.reason}.`,
      "",
      "This check succeeds only when the test fails on the base commit and passes on the head.",
    ].join("\n");
  }

  const summary = [
    `- **Command:** ${commandMarkdown(head.command)}`,
    `- **Reproduction tests:** ${run.tests.map((t) => inlineCode(t)).join(", ")}`,
    "",
    "| Where | Result | Exit | Duration |",
    "| --- | --- | --- | --- |",
    ...rows.map((cells) => `| ${cells.join(" | ")} |`),
    "",
    meaning,
  ].join("\n");
  return { conclusion, title, summary, sections, annotations: [] };
}

function row(where: string, run: CommandRun): string[] {
  const exit =
    run.exitCode !== null ? String(run.exitCode) : run.signal !== null ? run.signal : "–";
  return [where, RESULT_WORDS[run.outcome], exit, formatDuration(run.durationMs)];
}

function outputOf(run: CommandRun): { output: string; droppedBytes: number } {
  return { output: run.output, droppedBytes: run.droppedBytes };
}

function cancelledOutcome(): CheckOutcome {
  return {
    conclusion: "cancelled",
    title: "Reproduction check cancelled",
    summary:
      "The checks were cancelled before the reproduction test finished; its processes were killed.",
    sections: [],
    annotations: [],
  };
}

function short(sha: string): string {
  return sha.slice(0, 12);
}
