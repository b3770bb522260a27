/**
 * The environment of an agent process: the allow-listed basics of `childEnv`
 * (PATH, HOME, LANG…), the agent's own credentials by name, the names a
 * maintainer lists in `CHANT_AGENT_ENV`, and the CHANT_* variables of the run.
 * Nothing that could carry a GitHub token or the app's own secrets ever gets
 * in: such names are refused even when listed (ARCHITECTURE.md, "Containment").
 */
import { INHERITED_ENV_VARS, childEnv } from "../process/command-line.js";
import { parseEgressRule, ruleForUrl } from "../sandbox/egress-rules.js";
import { egressFromEnv } from "../sandbox/sandbox-from-env.js";
import { SandboxConfigError, type EgressRule, type NetworkPolicy } from "../sandbox/sandbox.js";
import { looksLikeCredential } from "../util/redact.js";

export class AgentConfigError extends Error {
  override readonly name = "AgentConfigError";
}

export type AgentName = "claude" | "codex" | "command";

interface PassThrough {
  name: string;
  /** Secret values are redacted from everything the agent prints. */
  secret: boolean;
}

const secret = (name: string): PassThrough => ({ name, secret: true });
const plain = (name: string): PassThrough => ({ name, secret: false });

// Claude Code: an API key, a gateway token or a `claude setup-token` OAuth
// token; the model variables matter where Bedrock/Vertex model ids are pinned.
const CLAUDE_VARS: readonly PassThrough[] = [
  secret("ANTHROPIC_API_KEY"),
  secret("ANTHROPIC_AUTH_TOKEN"),
  secret("CLAUDE_CODE_OAUTH_TOKEN"),
  plain("ANTHROPIC_BASE_URL"),
  plain("CLAUDE_CONFIG_DIR"),
  plain("ANTHROPIC_MODEL"),
  plain("ANTHROPIC_SMALL_FAST_MODEL"),
  plain("ANTHROPIC_DEFAULT_OPUS_MODEL"),
  plain("ANTHROPIC_DEFAULT_SONNET_MODEL"),
  plain("ANTHROPIC_DEFAULT_HAIKU_MODEL"),
  plain("CLAUDE_CODE_USE_BEDROCK"),
  plain("CLAUDE_CODE_USE_VERTEX"),
];

// Cloud credentials go to the agent only when it is told to use that cloud:
// a worker running on AWS or GCP must not hand its own role to every agent.
const BEDROCK_VARS: readonly PassThrough[] = [
  plain("AWS_REGION"),
  plain("AWS_DEFAULT_REGION"),
  plain("AWS_PROFILE"),
  plain("AWS_CONFIG_FILE"),
  plain("AWS_SHARED_CREDENTIALS_FILE"),
  secret("AWS_ACCESS_KEY_ID"),
  secret("AWS_SECRET_ACCESS_KEY"),
  secret("AWS_SESSION_TOKEN"),
  secret("AWS_BEARER_TOKEN_BEDROCK"),
  plain("ANTHROPIC_BEDROCK_BASE_URL"),
  plain("ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION"),
  plain("CLAUDE_CODE_SKIP_BEDROCK_AUTH"),
];

const VERTEX_VARS: readonly PassThrough[] = [
  plain("CLOUD_ML_REGION"),
  plain("ANTHROPIC_VERTEX_PROJECT_ID"),
  plain("ANTHROPIC_VERTEX_BASE_URL"),
  plain("GOOGLE_APPLICATION_CREDENTIALS"),
  plain("GOOGLE_CLOUD_PROJECT"),
  plain("CLAUDE_CODE_SKIP_VERTEX_AUTH"),
];
// Per-model region overrides: VERTEX_REGION_CLAUDE_SONNET_4_5=us-east5 etc.
const VERTEX_PREFIX = "VERTEX_REGION_";

// Codex: OPENAI_API_KEY or CODEX_API_KEY. `codex exec` itself reads only
// CODEX_API_KEY (0.171.0 sends no Authorization header with OPENAI_API_KEY
// alone), so agentEnvironment gives it CODEX_API_KEY = OPENAI_API_KEY when
// only that is set. OPENAI_BASE_URL is passed for what the agent runs, but
// codex itself takes its endpoint from `-c openai_base_url=...` (codex.ts).
// CODEX_HOME holds config.toml and a `codex login` session.
const CODEX_VARS: readonly PassThrough[] = [
  secret("OPENAI_API_KEY"),
  secret("CODEX_API_KEY"),
  plain("OPENAI_BASE_URL"),
  plain("CODEX_HOME"),
];

/** The credential variables an agent gets by default (when set). Exported for the docs and tests. */
export const AGENT_CREDENTIAL_VARS: Readonly<Record<AgentName, readonly string[]>> = {
  claude: [...CLAUDE_VARS, ...BEDROCK_VARS, ...VERTEX_VARS].map((v) => v.name),
  codex: CODEX_VARS.map((v) => v.name),
  command: [],
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Why `name` may never reach an agent, or undefined when it may. Broad on
 * purpose: a false refusal costs a maintainer one rename, a leak costs a
 * repository.
 */
export function refusedEnvName(name: string): string | undefined {
  const upper = name.toUpperCase();
  if (upper.includes("GITHUB") || upper.startsWith("GH_")) {
    return "it could carry a GitHub token";
  }
  if (
    upper.includes("PRIVATE_KEY") ||
    upper.includes("WEBHOOK") ||
    upper === "APP_ID" ||
    upper === "CLIENT_ID" ||
    upper === "CLIENT_SECRET"
  ) {
    return "it is one of the GitHub App's credentials";
  }
  if (upper.startsWith("CHANT_")) {
    return "it is chant-bot's own configuration (CHANT_REDIS_URL, CHANT_ADMIN_PASSWORD, ...)";
  }
  if (upper.includes("REDIS")) {
    return "it could carry the queue's Redis credentials";
  }
  return undefined;
}

/**
 * The names listed in `CHANT_AGENT_ENV` (comma- or whitespace-separated),
 * validated: a malformed or refused name is an AgentConfigError.
 */
export function parseAgentEnvNames(list: string | undefined): string[] {
  if (list === undefined) return [];
  const names: string[] = [];
  for (const raw of list.split(/[\s,]+/)) {
    const name = raw.trim();
    if (name === "") continue;
    if (!ENV_NAME.test(name)) {
      throw new AgentConfigError(`CHANT_AGENT_ENV lists "${name}", which is not a variable name`);
    }
    const reason = refusedEnvName(name);
    if (reason !== undefined) {
      throw new AgentConfigError(
        `CHANT_AGENT_ENV lists ${name}, which is never passed to an agent: ${reason}`,
      );
    }
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

function truthy(value: string | undefined): boolean {
  if (value === undefined) return false;
  const v = value.trim().toLowerCase();
  return v !== "" && v !== "0" && v !== "false" && v !== "no";
}

export interface AgentEnvironment {
  /** The child's whole environment. */
  env: Record<string, string>;
  /** Values to redact from the agent's output (its credentials and listed variables). */
  secrets: string[];
}

export interface RunVariables {
  CHANT_PROMPT_FILE: string;
  CHANT_SPEC_PATH: string;
  CHANT_SPEC_ID: string;
}

/**
 * The environment of one agent run. Throws AgentConfigError when a passed
 * variable holds a GitHub token or private key, whatever its name.
 */
export function agentEnvironment(
  agent: AgentName,
  source: NodeJS.ProcessEnv,
  extraNames: readonly string[],
  run: RunVariables,
): AgentEnvironment {
  const passed: PassThrough[] = [];
  if (agent === "claude") {
    passed.push(...CLAUDE_VARS);
    if (truthy(source.CLAUDE_CODE_USE_BEDROCK)) passed.push(...BEDROCK_VARS);
    if (truthy(source.CLAUDE_CODE_USE_VERTEX)) {
      passed.push(...VERTEX_VARS);
      for (const name of Object.keys(source)) {
        if (name.startsWith(VERTEX_PREFIX)) passed.push(plain(name));
      }
    }
  } else if (agent === "codex") {
    passed.push(...CODEX_VARS);
  }
  // A maintainer's own list: we cannot tell what it holds, so redact it all.
  for (const name of extraNames) passed.push(secret(name));

  const extra: Record<string, string> = {};
  const secrets: string[] = [];
  for (const { name, secret: isSecret } of passed) {
    // Defence in depth: the built-in lists never name such variables, and
    // parseAgentEnvNames refuses them, but this is the last gate.
    if (refusedEnvName(name) !== undefined) continue;
    if ((INHERITED_ENV_VARS as readonly string[]).includes(name)) continue;
    const value = source[name];
    if (value === undefined || value === "") continue;
    if (looksLikeCredential(value)) {
      throw new AgentConfigError(
        `${name} holds what looks like a GitHub token or private key; it is not passed to the agent`,
      );
    }
    extra[name] = value;
    if (isSecret) secrets.push(value);
  }
  // In the sandbox claude's telemetry, error reports and update checks can reach nothing
  // (each try is refused and logged by the egress proxy): off, unless the operator says.
  if (agent === "claude" && source.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC === undefined) {
    extra.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = "1";
  }
  // codex reads CODEX_API_KEY only: the documented OPENAI_API_KEY must reach it as that.
  if (agent === "codex" && extra.CODEX_API_KEY === undefined && extra.OPENAI_API_KEY) {
    extra.CODEX_API_KEY = extra.OPENAI_API_KEY;
  }
  // Last, so that nothing listed can override the run's own variables.
  Object.assign(extra, run);
  return { env: childEnv(extra, source), secrets };
}

/**
 * Where an agent's network may go (through the sandbox's egress proxy): its
 * model API (the base URL it is configured with, else the vendor's public
 * endpoint; the cloud's API hosts for Bedrock and Vertex), plus what the
 * operator lists in CHANT_SANDBOX_EGRESS. A `command` agent gets only the
 * latter; none at all means no network.
 */
export function agentNetwork(agent: AgentName, env: NodeJS.ProcessEnv): NetworkPolicy {
  let extra: EgressRule[] | "public";
  const own: EgressRule[] = [];
  try {
    extra = egressFromEnv(env);
    const rule = (entry: string) => own.push(parseEgressRule(entry, agent));
    const fromUrl = (name: string) => {
      const found = ruleForUrl(env[name]?.trim(), name);
      if (found) own.push(found);
      return found !== undefined;
    };
    if (agent === "claude") {
      if (!fromUrl("ANTHROPIC_BASE_URL")) rule("api.anthropic.com:443");
      if (truthy(env.CLAUDE_CODE_USE_BEDROCK)) {
        if (!fromUrl("ANTHROPIC_BEDROCK_BASE_URL")) rule("*.amazonaws.com:443");
      }
      if (truthy(env.CLAUDE_CODE_USE_VERTEX)) {
        if (!fromUrl("ANTHROPIC_VERTEX_BASE_URL")) rule("*.googleapis.com:443");
        rule("oauth2.googleapis.com:443");
      }
    } else if (agent === "codex") {
      if (!fromUrl("OPENAI_BASE_URL")) {
        rule("api.openai.com:443");
        rule("chatgpt.com:443");
      }
    }
  } catch (error) {
    if (error instanceof SandboxConfigError) throw new AgentConfigError(error.message);
    throw error;
  }
  if (extra === "public") return { kind: "egress", allow: "public" };
  const allow = [...own, ...extra];
  return allow.length === 0 ? { kind: "none" } : { kind: "egress", allow };
}
