/**
 * Codex CLI in exec mode: `codex exec --json --sandbox workspace-write
 * --skip-git-repo-check [--model=M] -`, prompt on stdin (`-`). exec never asks
 * for approvals; the workspace-write sandbox lets it edit the clone (and run
 * commands in it, without network). `--full-auto` is deprecated in favour of
 * `--sandbox workspace-write`. codex exec has no turn limit: maxTurns is not
 * passed (the wall-clock timeout bounds the run).
 */
import { agentEnvironment } from "./agent-env.js";
import type { Agent, AgentResult, AgentRun } from "./agent.js";
import { CodexStreamParser } from "./codex-stream.js";
import { configFailure, runAgentProcess } from "./run-agent.js";
import type { AgentOptions } from "./run-agent.js";

export const CODEX_NOT_INSTALLED =
  "codex is not installed: install the Codex CLI with `npm install -g @openai/codex`";

export function codexArgv(run: Pick<AgentRun, "model">): string[] {
  return [
    "codex",
    "exec",
    "--json",
    "--sandbox",
    "workspace-write",
    // The clone is a git repository; this only keeps a shallow or unusual
    // checkout from being refused.
    "--skip-git-repo-check",
    ...(run.model ? [`--model=${run.model}`] : []),
    // Read the prompt from stdin: it is too long and too untrusted for argv.
    "-",
  ];
}

export class CodexAgent implements Agent {
  readonly name = "codex" as const;
  readonly programs = ["codex"];

  constructor(private readonly options: AgentOptions) {}

  async run(run: AgentRun): Promise<AgentResult> {
    let environment;
    try {
      environment = agentEnvironment("codex", this.options.env, this.options.extraEnvNames, {
        CHANT_PROMPT_FILE: run.promptFile,
        CHANT_SPEC_PATH: run.specPath,
        CHANT_SPEC_ID: run.specId,
      });
    } catch (error) {
      return configFailure(error);
    }
    return runAgentProcess(run, {
      name: this.name,
      argv: codexArgv(run),
      network: this.options.network,
      env: environment.env,
      secrets: environment.secrets,
      notInstalled: CODEX_NOT_INSTALLED,
      parser: (onProgress) =>
        new CodexStreamParser({ workspace: run.workspace, model: run.model, onProgress }),
    });
  }
}
