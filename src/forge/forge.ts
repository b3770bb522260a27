import type { CheckRunName, CheckRunUpdate } from "../domain/checks.js";
import type { LoadedConfig } from "../domain/repo-config.js";
import type { StatusUpdate } from "../domain/status.js";
import type { RepoFiles } from "../domain/repo-files.js";

/**
 * Where the repository lives and where results go. The pipeline is written
 * once against this; `github` talks to the API with an installation token,
 * `local` works on a checkout and prints. Every write is an idempotent
 * `ensure*`: found by a stable key, then created or updated, so a job that
 * runs twice leaves one comment, one pull request, one set of check runs.
 */
export interface Forge {
  readonly kind: "github" | "local";
  repo(): Promise<RepoInfo>;
  /**
   * `.github/chant.yml` of the default branch, validated (a ConfigError says
   * what is wrong), read once per forge. Never a pull request's head.
   */
  repoConfig(): Promise<LoadedConfig>;
  /** The repository's files at a ref (branch, tag or sha). */
  files(ref: string): RepoFiles;
  issue(number: number): Promise<IssueInfo>;
  pullRequest(number: number): Promise<PullRequestInfo>;
  /** Paths a pull request adds or changes. */
  pullRequestFiles(number: number): Promise<string[]>;
  /** Find the status comment by its marker and edit it in place (or create it once). */
  ensureStatusComment(target: number, update: StatusUpdate): Promise<{ url: string | undefined }>;
  react(target: ReactionTarget, reaction: Reaction): Promise<void>;
  /** How git reaches the repository: the remote and, for GitHub, a freshly minted token. */
  gitAccess(): Promise<GitAccess>;
  /** Find the pull request by its head branch, then create it or update it. */
  ensurePullRequest(
    pr: PullRequestDraft,
  ): Promise<{ number: number; url: string; created: boolean }>;
  requestReview(prNumber: number, logins: string[]): Promise<void>;
  /** Find the check run by name and head sha, then create it or update it. */
  ensureCheckRun(headSha: string, name: CheckRunName, update: CheckRunUpdate): Promise<void>;
}

export interface RepoInfo {
  owner: string;
  name: string;
  fullName: string;
  defaultBranch: string;
  /** What git clones: the API's `clone_url`, or a directory. */
  cloneUrl: string;
  htmlUrl: string | undefined;
}

export interface IssueInfo {
  number: number;
  title: string;
  body: string;
  url: string | undefined;
  isPullRequest: boolean;
}

export interface PullRequestInfo {
  number: number;
  title: string;
  body: string;
  url: string | undefined;
  headRef: string;
  headSha: string;
  baseRef: string;
  baseSha: string;
  /** The head lives in another repository: its content is not trusted to choose specs or commands. */
  fromFork: boolean;
}

export type Reaction = "eyes" | "rocket" | "confused" | "+1";
export type ReactionTarget = { comment: number } | { issue: number };

export interface GitAccess {
  /** The remote to clone from and push to. */
  url: string;
  /** Environment for every git command (GitHub: an auth header through GIT_CONFIG_*, never in .git/config). */
  env: Record<string, string>;
  /** Strings to redact from any output. */
  secrets: string[];
}

export interface PullRequestDraft {
  head: string;
  base: string;
  title: string;
  body: string;
  draft: boolean;
}
