/**
 * The engine of the four checks (ARCHITECTURE.md, steps 7-8): `checks.setup` once, then
 * reproduction, tests, lint and format, each one of the maintainers' own
 * command lines from the default branch's `.github/chant.yml`, run with
 * `sh -c` in the head checkout with a time limit, bounded output and an
 * allow-listed environment. Results are honest: a check that could not say
 * anything is `skipped` or `neutral`, never `success`.
 */
import { lstatSync } from "node:fs";
import { realpath } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { CHECK_NAMES, type CheckName } from "../domain/checks.js";
import type { Annotation } from "../domain/checks.js";
import { MAX_ANNOTATIONS, parseAnnotations } from "./annotations/parse-annotations.js";
import {
  commandMarkdown,
  formatDuration,
  inlineCode,
  limitSummary,
  outputText,
} from "./check-text.js";
import { plural } from "../util/plural.js";
import type { CheckResult, ChecksInput } from "./check-types.js";
import { prepareBaseCheckout, readTestFile, type BaseCheckoutResult } from "./base-checkout.js";
import type { NetworkPolicy } from "../sandbox/sandbox.js";
import type { CheckOutcome } from "./outcome.js";
import {
  checkTestPaths,
  reproductionCommand,
  runReproduction,
  TESTS_PLACEHOLDER,
} from "./reproduction-check.js";
import {
  describeExit,
  runShellCommand,
  type CommandContext,
  type CommandRun,
} from "./run-command.js";

export type { CheckResult, ChecksInput } from "./check-types.js";

type CommandKey = "tests" | "lint" | "format";

/** The config key, the words and an example command of each check. */
export const CHECK_INFO: Record<
  CheckName,
  { key: "reproduction" | CommandKey; label: string; example: string }
> = {
  "chant/reproduction": {
    key: "reproduction",
    label: "Reproduction test",
    example: `npm test -- ${TESTS_PLACEHOLDER}`,
  },
  "chant/tests": { key: "tests", label: "Tests", example: "npm test" },
  "chant/lint": { key: "lint", label: "Lint", example: "npm run lint" },
  "chant/format": { key: "format", label: "Format check", example: "npm run format:check" },
};

/** What a check will do, decided before anything runs (setup only runs when some check needs it). */
type Plan =
  | { kind: "done"; outcome: CheckOutcome }
  | { kind: "command"; key: CommandKey; command: string }
  | {
      kind: "reproduction";
      command: string;
      tests: string[];
      base: BaseCheckoutResult | undefined;
    };

export async function runChecks(input: ChecksInput): Promise<CheckResult[]> {
  const names = CHECK_NAMES.filter((name) => input.only === undefined || input.only.includes(name));
  const workspace = await realpath(input.workspace);
  const timeoutMs = input.timeoutMs ?? input.config.timeout_minutes * 60_000;
  const context: CommandContext = {
    sandbox: input.sandbox,
    privateDir: input.privateDir,
    ownsCheckouts: input.ownsCheckouts,
    env: input.env,
    redact: input.redact,
    signal: input.signal,
    timeoutMs,
    maxOutputBytes: input.maxOutputBytes,
  };

  // Everything git does (the base checkout) happens here, before any command has run.
  const plans = new Map<CheckName, Plan>();
  for (const name of names) plans.set(name, await planCheck(name, input, workspace));
  const setupNetwork: NetworkPolicy = input.config.setup_network
    ? { kind: "egress", allow: "public" }
    : { kind: "none" };

  const results: CheckResult[] = [];
  const finish = async (
    name: CheckName,
    outcome: CheckOutcome,
    startedAt: Date,
    durationMs: number,
  ) => {
    const result = toResult(name, outcome, startedAt, durationMs, input.redact);
    results.push(result);
    await input.onComplete?.(result);
  };

  let setup: { run: CommandRun; startedAt: Date } | undefined;
  const setupCommand = input.config.setup;
  const needsSetup = [...plans.values()].some((plan) => plan.kind !== "done");
  if (setupCommand !== undefined && needsSetup && !input.signal?.aborted) {
    const startedAt = new Date();
    setup = {
      run: await runShellCommand(context, setupCommand, workspace, setupNetwork),
      startedAt,
    };
  }

  for (const name of names) {
    const plan = plans.get(name)!;
    const startedAt = new Date();
    const started = performance.now();
    if (plan.kind === "done") {
      await finish(name, plan.outcome, startedAt, 0);
    } else if (input.signal?.aborted || setup?.run.outcome === "cancelled") {
      await finish(name, cancelled(name), startedAt, 0);
    } else if (setup !== undefined && setup.run.outcome !== "passed") {
      // Every check that needed the setup reports it, with the setup's own times.
      const outcome = setupFailed(name, setup.run, timeoutMs);
      await finish(name, outcome, setup.startedAt, setup.run.durationMs);
    } else {
      await input.onStart?.(name, startedAt.toISOString());
      const outcome =
        plan.kind === "reproduction"
          ? await runReproduction({
              context,
              workspace,
              baseSha: input.baseSha,
              base: plan.base,
              tests: plan.tests,
              command: plan.command,
              setup: setupCommand,
              setupNetwork,
            })
          : commandOutcome(
              name,
              plan.key,
              await runShellCommand(context, plan.command, workspace),
              timeoutMs,
              workspace,
            );
      if (setup !== undefined) outcome.summary += `\n\n${setupLine(setup.run)}`;
      await finish(name, outcome, startedAt, performance.now() - started);
    }
  }
  return results;
}

async function planCheck(name: CheckName, input: ChecksInput, workspace: string): Promise<Plan> {
  const info = CHECK_INFO[name];
  if (info.key !== "reproduction") {
    const command = input.config[info.key];
    return command === undefined
      ? { kind: "done", outcome: notConfigured(name) }
      : { kind: "command", key: info.key, command };
  }
  const command = input.config.reproduction;
  const tests = [...new Set(input.reproductionTests)];
  if (command === undefined || tests.length === 0) {
    return { kind: "done", outcome: reproductionSkipped(command !== undefined, tests) };
  }
  const { refused, missing } = await checkTestPaths(workspace, tests);
  if (refused.length > 0) {
    return {
      kind: "done",
      outcome: {
        conclusion: "failure",
        title: "Reproduction test path refused: nothing was run",
        summary: [
          "These reproduction test paths were refused, so the reproduction command was not run:",
          "",
          ...refused.map((r) => `- ${inlineCode(displayPath(r.path))} ${r.problem}`),
          "",
          "A reproduction test is named by a relative path to a test file in the repository, e.g. `test/regression/issue-42.test.js`.",
        ].join("\n"),
        sections: [],
        annotations: [],
      },
    };
  }
  if (missing.length > 0) {
    return {
      kind: "done",
      outcome: {
        conclusion: "failure",
        title: "Reproduction test not found on head",
        summary: [
          "These reproduction tests are not files of the head commit, so the reproduction command was not run:",
          "",
          ...missing.map((path) => `- ${inlineCode(path)}`),
          "",
          "Commit the reproduction test on this branch, or correct its path where it is named (the research spec's `informed_by`, or the acceptance criterion that mentions it).",
        ].join("\n"),
        sections: [],
        annotations: [],
      },
    };
  }
  // The base checkout is a clone of the head's repository made now, before any command runs.
  let base: BaseCheckoutResult | undefined;
  if (input.baseSha !== undefined) {
    const files = [];
    for (const path of tests) files.push({ path, content: await readTestFile(workspace, path) });
    base = await prepareBaseCheckout({
      source: workspace,
      baseSha: input.baseSha,
      dest: join(input.privateDir, "base-checkout"),
      tests: files,
      redact: input.redact,
      signal: input.signal,
    });
  }
  return { kind: "reproduction", command: reproductionCommand(command, tests), tests, base };
}

function commandOutcome(
  name: CheckName,
  key: CommandKey,
  run: CommandRun,
  timeoutMs: number,
  workspace: string,
): CheckOutcome {
  const label = CHECK_INFO[name].label;
  const annotations = key === "tests" ? [] : readAnnotations(run.output, workspace);
  const lines = [
    `- **Command:** ${commandMarkdown(run.command)}`,
    `- **Result:** ${describeExit(run, timeoutMs)} after ${formatDuration(run.durationMs)}`,
  ];
  if (key !== "tests") lines.push(`- **Annotations:** ${annotationSummary(annotations)}`);

  let conclusion: CheckOutcome["conclusion"];
  let title: string;
  let meaning: string;
  switch (run.outcome) {
    case "passed":
      conclusion = "success";
      title = `${label} passed${annotations.length > 0 ? ` with ${levelCounts(annotations)}` : ""}`;
      meaning = "The command exited with code 0.";
      break;
    case "timed_out":
      conclusion = "timed_out";
      title = `${label} timed out after ${formatDuration(timeoutMs)}`;
      meaning = `The command did not finish within ${formatDuration(timeoutMs)} (\`checks.timeout_minutes\`); its processes were killed.`;
      break;
    case "cancelled":
      return cancelled(name);
    case "not_started":
      conclusion = "failure";
      title = `${label} could not start`;
      meaning = `The command ${describeExit(run, timeoutMs)}.`;
      break;
    case "failed": {
      conclusion = "failure";
      const what =
        key === "format" && annotations.length > 0
          ? `${plural(new Set(annotations.map((a) => a.path)).size, "file")} not formatted`
          : key === "lint" && annotations.length > 0
            ? levelCounts(annotations)
            : describeExit(run, timeoutMs);
      title = `${label} failed: ${what}`;
      meaning =
        key === "tests"
          ? "The test suite failed on the head commit; see the end of its output below."
          : annotations.length > 0
            ? "The problems are annotated on the lines they were reported for (see the Files changed tab) and in the output below."
            : "No file locations could be read from the output; see the output below.";
      break;
    }
  }
  return {
    conclusion,
    title,
    summary: [...lines, "", meaning].join("\n"),
    sections: [{ output: run.output, droppedBytes: run.droppedBytes }],
    annotations,
  };
}

function readAnnotations(output: string, workspace: string): Annotation[] {
  return parseAnnotations(output, {
    repoRoot: workspace,
    isFile: (path) => {
      try {
        return lstatSync(join(workspace, path)).isFile();
      } catch {
        return false;
      }
    },
  });
}

function annotationSummary(annotations: readonly Annotation[]): string {
  if (annotations.length === 0) return "none (no file locations found in the output)";
  const files = new Set(annotations.map((a) => a.path)).size;
  const capped =
    annotations.length >= MAX_ANNOTATIONS ? ` (only the first ${MAX_ANNOTATIONS} are read)` : "";
  return `${plural(annotations.length, "annotation")} on ${plural(files, "file")}: ${levelCounts(annotations)}${capped}`;
}

/** `2 errors, 1 warning`. */
function levelCounts(annotations: readonly Annotation[]): string {
  const count = (level: Annotation["annotation_level"]) =>
    annotations.filter((a) => a.annotation_level === level).length;
  return [
    [count("failure"), "error"],
    [count("warning"), "warning"],
    [count("notice"), "notice"],
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, word]) => plural(n as number, word as string))
    .join(", ");
}

function notConfigured(name: CheckName): CheckOutcome {
  const { key, example } = CHECK_INFO[name];
  return {
    conclusion: "skipped",
    title: `No checks.${key} command configured`,
    summary: [
      `\`checks.${key}\` is not set in \`.github/chant.yml\` (read from the default branch), so this check did not run.`,
      "",
      "To run it, add the command, for example:",
      "",
      "```yaml",
      "checks:",
      `  ${key}: ${example}`,
      "```",
    ].join("\n"),
    sections: [],
    annotations: [],
  };
}

function reproductionSkipped(configured: boolean, tests: readonly string[]): CheckOutcome {
  const howToConfigure = [
    "`checks.reproduction` is not set in `.github/chant.yml` (read from the default branch). Add the command that runs the reproduction test; `{tests}` becomes the test paths, shell-quoted:",
    "",
    "```yaml",
    "checks:",
    `  reproduction: ${CHECK_INFO["chant/reproduction"].example}`,
    "```",
  ];
  const howToName = [
    "chant-bot finds the reproduction test of a change through its implementation spec:",
    "",
    "- test files the research spec lists in `informed_by` (or that the reproduction spec lists in `target_files`), when the implementation spec is `informed_by` that research spec;",
    "- otherwise, a backticked test path in an acceptance criterion that mentions reproduction, e.g. ``- [ ] The reproduction test `test/regression/issue-42.test.js` fails before the fix and passes after it``.",
    "",
    "Locally, `chant-bot check --tests PATH` names it directly.",
  ];
  let title: string;
  let summary: string[];
  if (configured) {
    title = "No reproduction test known for this change";
    summary = howToName;
  } else if (tests.length > 0) {
    title = "No reproduction command configured";
    summary = [
      ...howToConfigure,
      "",
      `Known reproduction tests: ${tests.map((t) => inlineCode(displayPath(t))).join(", ")}.`,
    ];
  } else {
    title = "No reproduction command configured and no reproduction test known";
    summary = [...howToConfigure, "", ...howToName];
  }
  return {
    conclusion: "skipped",
    title,
    summary: summary.join("\n"),
    sections: [],
    annotations: [],
  };
}

function setupFailed(name: CheckName, run: CommandRun, timeoutMs: number): CheckOutcome {
  const conclusion =
    run.outcome === "timed_out"
      ? "timed_out"
      : run.outcome === "cancelled"
        ? "cancelled"
        : "failure";
  const verb = run.outcome === "timed_out" ? "timed out" : "failed";
  return {
    conclusion,
    title: `Setup ${verb}: ${CHECK_INFO[name].label.toLowerCase()} not run`,
    summary: [
      `- **Setup:** ${commandMarkdown(run.command)}`,
      `- **Result:** ${describeExit(run, timeoutMs)} after ${formatDuration(run.durationMs)}`,
      "",
      "`checks.setup` runs once in the checkout before the checks. It did not succeed, so this check was not run; the setup's output is below.",
    ].join("\n"),
    sections: [{ heading: "#### Setup", output: run.output, droppedBytes: run.droppedBytes }],
    annotations: [],
  };
}

function setupLine(run: CommandRun): string {
  return `Setup ${inlineCode(run.command)} ran first (${formatDuration(run.durationMs)}).`;
}

function cancelled(name: CheckName): CheckOutcome {
  return {
    conclusion: "cancelled",
    title: `${CHECK_INFO[name].label} cancelled`,
    summary: "The checks were cancelled before this one finished; its processes were killed.",
    sections: [],
    annotations: [],
  };
}

function toResult(
  name: CheckName,
  outcome: CheckOutcome,
  startedAt: Date,
  durationMs: number,
  redact: (text: string) => string,
): CheckResult {
  const duration = Math.max(0, Math.round(durationMs));
  return {
    name,
    conclusion: outcome.conclusion,
    title: redact(outcome.title).replace(/\s+/g, " ").slice(0, 500),
    // Redacted again as a whole: command lines and paths are in it too.
    summary: limitSummary(redact(outcome.summary)),
    text: outputText(outcome.sections),
    annotations: outcome.annotations,
    startedAt: startedAt.toISOString(),
    completedAt: new Date(startedAt.getTime() + duration).toISOString(),
    durationMs: duration,
  };
}

/** A path from outside, shortened for display (it is shown inside a code span). */
function displayPath(path: string): string {
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}
