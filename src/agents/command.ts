/**
 * Any agent as a command line (`CHANT_AGENT_COMMAND`, split into argv by
 * splitCommandLine: no shell, no expansion). It gets the prompt on stdin and
 * CHANT_PROMPT_FILE / CHANT_SPEC_PATH / CHANT_SPEC_ID; exit 0 = done, exit 3 =
 * back to research; its summary is the last lines it printed.
 */
import { agentEnvironment } from "./agent-env.js";
import type { Agent, AgentResult, AgentRun } from "./agent.js";
import { configFailure, runAgentProcess } from "./run-agent.js";
import type { AgentOptions } from "./run-agent.js";

export class CommandAgent implements Agent {
  readonly name = "command" as const;

  /** `argv` is CHANT_AGENT_COMMAND already split (agentFromEnv validates it). */
  constructor(
    private readonly argv: readonly string[],
    private readonly options: AgentOptions,
  ) {}

  /** The program and the absolute paths it is given (`node /opt/agent/run.js`). */
  get programs(): string[] {
    return [this.argv[0] ?? "", ...this.argv.slice(1).filter((arg) => arg.startsWith("/"))];
  }

  async run(run: AgentRun): Promise<AgentResult> {
    let environment;
    try {
      environment = agentEnvironment("command", this.options.env, this.options.extraEnvNames, {
        CHANT_PROMPT_FILE: run.promptFile,
        CHANT_SPEC_PATH: run.specPath,
        CHANT_SPEC_ID: run.specId,
      });
    } catch (error) {
      return configFailure(error);
    }
    const program = this.argv[0] ?? "";
    return runAgentProcess(run, {
      name: this.name,
      argv: [...this.argv],
      network: this.options.network,
      env: environment.env,
      secrets: environment.secrets,
      notInstalled: `CHANT_AGENT_COMMAND's program ${program} was not found${where(program)}`,
    });
  }
}

function where(program: string): string {
  if (program.startsWith("/")) return "";
  // spawn resolves a relative path against the working directory, a bare name on PATH.
  return program.includes("/") ? " (relative to the workspace)" : " on PATH";
}
