/**
 * Codex CLI in exec mode: `codex exec --json --sandbox MODE --skip-git-repo-check
 * --ephemeral [-c openai_base_url="URL"] [--model=M] -`, prompt on stdin (`-`).
 * exec never asks for approvals. codex exec has no turn limit: maxTurns is not
 * passed (the wall-clock timeout bounds the run).
 *
 * What the real CLI (0.171.0) does, and so what we pass (tried against a
 * model-API stand-in: test/agents/real-cli.test.ts):
 *
 * - it reads its key from CODEX_API_KEY, not OPENAI_API_KEY (no Authorization
 *   header at all with OPENAI_API_KEY alone): agent-env.ts gives the child
 *   CODEX_API_KEY = OPENAI_API_KEY when only the latter is set;
 * - it takes its endpoint from the `openai_base_url` config key, not from
 *   OPENAI_BASE_URL (it went to api.openai.com with the variable set): we pass
 *   `-c openai_base_url="..."` when OPENAI_BASE_URL is set;
 * - `--sandbox workspace-write` runs the model's commands in a bubblewrap
 *   sandbox of its own, which needs user namespaces; chant-bot's bubblewrap
 *   sandbox allows none inside it (`--disable-userns`), so every command
 *   failed there. Inside chant-bot's bubblewrap sandbox codex gets
 *   `--sandbox danger-full-access`: the isolation is chant-bot's (the copy of
 *   the clone writable, the system read-only, the network only to its model
 *   API). With CHANT_SANDBOX=wrapper or off it keeps `workspace-write`, its
 *   own isolation being all there may be;
 * - `--ephemeral`: no session transcript of the job under HOME.
 */
import { agentEnvironment } from "./agent-env.js";
import type { Agent, AgentResult, AgentRun } from "./agent.js";
import { CodexStreamParser } from "./codex-stream.js";
import { configFailure, runAgentProcess } from "./run-agent.js";
import type { AgentOptions } from "./run-agent.js";
import type { SandboxKind } from "../sandbox/sandbox.js";

export const CODEX_NOT_INSTALLED =
  "codex is not installed: install the Codex CLI with `npm install -g @openai/codex`";

export interface CodexArgvOptions {
  model?: string | undefined;
  /** OPENAI_BASE_URL: codex reads it as the `openai_base_url` config key only. */
  baseUrl?: string | undefined;
  /** The sandbox chant-bot runs codex in: codex's own sandbox cannot start inside bubblewrap's. */
  sandboxKind: SandboxKind;
}

export function codexArgv(options: CodexArgvOptions): string[] {
  const baseUrl = options.baseUrl?.trim();
  return [
    "codex",
    "exec",
    "--json",
    "--sandbox",
    options.sandboxKind === "bubblewrap" ? "danger-full-access" : "workspace-write",
    // The clone is a git repository; this only keeps a shallow or unusual
    // checkout from being refused.
    "--skip-git-repo-check",
    // No session files under HOME.
    "--ephemeral",
    // The value is TOML: a quoted string (JSON's escaping is TOML's for a basic string).
    ...(baseUrl ? ["-c", `openai_base_url=${JSON.stringify(baseUrl)}`] : []),
    ...(options.model ? [`--model=${options.model}`] : []),
    // Read the prompt from stdin: it is too long and too untrusted for argv.
    "-",
  ];
}

/** The credentials codex can use, named when they are refused. */
export const CODEX_CREDENTIALS_HINT =
  "Check OPENAI_API_KEY (or CODEX_API_KEY) in the worker's environment";

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
      argv: codexArgv({
        model: run.model,
        baseUrl: this.options.env.OPENAI_BASE_URL,
        sandboxKind: run.sandbox.kind,
      }),
      network: this.options.network,
      env: environment.env,
      secrets: environment.secrets,
      notInstalled: CODEX_NOT_INSTALLED,
      idleMs: this.options.idleMs,
      parser: ({ progress, stop }) =>
        new CodexStreamParser({
          workspace: run.workspace,
          model: run.model,
          onProgress: progress,
          onStop: stop,
          apiUrl: this.options.env.OPENAI_BASE_URL?.trim() || "https://api.openai.com/v1",
          credentialHint: CODEX_CREDENTIALS_HINT,
        }),
    });
  }
}
