/**
 * Before a worker takes jobs (and before `chant-bot implement` runs one): is
 * the agent usable at all? Its program must run inside the sandbox (the same
 * way jobs start it) and say its version, know the flags chant-bot passes it,
 * and have some credential to use. Each refusal is one line saying what to do,
 * instead of a worker that says "taking jobs" and fails every one of them.
 *
 * Checked: that a credential is CONFIGURED (a variable set, or a settings
 * directory given), not that the model API accepts it, which would cost a
 * request per start. A refused key shows up in the first job (stopped at once,
 * see claude-stream.ts / codex-stream.ts), and in /readyz (AgentHealth).
 */
import type { AgentStatus } from "../domain/health.js";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { childEnv } from "../process/command-line.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import { AgentConfigError } from "./agent-env.js";
import type { Agent, AgentResult } from "./agent.js";
import { CLAUDE_CREDENTIALS } from "./claude.js";
import { isDirectory } from "../process/file-status.js";

/** What chant-bot needs of a CLI, and the version it was tested with. */
interface CliRequirements {
  program: string;
  /** Arguments before `--help` that show the options chant-bot uses (`codex exec --help`). */
  helpArgs: string[];
  /** Options chant-bot passes: the help must mention each. */
  flags: string[];
  tested: string;
  install: string;
}

const REQUIREMENTS: Partial<Record<Agent["name"], CliRequirements>> = {
  claude: {
    program: "claude",
    helpArgs: [],
    flags: ["--output-format", "--permission-mode", "--no-session-persistence"],
    tested: "2.1.197",
    install: "npm install -g @anthropic-ai/claude-code",
  },
  codex: {
    program: "codex",
    helpArgs: ["exec"],
    flags: ["--json", "--sandbox", "--ephemeral", "--config"],
    tested: "0.171.0",
    install: "npm install -g @openai/codex",
  },
};

const HELP_MARK = "@@chant-bot-help@@";

export interface AgentCheck {
  /** One line for the logs and /readyz: `claude 2.1.197 (Claude Code)`, or the command. */
  description: string;
}

/**
 * Run the agent's program in the sandbox once (`--version`, then its help),
 * and look for a credential. Throws AgentConfigError with the reason. The
 * sandbox itself was checked already (openSandbox).
 */
export async function checkAgent(
  agent: Agent,
  sandbox: Sandbox,
  options: { env: NodeJS.ProcessEnv; workRoot: string },
): Promise<AgentCheck> {
  const needs = REQUIREMENTS[agent.name];
  if (!needs) return { description: `${agent.name} (${agent.programs[0] ?? "?"})` };

  const missing = await missingCredential(agent.name, options.env);
  if (missing !== undefined) throw new AgentConfigError(missing);

  await mkdir(options.workRoot, { recursive: true });
  const scratch = await mkdtemp(join(options.workRoot, "chant-agent-check-"));
  try {
    const dir = join(scratch, "work");
    const privateDir = join(scratch, "sandbox");
    await mkdir(dir);
    await mkdir(privateDir);
    const script = `"$0" --version || exit 97; echo ${HELP_MARK}; "$0" "$@" --help`;
    const result = await sandbox.run(
      ["sh", "-c", script, needs.program, ...needs.helpArgs],
      {
        cwd: dir,
        writable: [dir],
        privateDir,
        network: { kind: "none" },
        env: childEnv({}, { ...options.env, PATH: options.env.PATH ?? process.env.PATH }),
      },
      { timeoutMs: 60_000, maxOutputBytes: 256 * 1024 },
    );
    const [versionPart = "", help = ""] = result.stdout.split(HELP_MARK);
    const said = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-2).join(" ");
    if (result.startError !== undefined || result.exitCode === 97 || result.timedOut) {
      throw new AgentConfigError(
        `${needs.program} does not run in the sandbox (${sandbox.kind}): \`${needs.program} --version\` ${result.timedOut ? "did not finish within 60 s" : `failed: ${said || (result.startError ?? `exit ${result.exitCode}`)}`} (install: ${needs.install}; tested with ${needs.tested})`,
      );
    }
    const version = versionPart.trim().split("\n")[0]?.trim() ?? "";
    if (!/\d+\.\d+/.test(version)) {
      throw new AgentConfigError(
        `${needs.program} --version printed no version (${version || "nothing"}): is ${needs.program} the ${agent.name} CLI? (install: ${needs.install})`,
      );
    }
    const unknown = needs.flags.filter((flag) => !help.includes(flag));
    if (unknown.length > 0) {
      throw new AgentConfigError(
        `${needs.program} ${version} does not know ${unknown.join(", ")}, which chant-bot passes: upgrade it (${needs.install}; tested with ${needs.tested})`,
      );
    }
    return { description: `${agent.name} ${version.replace(/^codex-cli\s+/, "")}` };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function set(env: NodeJS.ProcessEnv, name: string): boolean {
  return (env[name]?.trim() ?? "") !== "";
}

function truthy(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = env[name]?.trim().toLowerCase() ?? "";
  return value !== "" && value !== "0" && value !== "false" && value !== "no";
}

async function isDirectoryIfSet(path: string | undefined): Promise<boolean> {
  return path ? isDirectory(path) : false;
}

/** Why the agent has no credential at all, or undefined when it has one to try. */
export async function missingCredential(
  agent: Agent["name"],
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  if (agent === "claude") {
    if (
      ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"].some((n) =>
        set(env, n),
      )
    )
      return undefined;
    if (truthy(env, "CLAUDE_CODE_USE_BEDROCK") || truthy(env, "CLAUDE_CODE_USE_VERTEX"))
      return undefined;
    // A settings directory may hold a login or an apiKeyHelper: it is copied into the sandbox.
    if (await isDirectoryIfSet(env.CLAUDE_CONFIG_DIR)) return undefined;
    return `claude has no credential: set ${CLAUDE_CREDENTIALS} in the worker's environment (or point CLAUDE_CONFIG_DIR at a settings directory with a login); a \`claude /login\` of the worker's user is not visible in the sandbox`;
  }
  if (agent === "codex") {
    if (set(env, "OPENAI_API_KEY") || set(env, "CODEX_API_KEY")) return undefined;
    if (await isDirectoryIfSet(env.CODEX_HOME)) return undefined;
    return "codex has no credential: set OPENAI_API_KEY (or CODEX_API_KEY) in the worker's environment (or point CODEX_HOME at a directory with a `codex login`); the worker's own ~/.codex is not visible in the sandbox";
  }
  return undefined;
}

/**
 * The agent as /readyz reports it: what the start-up check found, and whether
 * the last run found its credentials refused or missing (a revoked or expired
 * key shows up only then). A later run that gets an answer clears it.
 */
export class AgentHealth {
  private problem: string | undefined;

  constructor(readonly description: string) {}

  record(result: AgentResult): void {
    if (result.outcome === "done" || result.outcome === "needs_research") {
      this.problem = undefined;
      return;
    }
    const error = result.error ?? "";
    if (
      /cannot authenticate|refused its credentials|Not logged in|has no credential|request was refused/i.test(
        error,
      )
    ) {
      this.problem = `the last run at ${new Date().toISOString()} failed on its credentials: ${error}`;
    }
  }

  get status(): AgentStatus {
    return this.problem === undefined
      ? { ready: true, agent: this.description }
      : { ready: false, agent: this.description, reason: this.problem };
  }
}

/** `agent`, with every result recorded in `health`. */
export function watchedAgent(agent: Agent, health: AgentHealth): Agent {
  return {
    name: agent.name,
    programs: agent.programs,
    async run(run) {
      const result = await agent.run(run);
      health.record(result);
      return result;
    },
  };
}
