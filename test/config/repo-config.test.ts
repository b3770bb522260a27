import { describe, expect, it } from "vitest";
import {
  ConfigError,
  DEFAULT_CONFIG,
  parseRepoConfig,
  validateRepoConfig,
} from "../../src/domain/repo-config.js";

const WHERE = "octo/repo:.github/chant.yml@main";

function problems(text: string) {
  try {
    parseRepoConfig(text, WHERE);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("repo config", () => {
  it("has sensible defaults for an empty or missing file", () => {
    expect(parseRepoConfig("", WHERE)).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG).toEqual({
      label: "chant:implement",
      spec_status: "pending",
      checks: { timeout_minutes: 15, setup_network: false, fork_pull_requests: "refuse" },
      agent: { max_turns: 60, timeout_minutes: 45 },
      pr: { draft: true, allow_workflow_changes: false },
      approval: { required: false, separate_approver: false, label: "chant:plan" },
    });
  });

  it("reads every documented key", () => {
    const config = parseRepoConfig(
      [
        "label: fix-it",
        "spec_status: paused",
        "checks:",
        "  setup: npm ci",
        "  reproduction: npm test -- {tests}",
        "  tests: npm test",
        "  lint: npm run lint",
        "  format: npm run format:check",
        "  timeout_minutes: 20",
        "agent:",
        "  model: sonnet",
        "  max_turns: 30",
        "  timeout_minutes: 60",
        "pr:",
        "  draft: false",
        "approval:",
        "  required: true",
        "  separate_approver: true",
        "  label: plan-first",
      ].join("\n"),
      WHERE,
    );
    expect(config.checks.reproduction).toBe("npm test -- {tests}");
    expect(config.agent).toEqual({ model: "sonnet", max_turns: 30, timeout_minutes: 60 });
    expect(config.pr.draft).toBe(false);
    expect(config.approval).toEqual({
      required: true,
      separate_approver: true,
      label: "plan-first",
    });
  });

  it("names a mistyped approval key and a non-boolean with their lines", () => {
    const error = problems("approval:\n  requierd: true\n  separate_approver: yes please\n");
    expect(error.problems.map((p) => [p.key, p.line])).toEqual([
      ["approval.requierd", 2],
      ["approval.separate_approver", 3],
    ]);
  });

  it("refuses spec_status ready with the reason, naming file, line and key", () => {
    const error = problems("label: x\nspec_status: ready\n");
    expect(error.problems).toEqual([
      {
        key: "spec_status",
        line: 2,
        message:
          "`ready` is refused: chant's state machine does not move a spec from ready to in_progress; use `pending`",
      },
    ]);
    expect(error.message).toMatch(
      /^octo\/repo:\.github\/chant\.yml@main is invalid:\n- line 2: `spec_status` `ready` is refused/,
    );
  });

  it("names unknown keys (typos) and wrong types with their lines", () => {
    const error = problems(
      "checks:\n  test: npm test\n  timeout_minutes: soon\nagent:\n  max_turns: 0\n",
    );
    expect(error.problems.map((p) => [p.key, p.line])).toEqual([
      ["checks.test", 2],
      ["checks.timeout_minutes", 3],
      ["agent.max_turns", 5],
    ]);
  });

  it("reports YAML syntax errors and non-mappings", () => {
    expect(problems("checks: [oops\n").problems[0]!.message).toMatch(/is not valid YAML/);
    expect(problems("- a\n").problems[0]!.message).toMatch(/must be a mapping/);
  });

  it("validates what Probot's context.config returns, ignoring _extends", () => {
    expect(validateRepoConfig({ _extends: ".github", label: "go" }, WHERE).label).toBe("go");
    expect(validateRepoConfig(null, WHERE)).toEqual(DEFAULT_CONFIG);
  });
});
