import type { Forge, IssueInfo } from "../../forge/forge.js";
import { isNotFound } from "../../domain/errors.js";
import type { RepoFiles } from "../../domain/repo-files.js";
import { PipelineStop } from "../pipeline-stop.js";
import { describeResearchOutcome } from "./describe-outcome.js";
import { findResearchSpec, type ResearchOutcome } from "./find-research-spec.js";

export interface ResearchRequestInput {
  target: number;
  issueNumber?: number | undefined;
  pullRequest?: number | undefined;
  explicitSpec?: string | undefined;
  force: boolean;
}

export interface ResearchForRequest {
  found: Extract<ResearchOutcome, { kind: "found" | "ambiguous" }>;
  issueNumber: number;
  issue: IssueInfo | undefined;
  defaultBranch: string;
  /** The files the research was read from (the PR head for a same-repo PR, else the default branch). */
  files: RepoFiles;
  /** Markdown lines for the status comment. */
  summary: string[];
}

/** The issue a pull request says it fixes (`Fixes #12`, `closes #12`, `issue #12`). */
export function linkedIssue(body: string): number | undefined {
  const match = /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?|issue)\s*:?\s+#(\d{1,9})\b/i.exec(body);
  return match ? Number(match[1]) : undefined;
}

/**
 * Step 1: find the research spec for an issue, or for a pull request (the
 * research PR): specs are read from the PR head when it is in the same
 * repository, from the default branch otherwise (a fork cannot choose specs).
 */
export async function findResearchForRequest(
  forge: Forge,
  request: ResearchRequestInput,
): Promise<ResearchForRequest> {
  const repo = await forge.repo();
  let files = forge.files(repo.defaultBranch);
  const texts: string[] = [];
  let issueNumber = request.issueNumber;
  let pullRequest: { number: number; changedFiles: string[]; fromFork: boolean } | undefined;

  if (request.pullRequest !== undefined) {
    const pr = await forge.pullRequest(request.pullRequest);
    texts.push(pr.body);
    issueNumber ??= linkedIssue(pr.body);
    if (!pr.fromFork) files = forge.files(pr.headSha);
    pullRequest = {
      number: pr.number,
      changedFiles: pr.fromFork ? [] : await forge.pullRequestFiles(pr.number),
      fromFork: pr.fromFork,
    };
  }
  const issue = issueNumber === undefined ? undefined : await forge.issue(issueNumber);
  if (issue) texts.push(issue.body);

  const outcome = await findResearchSpec(files, {
    issueNumber,
    texts,
    explicit: request.explicitSpec,
    pullRequest,
    force: request.force,
    // A local run is read at the command line: its hints name `--spec ID --force`.
    audience: forge.kind === "local" ? "cli" : "comment",
  });
  const text = describeResearchOutcome(outcome);
  if (outcome.kind !== "found" && outcome.kind !== "ambiguous") {
    const code =
      outcome.kind === "not_completed"
        ? "research_not_completed"
        : outcome.kind === "invalid"
          ? "invalid_request"
          : "no_research";
    throw new PipelineStop(code, text.headline, text.details, "refused");
  }
  const number = outcome.issueNumber;
  if (number === undefined) {
    throw new PipelineStop(
      "unknown_issue",
      "could not tell which issue this fixes",
      [
        forge.kind === "local"
          ? "Give the issue number with `--issue N`, or add the label `issue-N` to the research spec."
          : "Add `Fixes #N` to the pull request's description, or the label `issue-N` to the research spec, then ask again.",
      ],
      "refused",
    );
  }
  return {
    found: outcome,
    issueNumber: number,
    // The number a research spec names may be of an issue since deleted: then the
    // PR simply has no issue title. Failing to ask (network, rate limit) is thrown.
    issue: issue ?? (issueNumber === undefined ? await issueIfExists(forge, number) : undefined),
    defaultBranch: repo.defaultBranch,
    files,
    summary: [text.headline, ...text.details],
  };
}

async function issueIfExists(forge: Forge, number: number): Promise<IssueInfo | undefined> {
  try {
    return await forge.issue(number);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
