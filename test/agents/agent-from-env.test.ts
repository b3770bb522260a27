import { describe, expect, it } from "vitest";
import { AGENT_CREDENTIAL_VARS, agentEnvironment } from "../../src/agents/agent-env.js";
import { AgentConfigError, agentFromEnv } from "../../src/agents/agent-from-env.js";
import { claudeArgv } from "../../src/agents/claude.js";
import { codexArgv } from "../../src/agents/codex.js";
import { ANTHROPIC_KEY, CANARY_GITHUB_TOKEN, OPENAI_KEY } from "./agent-test-support.js";

const RUN_VARS = {
  CHANT_PROMPT_FILE: "/tmp/p.md",
  CHANT_SPEC_PATH: ".chant/specs/x.md",
  CHANT_SPEC_ID: "x",
};

function configError(env: NodeJS.ProcessEnv): AgentConfigError {
  try {
    agentFromEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(AgentConfigError);
    return error as AgentConfigError;
  }
  throw new Error("expected an AgentConfigError");
}

describe("agentFromEnv", () => {
  it("picks the agent named by CHANT_AGENT (any case), claude by default", () => {
    expect(agentFromEnv({}).name).toBe("claude");
    expect(agentFromEnv({ CHANT_AGENT: "claude" }).name).toBe("claude");
    expect(agentFromEnv({ CHANT_AGENT: " Codex " }).name).toBe("codex");
    expect(agentFromEnv({ CHANT_AGENT: "command", CHANT_AGENT_COMMAND: "my-agent" }).name).toBe(
      "command",
    );
    // Only a command line configured: that is the agent.
    expect(agentFromEnv({ CHANT_AGENT_COMMAND: "my-agent --fix" }).name).toBe("command");
  });

  it("refuses an unknown CHANT_AGENT", () => {
    expect(configError({ CHANT_AGENT: "gemini" }).message).toBe(
      'CHANT_AGENT is "gemini": it must be one of claude, codex, command',
    );
  });

  it("refuses command without CHANT_AGENT_COMMAND, or one that cannot be split", () => {
    expect(configError({ CHANT_AGENT: "command" }).message).toMatch(
      /^CHANT_AGENT is command but CHANT_AGENT_COMMAND is not set/,
    );
    expect(configError({ CHANT_AGENT: "command", CHANT_AGENT_COMMAND: "   " }).message).toMatch(
      /CHANT_AGENT_COMMAND is not set/,
    );
    expect(
      configError({ CHANT_AGENT: "command", CHANT_AGENT_COMMAND: `my-agent --msg "unclosed` })
        .message,
    ).toBe(
      "CHANT_AGENT_COMMAND cannot be split into arguments: unbalanced double quote at position 15 in command line",
    );
    expect(
      configError({ CHANT_AGENT: "command", CHANT_AGENT_COMMAND: "my-agent 'unclosed" }).message,
    ).toMatch(/unbalanced single quote/);
  });

  it("refuses CHANT_AGENT_ENV names that could carry GitHub or app credentials", () => {
    for (const name of [
      "GITHUB_TOKEN",
      "GH_TOKEN",
      "GH_ENTERPRISE_TOKEN",
      "GITHUB_ENTERPRISE_TOKEN",
      "GITHUB_APP_PRIVATE_KEY",
      "MY_GITHUB_PAT",
      "PRIVATE_KEY",
      "PRIVATE_KEY_PATH",
      "WEBHOOK_SECRET",
      "APP_ID",
      "CHANT_REDIS_URL",
      "CHANT_ADMIN_PASSWORD",
      "REDIS_URL",
    ]) {
      const error = configError({ CHANT_AGENT: "claude", CHANT_AGENT_ENV: `HTTPS_PROXY,${name}` });
      expect(error.message, name).toMatch(
        new RegExp(`^CHANT_AGENT_ENV lists ${name}, which is never passed to an agent: `),
      );
    }
    expect(configError({ CHANT_AGENT_ENV: "GITHUB_TOKEN" }).message).toBe(
      "CHANT_AGENT_ENV lists GITHUB_TOKEN, which is never passed to an agent: it could carry a GitHub token",
    );
    expect(configError({ CHANT_AGENT_ENV: "GOOD, BAD-NAME" }).message).toBe(
      'CHANT_AGENT_ENV lists "BAD-NAME", which is not a variable name',
    );
  });
});

describe("agentEnvironment", () => {
  const parent: NodeJS.ProcessEnv = {
    PATH: "/usr/bin:/bin",
    HOME: "/home/worker",
    LANG: "C.UTF-8",
    NODE_OPTIONS: "--require /evil.js",
    SHELL: "/bin/bash",
    GITHUB_TOKEN: CANARY_GITHUB_TOKEN,
    PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----",
    WEBHOOK_SECRET: "shh-its-a-secret",
    CHANT_REDIS_URL: "redis://:pw@127.0.0.1:6379",
    ANTHROPIC_API_KEY: ANTHROPIC_KEY,
    ANTHROPIC_BASE_URL: "https://gateway.example.com",
    CLAUDE_CODE_OAUTH_TOKEN: "",
    OPENAI_API_KEY: OPENAI_KEY,
    AWS_SECRET_ACCESS_KEY: "aws-secret-0123456789",
    AWS_REGION: "eu-west-1",
    HTTPS_PROXY: "http://proxy.internal:3128",
  };

  it("gives claude the basics, its own credentials and the run variables, nothing else", () => {
    const { env, secrets } = agentEnvironment("claude", parent, [], RUN_VARS);
    expect(env).toEqual({
      PATH: "/usr/bin:/bin",
      HOME: "/home/worker",
      LANG: "C.UTF-8",
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      ANTHROPIC_BASE_URL: "https://gateway.example.com",
      // Telemetry, error reports and update checks would only be refused by the sandbox.
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      ...RUN_VARS,
    });
    expect(secrets).toEqual([ANTHROPIC_KEY]);
    // The operator's own choice is kept (when listed in CHANT_AGENT_ENV), never overridden.
    const own = agentEnvironment(
      "claude",
      { ...parent, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "0" },
      ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"],
      RUN_VARS,
    );
    expect(own.env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC).toBe("0");
  });

  it("passes cloud credentials only to a claude told to use that cloud", () => {
    const bedrock = agentEnvironment(
      "claude",
      { ...parent, CLAUDE_CODE_USE_BEDROCK: "1" },
      [],
      RUN_VARS,
    );
    expect(bedrock.env).toMatchObject({
      CLAUDE_CODE_USE_BEDROCK: "1",
      AWS_REGION: "eu-west-1",
      AWS_SECRET_ACCESS_KEY: "aws-secret-0123456789",
    });
    expect(bedrock.secrets).toContain("aws-secret-0123456789");
    const vertex = agentEnvironment(
      "claude",
      {
        ...parent,
        CLAUDE_CODE_USE_VERTEX: "true",
        CLOUD_ML_REGION: "us-east5",
        ANTHROPIC_VERTEX_PROJECT_ID: "proj",
        VERTEX_REGION_CLAUDE_SONNET_4_5: "europe-west1",
      },
      [],
      RUN_VARS,
    );
    expect(vertex.env).toMatchObject({
      CLOUD_ML_REGION: "us-east5",
      ANTHROPIC_VERTEX_PROJECT_ID: "proj",
      VERTEX_REGION_CLAUDE_SONNET_4_5: "europe-west1",
    });
    expect(vertex.env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
    const off = agentEnvironment(
      "claude",
      { ...parent, CLAUDE_CODE_USE_BEDROCK: "0" },
      [],
      RUN_VARS,
    );
    expect(off.env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
  });

  it("gives codex the OpenAI variables, and the command agent no credentials", () => {
    const codex = agentEnvironment("codex", parent, [], RUN_VARS).env;
    expect(codex.OPENAI_API_KEY).toBe(OPENAI_KEY);
    expect(codex.ANTHROPIC_API_KEY).toBeUndefined();
    const command = agentEnvironment("command", parent, [], RUN_VARS).env;
    expect(Object.keys(command).sort()).toEqual(
      ["HOME", "LANG", "PATH", ...Object.keys(RUN_VARS)].sort(),
    );
    expect(AGENT_CREDENTIAL_VARS.codex).toEqual([
      "OPENAI_API_KEY",
      "CODEX_API_KEY",
      "OPENAI_BASE_URL",
      "CODEX_HOME",
    ]);
  });

  it("adds CHANT_AGENT_ENV names (redacting their values); the run variables always win", () => {
    const { env, secrets } = agentEnvironment("command", parent, ["HTTPS_PROXY"], RUN_VARS);
    expect(env.HTTPS_PROXY).toBe("http://proxy.internal:3128");
    expect(secrets).toEqual(["http://proxy.internal:3128"]);
    const forced = agentEnvironment(
      "command",
      { ...parent, CHANT_SPEC_ID: "forged" },
      ["CHANT_SPEC_ID", "GITHUB_TOKEN"],
      RUN_VARS,
    ).env;
    expect(forced.CHANT_SPEC_ID).toBe("x");
    expect(forced.GITHUB_TOKEN).toBeUndefined();
  });

  it("refuses a variable whose value is a GitHub token or a private key, whatever its name", () => {
    expect(() =>
      agentEnvironment(
        "command",
        { ...parent, INNOCENT: CANARY_GITHUB_TOKEN },
        ["INNOCENT"],
        RUN_VARS,
      ),
    ).toThrow(
      new AgentConfigError(
        "INNOCENT holds what looks like a GitHub token or private key; it is not passed to the agent",
      ),
    );
    expect(() =>
      agentEnvironment(
        "claude",
        { ...parent, ANTHROPIC_AUTH_TOKEN: "-----BEGIN PRIVATE KEY-----\nabc" },
        [],
        RUN_VARS,
      ),
    ).toThrow(/ANTHROPIC_AUTH_TOKEN holds what looks like/);
  });
});

describe("command lines", () => {
  it("claude: print mode, stream-json, model, max turns, no permission prompts", () => {
    expect(claudeArgv({ model: "sonnet", maxTurns: 60 })).toEqual([
      "claude",
      "-p",
      "--output-format",
      "stream-json",
      "--verbose",
      "--model=sonnet",
      "--max-turns",
      "60",
      "--permission-mode",
      "bypassPermissions",
      "--no-session-persistence",
    ]);
    expect(claudeArgv({ maxTurns: 0 })).toEqual([
      "claude",
      "-p",
      "--output-format",
      "stream-json",
      "--verbose",
      "--max-turns",
      "1",
      "--permission-mode",
      "bypassPermissions",
      "--no-session-persistence",
    ]);
  });

  it("codex: exec, JSON events, its own sandbox only outside bubblewrap, base URL as config, prompt from stdin", () => {
    expect(codexArgv({ model: "gpt-5-codex", sandboxKind: "off" })).toEqual([
      "codex",
      "exec",
      "--json",
      "--sandbox",
      "workspace-write",
      "--skip-git-repo-check",
      "--ephemeral",
      "--model=gpt-5-codex",
      "-",
    ]);
    expect(codexArgv({ sandboxKind: "wrapper" })).not.toContain("--model");
    // Inside chant-bot's bubblewrap (no user namespaces) codex's own bubblewrap cannot start;
    // OPENAI_BASE_URL reaches codex only as its openai_base_url config key.
    expect(codexArgv({ sandboxKind: "bubblewrap", baseUrl: " http://127.0.0.1:8788/v1 " })).toEqual(
      [
        "codex",
        "exec",
        "--json",
        "--sandbox",
        "danger-full-access",
        "--skip-git-repo-check",
        "--ephemeral",
        "-c",
        'openai_base_url="http://127.0.0.1:8788/v1"',
        "-",
      ],
    );
  });
});
