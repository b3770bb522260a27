import { basename, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { git } from "../../process/git.js";
import {
  ENDED_PHASES,
  formatDuration,
  STEP_TITLES,
  type StatusState,
  type StatusUpdate,
} from "../../domain/status.js";
import type {
  Forge,
  GitAccess,
  IssueInfo,
  PullRequestDraft,
  PullRequestInfo,
  RepoInfo,
} from "../forge.js";
import type { CheckRunName, CheckRunUpdate } from "../../domain/checks.js";
import { LocalFiles } from "../../process/local-files.js";
import type { RepoFiles } from "../../domain/repo-files.js";
import type { LoadedConfig } from "../../domain/repo-config.js";
import { loadLocalConfig } from "./local-config.js";

export interface LocalForgeOptions {
  /** The checkout. */
  dir: string;
  /** The issue's title, when the user gave one (there is no GitHub to ask). */
  issueTitle?: string | undefined;
  issueBody?: string | undefined;
  /** Where progress and results go (stderr lines for a person). */
  print: (line: string) => void;
  /** A terminal: marks and a line when each step starts; else plain lines as steps end. */
  isTTY?: boolean;
}

const STEP_MARKS: Record<string, string> = { running: "…", done: "✔", failed: "✖", skipped: "↷" };

/**
 * The forge of `chant-bot implement`: a checkout on disk. Files are read
 * from the working tree, the fix branch is pushed back into the checkout,
 * and what would go to GitHub (status, pull request, check runs) is printed.
 */
export class LocalForge implements Forge {
  readonly kind = "local" as const;
  readonly dir: string;
  private state: StatusState | undefined;
  private printedSteps = new Map<string, string>();
  /** The pull request that would have been opened. */
  pullRequestDraft: PullRequestDraft | undefined;
  readonly checkRuns = new Map<CheckRunName, CheckRunUpdate>();

  constructor(private readonly options: LocalForgeOptions) {
    this.dir = resolve(options.dir);
  }

  private config: Promise<LoadedConfig> | undefined;

  repoConfig(): Promise<LoadedConfig> {
    this.config ??= loadLocalConfig(this.dir).then((config) => ({ config, sha: null }));
    return this.config;
  }

  async repo(): Promise<RepoInfo> {
    const branch = (
      await git(["symbolic-ref", "--short", "-q", "HEAD"], {
        cwd: this.dir,
        redact: (t) => t,
        // eslint-disable-next-line no-restricted-syntax -- -q: its only failure is a detached HEAD, no branch
      }).catch(() => "")
    ).trim();
    return {
      owner: "local",
      name: basename(this.dir),
      fullName: basename(this.dir),
      defaultBranch: branch || "HEAD",
      // file:// so that git clones it shallow like a remote.
      cloneUrl: pathToFileURL(this.dir).href,
      htmlUrl: undefined,
    };
  }

  files(_ref: string): RepoFiles {
    return new LocalFiles(this.dir);
  }

  async issue(number: number): Promise<IssueInfo> {
    return {
      number,
      title: this.options.issueTitle ?? "",
      body: this.options.issueBody ?? "",
      url: undefined,
      isPullRequest: false,
    };
  }

  async pullRequest(number: number): Promise<PullRequestInfo> {
    throw new Error(`pull request #${number}: a local run has no pull requests; use --issue`);
  }

  async pullRequestFiles(): Promise<string[]> {
    return [];
  }

  async ensureStatusComment(
    _target: number,
    update: StatusUpdate,
  ): Promise<{ url: string | undefined }> {
    const next = update(this.state);
    const previous = this.state;
    this.state = next;
    const tty = this.options.isTTY ?? false;
    for (const step of next.steps) {
      if (step.state === "pending" || (step.state === "running" && !tty)) continue;
      const mark = tty ? STEP_MARKS[step.state] : `${step.state}:`;
      const time = step.ms === undefined ? "" : ` (${formatDuration(step.ms)})`;
      const line = `${mark} ${STEP_TITLES[step.name]}${time}${step.note ? `: ${step.note.replace(/`/g, "")}` : ""}`;
      if (this.printedSteps.get(step.name) !== line) {
        this.printedSteps.set(step.name, line);
        this.options.print(line);
      }
    }
    if (ENDED_PHASES.has(next.phase) && previous?.headline !== next.headline) {
      this.options.print(`chant-bot: ${next.headline.replace(/`/g, "")}`);
      for (const line of next.details) this.options.print(`  ${line}`);
    }
    if (next.notice && next.notice !== previous?.notice) this.options.print(`  ${next.notice}`);
    return { url: undefined };
  }

  /** The last status, as the status comment would show it. */
  get status(): StatusState | undefined {
    return this.state;
  }

  async react(): Promise<void> {}

  async gitAccess(): Promise<GitAccess> {
    return { url: (await this.repo()).cloneUrl, env: {}, secrets: [] };
  }

  async ensurePullRequest(
    pr: PullRequestDraft,
  ): Promise<{ number: number; url: string; created: boolean }> {
    this.pullRequestDraft = pr;
    return { number: 0, url: `branch ${pr.head} in ${this.dir}`, created: true };
  }

  async requestReview(): Promise<void> {}

  async ensureCheckRun(
    _headSha: string,
    name: CheckRunName,
    update: CheckRunUpdate,
  ): Promise<void> {
    this.checkRuns.set(name, update);
    if (update.status === "completed") {
      this.options.print(
        `  ${name}: ${update.conclusion ?? "?"}${update.title ? `: ${update.title}` : ""}`,
      );
    }
  }
}
