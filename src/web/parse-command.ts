import { CommandLineError, splitCommandLine } from "../process/command-line.js";
import { MAX_EXPLICIT_SPEC } from "../queue/job-data.js";

/** What a `/chant ...` comment asks for. */
export type ChantCommand =
  | { name: "implement"; spec: string | undefined; force: boolean }
  | { name: "plan"; spec: string | undefined; force: boolean }
  | { name: "approve"; sha: string | undefined }
  | { name: "reject"; reason: string }
  | { name: "retry" }
  | { name: "cancel" }
  | { name: "status" }
  | { name: "check" }
  | { name: "help"; problem: string | undefined };

export const COMMAND_HELP = [
  "`/chant implement [SPEC] [--force]`: find the research spec (or use SPEC, an id or `.chant/specs/...` path), draft the implementation spec, run the agent and open the fix pull request. `--force` goes ahead with research that is not completed.",
  "`/chant plan [SPEC] [--force]`: draft the implementation spec and open it as a plan to approve; no agent runs until `/chant approve`.",
  "`/chant approve [SHA]`: approve the plan at the head of its branch (or the commit SHA you reviewed, which must still be the head), then run the agent on exactly that.",
  "`/chant reject REASON`: reject the plan; the reason is recorded in the spec's `## Approval Discussion`.",
  "`/chant retry`: run the last job for this issue again.",
  "`/chant cancel`: stop the queued or running job (the agent is killed).",
  "`/chant status`: show the job's state in this comment.",
  "`/chant check`: run the four checks again on this pull request's head.",
  "`/chant help`: this list.",
];

const MAX_COMMAND_LINE = 500;

/**
 * Read a comment as a command. Only the first line counts, and only when it
 * starts with `/chant` itself: a command quoted, indented as code, inside a
 * fence or further down the comment is not a command. Returns undefined when
 * the comment is not addressed to chant-bot at all.
 */
export function parseCommand(body: string): ChantCommand | undefined {
  const firstLine =
    body
      .replace(/^\uFEFF/, "")
      .replace(/^(?:[ \t]*\r?\n)+/, "")
      .split(/\r?\n/)[0] ?? "";
  // Four spaces (or a tab) make a code block in markdown; a command does not start that way.
  if (/^( {4}|\t)/.test(firstLine)) return undefined;
  const line = firstLine.trim();
  if (!/^\/chant(\s|$)/i.test(line)) return undefined;
  if (line.length > MAX_COMMAND_LINE)
    return help(`the command line is longer than ${MAX_COMMAND_LINE} characters`);

  // A reason is free text (quotes and apostrophes included): the rest of the line as written.
  if (/^\/chant\s+reject(\s|$)/i.test(line)) {
    const reason = line.replace(/^\/chant\s+reject\s*/i, "").trim();
    if (reason === "")
      return help("`reject` needs a reason: `/chant reject the scope is too wide`");
    return { name: "reject", reason };
  }
  let words: string[];
  try {
    words = splitCommandLine(line).slice(1);
  } catch (error) {
    return help(
      error instanceof CommandLineError ? error.message : "the command could not be read",
    );
  }
  const [name = "", ...args] = words;
  switch (name.toLowerCase()) {
    case "approve": {
      if (args.length > 1) return help("`approve` takes at most one commit sha");
      const sha = args[0];
      if (sha !== undefined && !/^[0-9a-f]{7,40}$/i.test(sha))
        return help(`\`${shown(sha)}\` is not a commit sha (7 to 40 hexadecimal digits)`);
      return { name: "approve", sha: sha?.toLowerCase() };
    }
    case "plan":
    case "implement": {
      const force = args.some((a) => a === "--force" || a === "-f");
      const rest = args.filter((a) => a !== "--force" && a !== "-f");
      const unknownOption = rest.find((a) => a.startsWith("-"));
      const verb = name.toLowerCase() as "plan" | "implement";
      if (unknownOption) return help(`\`${verb}\` has no option \`${shown(unknownOption)}\``);
      if (rest.length > 1) return help(`\`${verb}\` takes at most one spec`);
      // A job carries at most this much; a longer argument would fail to enqueue (a 500).
      if ((rest[0]?.length ?? 0) > MAX_EXPLICIT_SPEC)
        return help(`the spec argument is longer than ${MAX_EXPLICIT_SPEC} characters`);
      return { name: verb, spec: rest[0], force };
    }
    case "retry":
    case "cancel":
    case "status":
    case "check":
      if (args.length > 0) return help(`\`${name.toLowerCase()}\` takes no arguments`);
      return { name: name.toLowerCase() as "retry" | "cancel" | "status" | "check" };
    case "help":
    case "":
      return help(undefined);
    default:
      return help(`\`${shown(name)}\` is not a chant-bot command`);
  }
}

function help(problem: string | undefined): ChantCommand {
  return { name: "help", problem };
}

/** A user's word shown back in backticks: no backticks or line breaks, bounded. */
function shown(word: string): string {
  return word.replace(/[`\r\n]/g, "").slice(0, 60);
}
