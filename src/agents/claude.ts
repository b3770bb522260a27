/**
 * Claude Code in print mode: `claude -p --output-format stream-json --verbose
 * [--model=M] --max-turns N --permission-mode bypassPermissions
 * --no-session-persistence`, prompt on stdin. stream-json in print mode
 * requires --verbose (the CLI refuses otherwise). Tried with the real CLI
 * (2.1.197) against a model-API stand-in: test/agents/real-cli.test.ts.
 */
import { agentEnvironment } from "./agent-env.js";
import type { Agent, AgentResult, AgentRun } from "./agent.js";
import { ClaudeStreamParser } from "./claude-stream.js";
import { configFailure, runAgentProcess } from "./run-agent.js";
import type { AgentOptions } from "./run-agent.js";

export const CLAUDE_NOT_INSTALLED =
  "claude is not installed: install Claude Code with `npm install -g @anthropic-ai/claude-code`";

export function claudeArgv(run: Pick<AgentRun, "model" | "maxTurns">): string[] {
  return [
    "claude",
    "-p",
    "--output-format",
    "stream-json",
    "--verbose",
    // `--model=M` rather than `--model M`: a value starting with "-" stays a value.
    ...(run.model ? [`--model=${run.model}`] : []),
    "--max-turns",
    String(atLeastOne(run.maxTurns)),
    // In print mode nobody can answer a permission prompt: a tool that needs
    // one is denied. acceptEdits would allow edits but deny the Bash calls the
    // agent needs to run the reproduction test and the suite. Bypassing is
    // acceptable here because the agent works in a throwaway clone whose
    // environment holds no GitHub token, and the worker (not the agent)
    // reviews the diff, commits and pushes.
    "--permission-mode",
    "bypassPermissions",
    // No transcript of the job under the sandbox's HOME (it holds the prompt and the code).
    "--no-session-persistence",
  ];
}

/** The credentials claude can use (agent-env.ts passes them), named when it has none or they are refused. */
export const CLAUDE_CREDENTIALS =
  "ANTHROPIC_API_KEY (or CLAUDE_CODE_OAUTH_TOKEN from `claude setup-token`, or ANTHROPIC_AUTH_TOKEN with ANTHROPIC_BASE_URL, or the Bedrock or Vertex AI variables)";
const CLAUDE_CREDENTIALS_HINT = `Check ${CLAUDE_CREDENTIALS} in the worker's environment`;

/** Where claude's model API is, for messages. */
export function claudeApiUrl(env: NodeJS.ProcessEnv): string {
  const bedrock = env.CLAUDE_CODE_USE_BEDROCK?.trim();
  const vertex = env.CLAUDE_CODE_USE_VERTEX?.trim();
  if (bedrock && bedrock !== "0") return env.ANTHROPIC_BEDROCK_BASE_URL?.trim() || "Amazon Bedrock";
  if (vertex && vertex !== "0") return env.ANTHROPIC_VERTEX_BASE_URL?.trim() || "Vertex AI";
  return env.ANTHROPIC_BASE_URL?.trim() || "https://api.anthropic.com";
}

export class ClaudeAgent implements Agent {
  readonly name = "claude" as const;
  readonly programs = ["claude"];

  constructor(private readonly options: AgentOptions) {}

  async run(run: AgentRun): Promise<AgentResult> {
    let environment;
    try {
      environment = agentEnvironment("claude", this.options.env, this.options.extraEnvNames, {
        CHANT_PROMPT_FILE: run.promptFile,
        CHANT_SPEC_PATH: run.specPath,
        CHANT_SPEC_ID: run.specId,
      });
    } catch (error) {
      return configFailure(error);
    }
    const result = await runAgentProcess(run, {
      name: this.name,
      argv: claudeArgv(run),
      network: this.options.network,
      env: environment.env,
      secrets: environment.secrets,
      notInstalled: CLAUDE_NOT_INSTALLED,
      idleMs: this.options.idleMs,
      parser: ({ progress, stop }) =>
        new ClaudeStreamParser({
          workspace: run.workspace,
          maxTurns: run.maxTurns,
          onProgress: progress,
          onStop: stop,
          apiUrl: claudeApiUrl(this.options.env),
          credentialHint: CLAUDE_CREDENTIALS_HINT,
        }),
    });
    // Claude Code refuses bypassPermissions as root unless told it is in a
    // sandbox; say how to fix that rather than just quoting it.
    if (result.outcome === "failed" && result.error?.includes("root/sudo privileges")) {
      return { ...result, error: `${result.error} (${ROOT_HINT})` };
    }
    // No credential reached it: say which ones it could use.
    if (result.outcome === "failed" && /Not logged in/i.test(result.error ?? "")) {
      return { ...result, error: `${result.error} (${NOT_LOGGED_IN_HINT})` };
    }
    return result;
  }
}

const NOT_LOGGED_IN_HINT = `claude found no credential: set ${CLAUDE_CREDENTIALS} in the worker's environment; a \`claude /login\` of the worker's user is not visible in the sandbox, whose HOME is its own (point CLAUDE_CONFIG_DIR at a settings directory to use one)`;

const ROOT_HINT =
  "run the worker as a non-root user, or, in a disposable container, set IS_SANDBOX=1 and CHANT_AGENT_ENV=IS_SANDBOX";

/** A whole number of at least 1 (the config already checks max_turns; a bad value never reaches the CLI). */
function atLeastOne(value: number): number {
  return Number.isFinite(value) && value >= 1 ? Math.floor(value) : 1;
}
