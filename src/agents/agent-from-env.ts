/**
 * The coding agent behind one small interface, chosen by `CHANT_AGENT`:
 *
 * - `claude` (the default): Claude Code, `npm install -g @anthropic-ai/claude-code`;
 *   credentials ANTHROPIC_API_KEY, or CLAUDE_CODE_OAUTH_TOKEN, or
 *   ANTHROPIC_AUTH_TOKEN + ANTHROPIC_BASE_URL, or CLAUDE_CODE_USE_BEDROCK /
 *   CLAUDE_CODE_USE_VERTEX with that cloud's variables.
 * - `codex`: Codex CLI, `npm install -g @openai/codex`; OPENAI_API_KEY or
 *   CODEX_API_KEY (or a `codex login` under CODEX_HOME), OPENAI_BASE_URL (both
 *   mapped to what codex itself reads: codex.ts).
 * - `command`: `CHANT_AGENT_COMMAND`, any program, split into argv without a shell.
 *
 * The agent runs in the sandbox (src/sandbox/), in a copy of the clone, with
 * only PATH, LANG, LC_*, TZ, TERM, a private HOME and TMPDIR, its own
 * credentials, the names listed in `CHANT_AGENT_ENV`, and CHANT_PROMPT_FILE /
 * CHANT_SPEC_PATH / CHANT_SPEC_ID; its network reaches its model API only
 * (through the sandbox's egress proxy). It never sees a GitHub token, the
 * App's key or the worker's files. A claude or codex run that cannot succeed
 * (credentials refused, model API unreachable) or prints nothing for
 * CHANT_AGENT_IDLE_SECONDS is stopped early with the reason. Details:
 * src/agents/README.md.
 */
import { splitCommandLine } from "../process/command-line.js";
import type { AgentName } from "./agent-env.js";
import {
  AgentConfigError,
  agentEnvironment,
  agentNetwork,
  parseAgentEnvNames,
} from "./agent-env.js";
import { ClaudeAgent } from "./claude.js";
import { CodexAgent } from "./codex.js";
import { CommandAgent } from "./command.js";

export { AgentConfigError } from "./agent-env.js";
export { NEEDS_RESEARCH_EXIT_CODE } from "./run-agent.js";
import { DEFAULT_IDLE_MS } from "./run-agent.js";
import type { Agent } from "./agent.js";

const AGENT_NAMES = ["claude", "codex", "command"] as const;

/** CHANT_AGENT, or `command` when only CHANT_AGENT_COMMAND is set, else `claude` (lower-cased, unchecked). */
function agentNameOf(env: NodeJS.ProcessEnv): string {
  const raw = env.CHANT_AGENT?.trim() ?? "";
  if (raw !== "") return raw.toLowerCase();
  return (env.CHANT_AGENT_COMMAND?.trim() ?? "") !== "" ? "command" : "claude";
}

/**
 * The values of the agent's credentials and of the variables listed in
 * CHANT_AGENT_ENV: the agent holds them, so they are secrets of this process
 * too (redacted from every output, never pushed). Empty when the agent's
 * configuration is invalid (agentFromEnv says why).
 */
export function agentCredentialValues(env: NodeJS.ProcessEnv): string[] {
  const name = agentNameOf(env);
  if (!(AGENT_NAMES as readonly string[]).includes(name)) return [];
  try {
    return agentEnvironment(name as AgentName, env, parseAgentEnvNames(env.CHANT_AGENT_ENV), {
      CHANT_PROMPT_FILE: "",
      CHANT_SPEC_PATH: "",
      CHANT_SPEC_ID: "",
    }).secrets;
  } catch {
    return [];
  }
}

/**
 * The agent `env` configures. CHANT_AGENT defaults to `command` when only
 * CHANT_AGENT_COMMAND is set, else to `claude`. Throws AgentConfigError for
 * an unknown CHANT_AGENT, `command` without a usable CHANT_AGENT_COMMAND, and
 * a CHANT_AGENT_ENV that lists a malformed or refused name (GITHUB_TOKEN...).
 */
export function agentFromEnv(env: NodeJS.ProcessEnv): Agent {
  const extraEnvNames = parseAgentEnvNames(env.CHANT_AGENT_ENV);
  const commandLine = env.CHANT_AGENT_COMMAND?.trim() ?? "";
  const raw = env.CHANT_AGENT?.trim() ?? "";
  const name = agentNameOf(env);
  const network = (AGENT_NAMES as readonly string[]).includes(name)
    ? agentNetwork(name as AgentName, env)
    : ({ kind: "none" } as const);
  const options = { env, extraEnvNames, network, idleMs: idleMsFromEnv(env) };

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

/** CHANT_AGENT_IDLE_SECONDS: how long claude or codex may print nothing before it is stopped as stalled. */
function idleMsFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.CHANT_AGENT_IDLE_SECONDS?.trim();
  if (!raw) return DEFAULT_IDLE_MS;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 86_400) {
    throw new AgentConfigError(
      `CHANT_AGENT_IDLE_SECONDS "${raw}" must be a whole number of seconds from 1 to 86400`,
    );
  }
  return seconds * 1000;
}
