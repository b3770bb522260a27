import { z } from "zod";
import { parseYaml, YamlSyntaxError, type YamlDocument } from "../util/yaml.js";

/** Statuses a drafted spec may start in (chant refuses to work a `ready` spec). */
export const DRAFT_STATUSES = ["pending", "paused", "blocked"] as const;
export type DraftStatus = (typeof DRAFT_STATUSES)[number];

/** Where a repository keeps its chant-bot settings, read from its default branch. */
export const CONFIG_PATH = ".github/chant.yml";
/** The same file as Probot's `context.config` names it (relative to `.github/`). */
export const CONFIG_FILE_NAME = "chant.yml";

/** A shell command line of the maintainers' own (run with `sh -c`, never with untrusted text). */
const command = z
  .string()
  .trim()
  .min(1, "must not be empty (leave the key out to skip this check)")
  .max(2000, "is longer than 2000 characters");

const minutes = (max: number) =>
  z.number().int("must be a whole number of minutes").min(1).max(max);

export const repoConfigSchema = z
  .object({
    /** The issue label that starts an implementation. */
    label: z.string().trim().min(1).max(50).default("chant:implement"),
    /**
     * Status a drafted spec starts in. chant refuses to work a `ready` spec
     * (readiness is `pending` plus satisfied depends_on), so `ready` is refused here.
     */
    spec_status: z
      .enum(DRAFT_STATUSES, {
        error: (issue) =>
          issue.input === "ready"
            ? "`ready` is refused: chant's state machine does not move a spec from ready to in_progress; use `pending`"
            : `must be one of ${DRAFT_STATUSES.join(", ")}`,
      })
      .default("pending"),
    checks: z
      .object({
        /** Run once in the checkout before the checks, e.g. `npm ci`. */
        setup: command.optional(),
        /** Runs the reproduction test(s); `{tests}` becomes their shell-quoted paths. */
        reproduction: command.optional(),
        /** The full test suite. */
        tests: command.optional(),
        lint: command.optional(),
        /** A format check that fails on unformatted files, e.g. `npm run format:check`. */
        format: command.optional(),
        /** Wall-clock limit for each command. */
        timeout_minutes: minutes(180).default(15),
        /**
         * Give `setup` network access (public hosts only, through the sandbox's
         * egress proxy) to install dependencies. The checks themselves never get any.
         */
        setup_network: z.boolean().default(false),
        /**
         * Pull requests from forks: `refuse` (the default) runs none of their
         * code; `run` runs the checks in the sandbox with no network at all.
         */
        fork_pull_requests: z.enum(["refuse", "run"]).default("refuse"),
      })
      .strict()
      .default({ timeout_minutes: 15, setup_network: false, fork_pull_requests: "refuse" }),
    agent: z
      .object({
        /** Model name handed to the agent CLI (claude: `--model`, codex: `--model`). */
        model: z
          .string()
          .regex(/^[A-Za-z0-9._:/-]{1,100}$/, "must be a model name such as `sonnet`")
          .optional(),
        /** Upper bound on agent turns, where the agent supports one. */
        max_turns: z.number().int().min(1).max(1000).default(60),
        /** Wall-clock limit for the agent; it is killed (whole process group) after it. */
        timeout_minutes: minutes(24 * 60).default(45),
      })
      .strict()
      .default({ max_turns: 60, timeout_minutes: 45 }),
    pr: z
      .object({
        /** Open the fix pull request as a draft. */
        draft: z.boolean().default(true),
        /** Push a diff that touches `.github/workflows/` (refused by default). */
        allow_workflow_changes: z.boolean().default(false),
      })
      .strict()
      .default({ draft: true, allow_workflow_changes: false }),
    /**
     * chant's approval gate: the drafted spec is pushed alone, with
     * `approval: {required: true, status: pending}`, and no agent runs until
     * `/chant approve`.
     */
    approval: z
      .object({
        /** Every implementation waits for approval (else only those asked with the plan label or `/chant plan`). */
        required: z.boolean().default(false),
        /** The person who asked for the plan may not approve it: two people on every agent run. */
        separate_approver: z.boolean().default(false),
        /** The issue label that asks for a plan to approve (`/chant plan` does the same). */
        label: z.string().trim().min(1).max(50).default("chant:plan"),
      })
      .strict()
      .default({ required: false, separate_approver: false, label: "chant:plan" }),
  })
  .strict();

export type RepoConfig = z.output<typeof repoConfigSchema>;

export const DEFAULT_CONFIG: RepoConfig = repoConfigSchema.parse({});

export interface ConfigProblem {
  /** `checks.timeout_minutes` */
  key: string;
  line: number | undefined;
  message: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";

  constructor(
    /** `owner/repo:.github/chant.yml@main`, or a local path. */
    readonly where: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `${where} is invalid:\n${problems
        .map(
          (p) => `- ${p.line ? `line ${p.line}: ` : ""}${p.key ? `\`${p.key}\` ` : ""}${p.message}`,
        )
        .join("\n")}`,
    );
  }
}

/**
 * Validate settings already parsed from YAML (Probot's `context.config`
 * result, with `_extends` resolved). `source` is the file's own text, when
 * at hand, to point at lines.
 */
export function validateRepoConfig(data: unknown, where: string, source?: string): RepoConfig {
  let doc: YamlDocument | undefined;
  if (source !== undefined) {
    try {
      doc = parseYaml(source, { numbersAsText: false });
    } catch {
      doc = undefined;
    }
  }
  const input = data ?? {};
  if (typeof input === "object" && input !== null && !Array.isArray(input)) {
    delete (input as Record<string, unknown>)._extends;
  }
  const result = repoConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue): ConfigProblem => {
    const path = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      return {
        key: [...path, issue.keys[0] ?? ""].filter(Boolean).join("."),
        line: doc?.lineOf([...path, issue.keys[0] ?? ""]),
        message: `is not a setting chant-bot knows (check the spelling; see the README for the keys)`,
      };
    }
    return {
      key: path.join("."),
      line: doc?.lineOf(path),
      message: issue.code === "invalid_type" ? `must be a ${issue.expected}` : issue.message,
    };
  });
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  throw new ConfigError(where, problems);
}

/** Parse and validate the text of `.github/chant.yml` (an empty file means all defaults). */
export function parseRepoConfig(text: string, where: string): RepoConfig {
  let data: unknown;
  try {
    data = parseYaml(text, { numbersAsText: false }).data;
  } catch (error) {
    if (error instanceof YamlSyntaxError) {
      throw new ConfigError(where, [
        { key: "", line: error.line, message: `is not valid YAML: ${error.message}` },
      ]);
    }
    throw error;
  }
  if (data !== null && data !== undefined && (typeof data !== "object" || Array.isArray(data))) {
    throw new ConfigError(where, [
      { key: "", line: 1, message: "must be a mapping of settings (`key: value`)" },
    ]);
  }
  return validateRepoConfig(data, where, text);
}

/** The config as a forge read it, with what tells whether it changed since. */
export interface LoadedConfig {
  config: RepoConfig;
  /** The blob id of the repository's own `.github/chant.yml`; null when it has none. */
  sha: string | null;
}
