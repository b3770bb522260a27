import type { RepoConfig } from "../domain/repo-config.js";
import type { CheckConclusion, CheckName } from "../domain/checks.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import type { Annotation } from "../domain/checks.js";

/** What the checks engine reads of `checks:` (the fork policy is the caller's business). */
export type ChecksCommands = Pick<
  RepoConfig["checks"],
  "setup" | "reproduction" | "tests" | "lint" | "format" | "timeout_minutes"
> &
  Partial<Pick<RepoConfig["checks"], "setup_network">>;

export interface ChecksInput {
  /** A git checkout at the head commit to check. */
  workspace: string;
  /** Where every command runs (src/sandbox/): the checkout writable, its `.git` not, no secrets. */
  sandbox: Sandbox;
  /** The job's directory for the sandbox's own files (and the base checkout, made in it). */
  privateDir: string;
  /** The checkouts are the job's own clones (true), not a person's checkout (`chant-bot check`). */
  ownsCheckouts: boolean;
  /** The commit the reproduction runs on first ("before"); undefined = no base known. */
  baseSha?: string | undefined;

  reproductionTests: readonly string[];
  config: ChecksCommands;
  /** Allow-listed environment for the commands (no GitHub token); build it with childEnv. */
  env: Record<string, string>;
  redact: (text: string) => string;
  signal?: AbortSignal;
  /** Only these checks (a re-run of one); others are not run and not reported. */
  only?: readonly CheckName[];
  onStart?: (name: CheckName, startedAt: string) => void | Promise<void>;
  /** Each result as soon as it is known (before runChecks resolves). */
  onComplete?: (result: CheckResult) => void | Promise<void>;
  /** Per-command time limit overriding `config.timeout_minutes` (tests use milliseconds). */
  timeoutMs?: number;
  /** Bound on each command's captured output (default: the process runner's 1 MiB). */
  maxOutputBytes?: number;
}

export interface CheckResult {
  name: CheckName;
  conclusion: CheckConclusion;
  /** The result in words, e.g. "Reproduction test failed on base, passes on head". */
  title: string;
  /** Markdown: command, duration, exit code, what it means; at most 65,535 characters. */
  summary: string;
  /** The tail of the (redacted) output in a fence; at most 65,535 characters, with a note when cut. */
  text: string;
  /** Lint and format only: every annotation read from the output, paths relative to the repository. */
  annotations: Annotation[];
  startedAt: string;
  completedAt: string;
  durationMs: number;
}
