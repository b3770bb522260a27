import { ConfigError } from "../domain/repo-config.js";
import { RateLimitedError } from "../domain/errors.js";
import { SpecError } from "../chant-format/spec-error.js";
import { freshStatus, type Phase, type StatusState } from "../domain/status.js";
import { GitError } from "../process/git.js";

/** Every way a run ends short of a pull request, by name. */
export type StopCode =
  | "no_research"
  | "research_not_completed"
  | "invalid_request"
  | "unknown_issue"
  | "config_invalid"
  | "agent_not_started"
  | "agent_failed"
  | "agent_timed_out"
  | "cancelled"
  | "nothing_changed"
  | "workflow_changes_refused"
  | "spec_unreadable"
  | "push_rejected"
  | "secret_in_changes"
  | "symlink_in_path"
  | "agent_changes_unusable"
  | "rate_limited"
  | "moved_after_approval"
  | "plan_invalid"
  | "not_awaiting_approval";

/** A run that stops with an outcome to tell, not a crash. Never retried. */
export class PipelineStop extends Error {
  override readonly name = "PipelineStop";
  constructor(
    readonly code: StopCode,
    readonly headline: string,
    readonly details: string[] = [],
    readonly phase: Phase = "failed",
  ) {
    super(headline);
  }
}

export interface Described {
  phase: Phase;
  headline: string;
  details: string[];
  /** Final: trying again the same way would end the same way. */
  final: boolean;
}

/**
 * The ONE place errors become what a maintainer reads in the status comment
 * (Renovate's pattern): known errors by name, anything else as "unexpected"
 * without internals.
 */
export function describeStop(error: unknown): Described {
  if (error instanceof PipelineStop) {
    return { phase: error.phase, headline: error.headline, details: error.details, final: true };
  }
  if (error instanceof ConfigError) {
    return {
      phase: "refused",
      headline: "the configuration is invalid",
      details: [
        `\`${error.where}\` (on the default branch) is invalid, so nothing was started:`,
        "",
        ...error.problems.map(
          (p) => `- ${p.line ? `line ${p.line}: ` : ""}${p.key ? `\`${p.key}\` ` : ""}${p.message}`,
        ),
        "",
        "Fix the file on the default branch, then ask again.",
      ],
      final: true,
    };
  }
  if (error instanceof SpecError) {
    return {
      phase: "failed",
      headline: "a spec could not be read",
      details: [`\`${error.message}\``],
      final: true,
    };
  }
  if (error instanceof RateLimitedError) {
    return {
      phase: "failed",
      headline: "GitHub kept rate limiting the app",
      details: [`${error.message}. The job will be tried again later.`],
      final: false,
    };
  }
  if (error instanceof GitError) {
    return {
      phase: "failed",
      headline: `git ${error.args[0]} failed`,
      details: ["```text", error.output.trim().slice(-3000), "```"],
      final: false,
    };
  }
  return {
    phase: "failed",
    headline: "an unexpected error stopped the run",
    details: [
      `\`${error instanceof Error ? error.name : "Error"}\`: see the worker's logs. The job will be tried again.`,
    ],
    final: false,
  };
}

/** A stop as the status comment says it, for a caller with no steps to show (the web side, a job refused before it began). */
export function stopStatus(error: unknown): StatusState {
  const { phase, headline, details } = describeStop(error);
  return freshStatus(phase, headline, { details });
}
