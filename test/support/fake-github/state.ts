/**
 * The stand-in's in-memory state and how GitHub renders it as JSON. Git data
 * (branches, trees, shas) is never cached here: it is read from the bare
 * repositories when asked, so a push shows up in the API at once.
 */
import { join } from "node:path";
import type { InstallationToken } from "./auth.js";
import { branchSha, git, resolveCommit } from "./git.js";
import { HttpError, isoNow, notFound } from "./http.js";
import type { RequestContext } from "./http.js";

export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";
export type UserType = "User" | "Bot" | "Organization";

export interface UserState {
  id: number;
  login: string;
  type: UserType;
  /** Permission on every repository unless `repoPermissions` says otherwise. */
  permission: Permission;
  repoPermissions: Map<string, Permission>;
}

export interface LabelState {
  id: number;
  name: string;
  color: string;
}

export interface RepoState {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  defaultBranch: string;
  gitDir: string;
  private: boolean;
  parent?: RepoState;
  /** null: the app is not installed on it (e.g. a contributor's fork). */
  installationId: number | null;
  createdAt: string;
  nextNumber: number;
  issues: Map<number, IssueState>;
  labels: Map<string, LabelState>;
}

export interface PullState {
  headRepo: RepoState;
  headRef: string;
  baseRef: string;
  draft: boolean;
  merged: boolean;
  maintainerCanModify: boolean;
  requestedReviewers: string[];
  /** Last head sha seen, kept for when the head branch is deleted. */
  lastHeadSha: string;
}

export interface IssueState {
  id: number;
  number: number;
  repo: RepoState;
  title: string;
  body: string | null;
  user: string;
  labels: string[];
  state: "open" | "closed";
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  pull?: PullState;
}

export interface CommentState {
  id: number;
  repo: RepoState;
  issueNumber: number;
  body: string;
  user: string;
  /** The App whose installation token wrote it (GitHub's `performed_via_github_app`). */
  viaAppId?: number | undefined;
  createdAt: string;
  updatedAt: string;
}

export type ReactionContent =
  "+1" | "-1" | "laugh" | "confused" | "heart" | "hooray" | "rocket" | "eyes";

export const REACTION_CONTENTS: readonly ReactionContent[] = [
  "+1",
  "-1",
  "laugh",
  "confused",
  "heart",
  "hooray",
  "rocket",
  "eyes",
];

export type ReactionTarget =
  { kind: "comment"; commentId: number } | { kind: "issue"; repo: RepoState; number: number };

export interface ReactionState {
  id: number;
  content: ReactionContent;
  user: string;
  createdAt: string;
  target: ReactionTarget;
}

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
  raw_details?: string;
}

export interface CheckRunState {
  id: number;
  repo: RepoState;
  name: string;
  headSha: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  startedAt: string;
  completedAt: string | null;
  externalId: string;
  detailsUrl: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  annotations: Annotation[];
  checkSuiteId: number;
  actions: unknown[];
}

export interface CheckSuiteState {
  id: number;
  repo: RepoState;
  headSha: string;
  createdAt: string;
}

export interface InstallationState {
  id: number;
  account: string;
}

export interface PushRecord {
  repo: string;
  ref: string;
  before: string;
  after: string;
  at: string;
  installationId: number | null;
}

const ZERO_SHA = "0".repeat(40);
export { ZERO_SHA };

const LABEL_COLORS = ["d73a4a", "0075ca", "cfd3d7", "a2eeef", "7057ff", "008672", "e4e669"];

export class Store {
  readonly appSlug = "chant-bot";
  readonly botLogin = "chant-bot[bot]";
  baseUrl = "http://127.0.0.1:0";
  readonly users = new Map<string, UserState>();
  readonly repos = new Map<string, RepoState>();
  readonly installations = new Map<number, InstallationState>();
  readonly tokens = new Map<string, InstallationToken>();
  readonly comments = new Map<number, CommentState>();
  readonly reactions: ReactionState[] = [];
  readonly checkRuns = new Map<number, CheckRunState>();
  readonly checkSuites = new Map<number, CheckSuiteState>();
  readonly pushes: PushRecord[] = [];
  private readonly counters = new Map<string, number>();

  constructor(
    readonly appId: number,
    readonly root: string,
  ) {}

  /** Ids per kind, from distinct bases so that a mixed-up id never finds the wrong thing. */
  nextId(kind: "user" | "repo" | "issue" | "comment" | "reaction" | "check" | "suite" | "label") {
    const bases = {
      user: 10_000,
      repo: 50_000,
      issue: 100_000,
      comment: 200_000,
      reaction: 300_000,
      check: 400_000,
      suite: 500_000,
      label: 600_000,
    };
    const next = (this.counters.get(kind) ?? bases[kind]) + 1;
    this.counters.set(kind, next);
    return next;
  }

  get apiUrl(): string {
    return `${this.baseUrl}/api/v3`;
  }

  gitDirFor(owner: string, name: string): string {
    return join(this.root, "git", owner, `${name}.git`);
  }

  cloneUrl(repo: RepoState): string {
    return `${this.baseUrl}/git/${repo.owner}/${repo.name}.git`;
  }

  // --- users -------------------------------------------------------------

  ensureUser(login: string, type: UserType = "User"): UserState {
    const key = login.toLowerCase();
    let user = this.users.get(key);
    if (!user) {
      user = {
        id: this.nextId("user"),
        login,
        type,
        permission: "none",
        repoPermissions: new Map(),
      };
      this.users.set(key, user);
    }
    return user;
  }

  findUser(login: string): UserState | undefined {
    return this.users.get(login.toLowerCase());
  }

  permissionOf(repo: RepoState, login: string): Permission | null {
    const user = this.findUser(login);
    if (!user) return null;
    const explicit = user.repoPermissions.get(repo.fullName.toLowerCase());
    if (explicit) return explicit;
    if (user.login.toLowerCase() === repo.owner.toLowerCase()) return "admin";
    return user.permission;
  }

  userJson(login: string): Record<string, unknown> {
    const user = this.ensureUser(login, login.endsWith("[bot]") ? "Bot" : "User");
    return {
      login: user.login,
      id: user.id,
      node_id: nodeId("U", user.id),
      avatar_url: `${this.baseUrl}/avatars/u/${user.id}`,
      gravatar_id: "",
      url: `${this.apiUrl}/users/${encodeURIComponent(user.login)}`,
      html_url: `${this.baseUrl}/${encodeURIComponent(user.login)}`,
      type: user.type,
      site_admin: false,
    };
  }

  authorAssociation(repo: RepoState, login: string): string {
    if (login.toLowerCase() === repo.owner.toLowerCase()) return "OWNER";
    const permission = this.permissionOf(repo, login);
    if (permission && permission !== "none" && permission !== "read") return "COLLABORATOR";
    return "NONE";
  }

  // --- repositories ------------------------------------------------------

  findRepo(owner: string, name: string): RepoState | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  repoByRef(ref: RepoRef): RepoState {
    const [owner, name] = typeof ref === "string" ? splitFullName(ref) : [ref.owner, ref.name];
    const repo = this.findRepo(owner, name);
    if (!repo) throw new Error(`fake-github: no repository ${owner}/${name}`);
    return repo;
  }

  /**
   * The repository a request names, if the credential may see it: an
   * installation token sees only its installation's repositories (404 for the
   * rest, as GitHub hides what a token cannot read).
   */
  repoFor(ctx: RequestContext): RepoState {
    const owner = ctx.params.owner ?? "";
    const name = ctx.params.repo ?? "";
    const repo = this.findRepo(owner, name);
    if (!repo) throw notFound();
    if (ctx.auth.kind === "installation" && ctx.auth.installationId !== repo.installationId) {
      throw notFound();
    }
    return repo;
  }

  repoJson(repo: RepoState, options: { withParent?: boolean } = {}): Record<string, unknown> {
    const owner = this.findUser(repo.owner);
    const api = `${this.apiUrl}/repos/${repo.fullName}`;
    const json: Record<string, unknown> = {
      id: repo.id,
      node_id: nodeId("R", repo.id),
      name: repo.name,
      full_name: repo.fullName,
      owner: this.userJson(owner?.login ?? repo.owner),
      private: repo.private,
      visibility: repo.private ? "private" : "public",
      fork: repo.parent !== undefined,
      archived: false,
      disabled: false,
      default_branch: repo.defaultBranch,
      url: api,
      html_url: `${this.baseUrl}/${repo.fullName}`,
      clone_url: this.cloneUrl(repo),
      git_url: `git://127.0.0.1/${repo.fullName}.git`,
      ssh_url: `git@127.0.0.1:${repo.fullName}.git`,
      pulls_url: `${api}/pulls{/number}`,
      issues_url: `${api}/issues{/number}`,
      created_at: repo.createdAt,
      updated_at: repo.createdAt,
      pushed_at: repo.createdAt,
    };
    if (options.withParent && repo.parent) json.parent = this.repoJson(repo.parent);
    return json;
  }

  /** A branch tip, read from the bare repository now (never cached: pushes must show). */
  async headOf(repo: RepoState, branch: string): Promise<string | null> {
    return branchSha(repo.gitDir, branch);
  }

  // --- labels and issues -------------------------------------------------

  label(repo: RepoState, name: string): LabelState {
    const key = name.toLowerCase();
    let label = repo.labels.get(key);
    if (!label) {
      const id = this.nextId("label");
      label = { id, name, color: LABEL_COLORS[id % LABEL_COLORS.length] ?? "ededed" };
      repo.labels.set(key, label);
    }
    return label;
  }

  labelJson(repo: RepoState, name: string): Record<string, unknown> {
    const label = this.label(repo, name);
    return {
      id: label.id,
      node_id: nodeId("LA", label.id),
      url: `${this.apiUrl}/repos/${repo.fullName}/labels/${encodeURIComponent(label.name)}`,
      name: label.name,
      color: label.color,
      default: false,
      description: null,
    };
  }

  issueFor(repo: RepoState, number: number): IssueState {
    const issue = repo.issues.get(number);
    if (!issue) throw notFound();
    return issue;
  }

  issueJson(issue: IssueState): Record<string, unknown> {
    const repo = issue.repo;
    const api = `${this.apiUrl}/repos/${repo.fullName}`;
    const kind = issue.pull ? "pull" : "issues";
    const json: Record<string, unknown> = {
      url: `${api}/issues/${issue.number}`,
      repository_url: api,
      comments_url: `${api}/issues/${issue.number}/comments`,
      html_url: `${this.baseUrl}/${repo.fullName}/${kind}/${issue.number}`,
      id: issue.id,
      node_id: nodeId(issue.pull ? "PR" : "I", issue.id),
      number: issue.number,
      title: issue.title,
      user: this.userJson(issue.user),
      labels: issue.labels.map((name) => this.labelJson(repo, name)),
      state: issue.state,
      locked: false,
      assignee: null,
      assignees: [],
      milestone: null,
      comments: [...this.comments.values()].filter(
        (c) => c.repo === repo && c.issueNumber === issue.number,
      ).length,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_at: issue.closedAt,
      author_association: this.authorAssociation(repo, issue.user),
      body: issue.body,
      reactions: this.reactionSummary({ kind: "issue", repo, number: issue.number }),
    };
    if (issue.pull) {
      json.draft = issue.pull.draft;
      json.pull_request = {
        url: `${api}/pulls/${issue.number}`,
        html_url: `${this.baseUrl}/${repo.fullName}/pull/${issue.number}`,
        diff_url: `${this.baseUrl}/${repo.fullName}/pull/${issue.number}.diff`,
        patch_url: `${this.baseUrl}/${repo.fullName}/pull/${issue.number}.patch`,
        merged_at: null,
      };
    }
    return json;
  }

  addIssue(
    repo: RepoState,
    input: {
      number?: number;
      title: string;
      body?: string | null;
      user: string;
      labels?: string[];
    },
  ): IssueState {
    const number = input.number ?? repo.nextNumber;
    if (repo.issues.has(number))
      throw new Error(`fake-github: #${number} exists in ${repo.fullName}`);
    repo.nextNumber = Math.max(repo.nextNumber, number + 1);
    this.ensureUser(input.user);
    const now = isoNow();
    const issue: IssueState = {
      id: this.nextId("issue"),
      number,
      repo,
      title: input.title,
      body: input.body ?? null,
      user: input.user,
      labels: [...(input.labels ?? [])],
      state: "open",
      createdAt: now,
      updatedAt: now,
      closedAt: null,
    };
    for (const name of issue.labels) this.label(repo, name);
    repo.issues.set(number, issue);
    return issue;
  }

  // --- comments and reactions --------------------------------------------

  addComment(
    repo: RepoState,
    issueNumber: number,
    user: string,
    body: string,
    viaAppId?: number,
  ): CommentState {
    const issue = this.issueFor(repo, issueNumber);
    const now = isoNow();
    const comment: CommentState = {
      id: this.nextId("comment"),
      repo,
      issueNumber,
      body,
      user,
      viaAppId,
      createdAt: now,
      updatedAt: now,
    };
    this.comments.set(comment.id, comment);
    issue.updatedAt = now;
    return comment;
  }

  commentJson(comment: CommentState): Record<string, unknown> {
    const repo = comment.repo;
    const api = `${this.apiUrl}/repos/${repo.fullName}`;
    const issue = repo.issues.get(comment.issueNumber);
    const kind = issue?.pull ? "pull" : "issues";
    return {
      id: comment.id,
      node_id: nodeId("IC", comment.id),
      url: `${api}/issues/comments/${comment.id}`,
      html_url: `${this.baseUrl}/${repo.fullName}/${kind}/${comment.issueNumber}#issuecomment-${comment.id}`,
      issue_url: `${api}/issues/${comment.issueNumber}`,
      body: comment.body,
      user: this.userJson(comment.user),
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      author_association: this.authorAssociation(repo, comment.user),
      performed_via_github_app:
        comment.viaAppId === undefined
          ? null
          : comment.viaAppId === this.appId
            ? this.appJson()
            : { id: comment.viaAppId, slug: `app-${comment.viaAppId}` },
      reactions: this.reactionSummary({ kind: "comment", commentId: comment.id }),
    };
  }

  commentFor(repo: RepoState, id: number): CommentState {
    const comment = this.comments.get(id);
    if (!comment || comment.repo !== repo) throw notFound();
    return comment;
  }

  reactionsOn(target: ReactionTarget): ReactionState[] {
    return this.reactions.filter((r) => sameTarget(r.target, target));
  }

  reactionSummary(target: ReactionTarget): Record<string, unknown> {
    const summary: Record<string, unknown> = { total_count: 0 };
    for (const content of REACTION_CONTENTS) summary[content] = 0;
    for (const reaction of this.reactionsOn(target)) {
      summary[reaction.content] = (summary[reaction.content] as number) + 1;
      summary.total_count = (summary.total_count as number) + 1;
    }
    return summary;
  }

  reactionJson(reaction: ReactionState): Record<string, unknown> {
    return {
      id: reaction.id,
      node_id: nodeId("REA", reaction.id),
      user: this.userJson(reaction.user),
      content: reaction.content,
      created_at: reaction.createdAt,
    };
  }

  // --- pull requests -----------------------------------------------------

  /**
   * GitHub keeps every pull request's head at `refs/pull/N/head` of the base
   * repository (fork commits included), so contents and diffs can be read there.
   */
  async pullHeadSha(issue: IssueState): Promise<string> {
    const pull = issue.pull;
    if (!pull) throw new Error("not a pull request");
    const current = await branchSha(pull.headRepo.gitDir, pull.headRef);
    if (current && current !== pull.lastHeadSha) pull.lastHeadSha = current;
    const pullRef = `refs/pull/${issue.number}/head`;
    const stored = await resolveCommit(issue.repo.gitDir, pullRef);
    if (stored !== pull.lastHeadSha) {
      if (pull.headRepo === issue.repo) {
        await git(["update-ref", pullRef, pull.lastHeadSha], { gitDir: issue.repo.gitDir });
      } else {
        await git(["fetch", "--quiet", pull.headRepo.gitDir, `+${pull.lastHeadSha}:${pullRef}`], {
          gitDir: issue.repo.gitDir,
        });
      }
    }
    return pull.lastHeadSha;
  }

  async pullJson(issue: IssueState): Promise<Record<string, unknown>> {
    const pull = issue.pull;
    if (!pull) throw notFound();
    const repo = issue.repo;
    const api = `${this.apiUrl}/repos/${repo.fullName}`;
    const headSha = await this.pullHeadSha(issue);
    const baseSha = (await branchSha(repo.gitDir, pull.baseRef)) ?? ZERO_SHA;
    const base = {
      label: `${repo.owner}:${pull.baseRef}`,
      ref: pull.baseRef,
      sha: baseSha,
      user: this.userJson(repo.owner),
      repo: this.repoJson(repo),
    };
    const head = {
      label: `${pull.headRepo.owner}:${pull.headRef}`,
      ref: pull.headRef,
      sha: headSha,
      user: this.userJson(pull.headRepo.owner),
      repo: this.repoJson(pull.headRepo),
    };
    return {
      url: `${api}/pulls/${issue.number}`,
      id: issue.id,
      node_id: nodeId("PR", issue.id),
      html_url: `${this.baseUrl}/${repo.fullName}/pull/${issue.number}`,
      diff_url: `${this.baseUrl}/${repo.fullName}/pull/${issue.number}.diff`,
      issue_url: `${api}/issues/${issue.number}`,
      number: issue.number,
      state: issue.state,
      locked: false,
      title: issue.title,
      user: this.userJson(issue.user),
      body: issue.body,
      labels: issue.labels.map((name) => this.labelJson(repo, name)),
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_at: issue.closedAt,
      merged_at: null,
      merged: pull.merged,
      draft: pull.draft,
      maintainer_can_modify: pull.maintainerCanModify,
      requested_reviewers: pull.requestedReviewers.map((login) => this.userJson(login)),
      requested_teams: [],
      head,
      base,
      author_association: this.authorAssociation(repo, issue.user),
    };
  }

  pullFor(repo: RepoState, number: number): IssueState {
    const issue = repo.issues.get(number);
    if (!issue?.pull) throw notFound();
    return issue;
  }

  // --- check runs --------------------------------------------------------

  checkSuiteFor(repo: RepoState, headSha: string): CheckSuiteState {
    for (const suite of this.checkSuites.values()) {
      if (suite.repo === repo && suite.headSha === headSha) return suite;
    }
    const suite: CheckSuiteState = { id: this.nextId("suite"), repo, headSha, createdAt: isoNow() };
    this.checkSuites.set(suite.id, suite);
    return suite;
  }

  appJson(): Record<string, unknown> {
    return {
      id: this.appId,
      slug: this.appSlug,
      node_id: nodeId("A", this.appId),
      name: this.appSlug,
      owner: this.userJson("chant-dev"),
      html_url: `${this.baseUrl}/apps/${this.appSlug}`,
      permissions: APP_PERMISSIONS,
      events: APP_EVENTS,
      created_at: "2026-01-01T00:00:00Z",
      updated_at: "2026-01-01T00:00:00Z",
    };
  }

  checkRunJson(run: CheckRunState): Record<string, unknown> {
    const api = `${this.apiUrl}/repos/${run.repo.fullName}`;
    return {
      id: run.id,
      node_id: nodeId("CR", run.id),
      head_sha: run.headSha,
      external_id: run.externalId,
      url: `${api}/check-runs/${run.id}`,
      html_url: `${this.baseUrl}/${run.repo.fullName}/runs/${run.id}`,
      details_url: run.detailsUrl,
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.startedAt,
      completed_at: run.completedAt,
      output: {
        title: run.output.title,
        summary: run.output.summary,
        text: run.output.text,
        annotations_count: run.annotations.length,
        annotations_url: `${api}/check-runs/${run.id}/annotations`,
      },
      name: run.name,
      check_suite: { id: run.checkSuiteId },
      app: this.appJson(),
      pull_requests: [],
    };
  }

  installationJson(installation: InstallationState): Record<string, unknown> {
    const account = this.findUser(installation.account);
    return {
      id: installation.id,
      account: this.userJson(account?.login ?? installation.account),
      app_id: this.appId,
      app_slug: this.appSlug,
      target_id: account?.id ?? 0,
      target_type: account?.type === "Organization" ? "Organization" : "User",
      repository_selection: "selected",
      permissions: APP_PERMISSIONS,
      events: APP_EVENTS,
      created_at: "2026-01-01T00:00:00Z",
      updated_at: "2026-01-01T00:00:00Z",
      suspended_at: null,
    };
  }

  requireInstallation(ctx: RequestContext): number {
    if (ctx.auth.kind !== "installation")
      throw new HttpError(403, { message: "Resource not accessible by integration" });
    return ctx.auth.installationId;
  }

  /** Who a write is attributed to: the app's bot user for installation tokens. */
  actor(_ctx: RequestContext): string {
    this.ensureUser(this.botLogin, "Bot");
    return this.botLogin;
  }
}

export const APP_PERMISSIONS = {
  checks: "write",
  contents: "write",
  issues: "write",
  metadata: "read",
  pull_requests: "write",
};

export const APP_EVENTS = [
  "check_run",
  "check_suite",
  "issue_comment",
  "issues",
  "pull_request",
  "push",
];

export type RepoRef = string | { owner: string; name: string };

export function splitFullName(fullName: string): [string, string] {
  const slash = fullName.indexOf("/");
  if (slash <= 0) throw new Error(`fake-github: expected owner/name, got ${fullName}`);
  return [fullName.slice(0, slash), fullName.slice(slash + 1)];
}

function sameTarget(a: ReactionTarget, b: ReactionTarget): boolean {
  if (a.kind === "comment" && b.kind === "comment") return a.commentId === b.commentId;
  if (a.kind === "issue" && b.kind === "issue") return a.repo === b.repo && a.number === b.number;
  return false;
}

export function nodeId(prefix: string, id: number): string {
  return Buffer.from(`${prefix}_${id}`).toString("base64");
}
