/**
 * The coding agent behind one small interface, chosen by `CHANT_AGENT`:
 *
 * - `claude` (the default): Claude Code, `npm install -g @anthropic-ai/claude-code`;
 *   credentials ANTHROPIC_API_KEY, or CLAUDE_CODE_OAUTH_TOKEN, or
 *   ANTHROPIC_AUTH_TOKEN + ANTHROPIC_BASE_URL, or CLAUDE_CODE_USE_BEDROCK /
 *   CLAUDE_CODE_USE_VERTEX with that cloud's variables.
 * - `codex`: Codex CLI, `npm install -g @openai/codex`; OPENAI_API_KEY or
 *   CODEX_API_KEY (or a `codex login` under CODEX_HOME / HOME), OPENAI_BASE_URL.
 * - `command`: `CHANT_AGENT_COMMAND`, any program, split into argv without a shell.
 *
 * The agent runs in the clone with only PATH, HOME, USER, LANG, LC_*, TZ,
 * TMPDIR, TERM, its own credentials, the names listed in `CHANT_AGENT_ENV`,
 * and CHANT_PROMPT_FILE / CHANT_SPEC_PATH / CHANT_SPEC_ID. It never sees a
 * GitHub token. Details: src/agents/README.md.
 */
import { splitCommandLine } from "../process/command-line.js";
import { AgentConfigError, parseAgentEnvNames } from "./agent-env.js";
import { ClaudeAgent } from "./claude.js";
import { CodexAgent } from "./codex.js";
import { CommandAgent } from "./command.js";

export { AgentConfigError } from "./agent-env.js";
export { NEEDS_RESEARCH_EXIT_CODE } from "./run-agent.js";

export interface AgentRun {
  /** The clone the agent works in (its cwd). */
  workspace: string;
  prompt: string;
  /** Absolute path of a file holding the prompt (CHANT_PROMPT_FILE), written by the caller. */
  promptFile: string;
  /** Spec path relative to the workspace (CHANT_SPEC_PATH) and its id (CHANT_SPEC_ID). */
  specPath: string;
  specId: string;
  model?: string | undefined;
  maxTurns: number;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Progress for the status comment: "turn 3", "Edit src/store.js"… (short, already plain text). */
  onProgress?: (line: string) => void;
  /**
   * Redaction of the worker's own secrets (the agent's credentials are redacted anyway),
   * applied to the whole output before any of it is cut to a summary, an error or a tail:
   * a secret cut in half would no longer be recognised.
   */
  redact?: ((text: string) => string) | undefined;
}

export type AgentOutcome =
  "done" | "failed" | "timed_out" | "cancelled" | "needs_research" | "not_started";

export interface AgentResult {
  outcome: AgentOutcome;
  exitCode: number | null;
  /** The agent's final message (claude's `result`, codex's last agent message, or the command's last lines). */
  summary: string;
  /** Why it failed / did not start, in one sentence for the status comment. */
  error?: string;
  turns?: number;
  costUsd?: number;
  model?: string;
  durationMs: number;
  /** Bounded tail of the output (redacted of known token shapes). */
  outputTail: string;
}

export interface Agent {
  readonly name: "claude" | "codex" | "command";
  run(run: AgentRun): Promise<AgentResult>;
}

const AGENT_NAMES = ["claude", "codex", "command"] as const;

/**
 * The agent `env` configures. CHANT_AGENT defaults to `command` when only
 * CHANT_AGENT_COMMAND is set, else to `claude`. Throws AgentConfigError for
 * an unknown CHANT_AGENT, `command` without a usable CHANT_AGENT_COMMAND, and
 * a CHANT_AGENT_ENV that lists a malformed or refused name (GITHUB_TOKEN...).
 */
export function agentFromEnv(env: NodeJS.ProcessEnv): Agent {
  const extraEnvNames = parseAgentEnvNames(env.CHANT_AGENT_ENV);
  const options = { env, extraEnvNames, wrapper: agentWrapper(env.CHANT_AGENT_WRAPPER) };
  const commandLine = env.CHANT_AGENT_COMMAND?.trim() ?? "";
  const raw = env.CHANT_AGENT?.trim() ?? "";
  const name = raw === "" ? (commandLine !== "" ? "command" : "claude") : raw.toLowerCase();

  switch (name) {
    case "claude":
      return new ClaudeAgent(options);
    case "codex":
      return new CodexAgent(options);
    case "command": {
      if (commandLine === "") {
        throw new AgentConfigError(
          "CHANT_AGENT is command but CHANT_AGENT_COMMAND is not set: set it to the agent's command line, e.g. CHANT_AGENT_COMMAND='my-agent --fix'",
        );
      }
      let argv: string[];
      try {
        argv = splitCommandLine(commandLine);
      } catch (error) {
        throw new AgentConfigError(
          `CHANT_AGENT_COMMAND cannot be split into arguments: ${(error as Error).message}`,
        );
      }
      return new CommandAgent(argv, options);
    }
    default:
      throw new AgentConfigError(
        `CHANT_AGENT is "${raw}": it must be one of ${AGENT_NAMES.join(", ")}`,
      );
  }
}

/**
 * CHANT_AGENT_WRAPPER: a command line put before the agent's, to run it in a
 * sandbox, e.g. `unshare --user --map-root-user --pid --fork --mount-proc --`
 * (its own PID namespace: it cannot read the worker's /proc/<pid>/environ).
 */
function agentWrapper(line: string | undefined): string[] | undefined {
  if (!line?.trim()) return undefined;
  try {
    return splitCommandLine(line);
  } catch (error) {
    throw new AgentConfigError(
      `CHANT_AGENT_WRAPPER cannot be split into arguments: ${(error as Error).message}`,
    );
  }
}
