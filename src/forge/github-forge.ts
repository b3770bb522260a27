import type { Logger } from "pino";
import { fitCheckRunBytes } from "../checks/check-text.js";
import type { ProbotOctokit } from "probot";
import {
  isStatusComment,
  readStatusState,
  renderStatusComment,
  type StatusUpdate,
} from "../pipeline/status/status-comment.js";
import { redactKnownTokens } from "../util/redact.js";
import { MAX_READ_BYTES } from "./local-files.js";
import { GIT_TOKEN_REQUEST } from "./scoped-installation-auth.js";
import type {
  CheckName,
  CheckRunUpdate,
  Forge,
  GitAccess,
  IssueInfo,
  PullRequestDraft,
  PullRequestInfo,
  Reaction,
  ReactionTarget,
  RepoInfo,
} from "./forge.js";
import type { FileRead, RepoFileEntry, RepoFiles } from "./repo-files.js";

export type Octokit = InstanceType<typeof ProbotOctokit>;

/** Serializes writers of one key across processes (a Redis lock in production). */
export interface Mutex {
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export const noMutex: Mutex = { run: (_key, fn) => fn() };

export interface GitHubForgeOptions {
  octokit: Octokit;
  owner: string;
  name: string;
  /** Our GitHub App's id: check runs of other apps are never touched. */
  appId: number | undefined;
  mutex?: Mutex;
  log?: Logger;
  /**
   * Applied to everything this forge writes where people read it (the status
   * comment, the pull request, check runs): the job's secrets in every form
   * and token shapes. The last net under what each step already redacts.
   */
  redact?: (text: string) => string;
}

/** GitHub's limit on annotations per check-run request. */
export const ANNOTATIONS_PER_REQUEST = 50;
/** Blobs read per GraphQL request. */
const BLOBS_PER_QUERY = 50;

export class GitHubForge implements Forge {
  readonly kind = "github" as const;
  private readonly octokit: Octokit;
  private readonly owner: string;
  private readonly name: string;
  private readonly mutex: Mutex;
  private readonly redact: (text: string) => string;
  private repoInfo: Promise<RepoInfo> | undefined;
  private readonly trees = new Map<string, Promise<RepoFileEntry[]>>();
  /** The status comment of each issue or pull request, once found or made by this forge. */
  private readonly statusCommentIds = new Map<number, number>();
  /** Our check runs found or made by this forge (per job): `${sha} ${name}` -> id. */
  private readonly checkRunIds = new Map<string, number>();

  constructor(private readonly options: GitHubForgeOptions) {
    this.octokit = options.octokit;
    this.owner = options.owner;
    this.name = options.name;
    this.mutex = options.mutex ?? noMutex;
    this.redact = options.redact ?? redactKnownTokens;
  }

  private get r() {
    return { owner: this.owner, repo: this.name };
  }

  repo(): Promise<RepoInfo> {
    this.repoInfo ??= this.octokit.rest.repos.get(this.r).then(({ data }) => ({
      owner: data.owner.login,
      name: data.name,
      fullName: data.full_name,
      defaultBranch: data.default_branch,
      cloneUrl: data.clone_url,
      htmlUrl: data.html_url,
    }));
    return this.repoInfo;
  }

  files(ref: string): RepoFiles {
    return {
      label: `${this.owner}/${this.name}@${ref}`,
      list: async (dirs) => {
        const tree = await this.tree(ref);
        return tree.filter((f) => dirs.some((d) => f.path.startsWith(`${d}/`)));
      },
      read: (paths) => this.readBlobs(ref, paths),
    };
  }

  /** One recursive tree listing per ref (GitHub cuts trees of very large repositories; then .chant is listed on its own). */
  private tree(ref: string): Promise<RepoFileEntry[]> {
    let tree = this.trees.get(ref);
    if (!tree) {
      tree = (async () => {
        const { data } = await this.octokit.rest.git.getTree({
          ...this.r,
          tree_sha: ref,
          recursive: "true",
        });
        let entries = data.tree;
        if (data.truncated) {
          const chant = data.tree.find((e) => e.path === ".chant" && e.type === "tree");
          entries = [];
          if (chant?.sha) {
            const sub = await this.octokit.rest.git.getTree({
              ...this.r,
              tree_sha: chant.sha,
              recursive: "true",
            });
            entries = sub.data.tree.map((e) => ({ ...e, path: `.chant/${e.path}` }));
          }
        }
        return entries
          .filter((e) => e.type === "blob" && e.path !== undefined)
          .map((e) => ({ path: e.path!, size: e.size ?? 0 }));
      })();
      this.trees.set(ref, tree);
      tree.catch(() => this.trees.delete(ref));
    }
    return tree;
  }

  /** Read blobs in batches through GraphQL: one request for up to 50 files. */
  private async readBlobs(ref: string, paths: readonly string[]): Promise<Map<string, FileRead>> {
    const out = new Map<string, FileRead>();
    const sizes = new Map((await this.tree(ref)).map((e) => [e.path, e.size]));
    const wanted: string[] = [];
    for (const path of new Set(paths)) {
      const size = sizes.get(path);
      if (size === undefined) out.set(path, { kind: "missing", path });
      else if (size > MAX_READ_BYTES) out.set(path, { kind: "too_large", path, size });
      else wanted.push(path);
    }
    for (let i = 0; i < wanted.length; i += BLOBS_PER_QUERY) {
      const batch = wanted.slice(i, i + BLOBS_PER_QUERY);
      const variables: Record<string, string> = { owner: this.owner, name: this.name };
      batch.forEach((path, j) => (variables[`e${j}`] = `${ref}:${path}`));
      const query = `query(${["$owner: String!", "$name: String!", ...batch.map((_, j) => `$e${j}: String!`)].join(", ")}) {
  repository(owner: $owner, name: $name) {
${batch.map((_, j) => `    f${j}: object(expression: $e${j}) { ... on Blob { byteSize isBinary isTruncated text } }`).join("\n")}
  }
}`;
      const result = await this.octokit.graphql<{
        repository: Record<
          string,
          { byteSize: number; isBinary: boolean; isTruncated: boolean; text: string | null } | null
        >;
      }>(query, variables);
      batch.forEach((path, j) => {
        const blob = result.repository[`f${j}`];
        if (!blob) out.set(path, { kind: "missing", path });
        else if (blob.isBinary || blob.text === null) out.set(path, { kind: "binary", path });
        else if (blob.isTruncated) out.set(path, { kind: "too_large", path, size: blob.byteSize });
        else out.set(path, { kind: "text", path, text: blob.text });
      });
    }
    return out;
  }

  async issue(number: number): Promise<IssueInfo> {
    const { data } = await this.octokit.rest.issues.get({ ...this.r, issue_number: number });
    return {
      number: data.number,
      title: data.title,
      body: data.body ?? "",
      url: data.html_url,
      isPullRequest: data.pull_request !== undefined,
    };
  }

  async pullRequest(number: number): Promise<PullRequestInfo> {
    const { data } = await this.octokit.rest.pulls.get({ ...this.r, pull_number: number });
    return {
      number: data.number,
      title: data.title,
      body: data.body ?? "",
      url: data.html_url,
      headRef: data.head.ref,
      headSha: data.head.sha,
      baseRef: data.base.ref,
      baseSha: data.base.sha,
      fromFork: data.head.repo?.full_name !== data.base.repo.full_name,
    };
  }

  async pullRequestFiles(number: number): Promise<string[]> {
    const files = await this.octokit.paginate(this.octokit.rest.pulls.listFiles, {
      ...this.r,
      pull_number: number,
      per_page: 100,
    });
    return files.filter((f) => f.status !== "removed").map((f) => f.filename);
  }

  ensureStatusComment(target: number, update: StatusUpdate): Promise<{ url: string | undefined }> {
    return this.mutex.run(`status:${this.owner}/${this.name}#${target}`, async () => {
      // Read it again under the lock every time (the web process may have added a notice),
      // by id once known: one request however many comments the issue has.
      const existing = await this.findStatusComment(target);
      const body = this.redact(renderStatusComment(update(readStatusState(existing?.body))));
      if (existing) {
        if (existing.body === body) return { url: existing.html_url };
        const { data } = await this.octokit.rest.issues.updateComment({
          ...this.r,
          comment_id: existing.id,
          body,
        });
        return { url: data.html_url };
      }
      const { data } = await this.octokit.rest.issues.createComment({
        ...this.r,
        issue_number: target,
        body,
      });
      this.statusCommentIds.set(target, data.id);
      return { url: data.html_url };
    });
  }

  private async findStatusComment(
    target: number,
  ): Promise<{ id: number; body?: string | undefined; html_url: string } | undefined> {
    const known = this.statusCommentIds.get(target);
    if (known !== undefined) {
      try {
        const { data } = await this.octokit.rest.issues.getComment({
          ...this.r,
          comment_id: known,
        });
        return data;
      } catch (error) {
        // Deleted meanwhile: look for it (or make it) again.
        if ((error as { status?: number }).status !== 404) throw error;
        this.statusCommentIds.delete(target);
      }
    }
    const comments = await this.octokit.paginate(this.octokit.rest.issues.listComments, {
      ...this.r,
      issue_number: target,
      per_page: 100,
    });
    const found = comments.find((c) => isStatusComment(c.body) && this.isOurs(c));
    if (found) this.statusCommentIds.set(target, found.id);
    return found;
  }

  /**
   * Whether a comment was written by this app: the marker alone proves
   * nothing (anyone, another app included, can paste it), so a status comment
   * is adopted only when GitHub says this App made it. Without an app id
   * (tools and tests only: every served process has APP_ID) a comment by any
   * bot or app is taken, as before; a person's never is.
   */
  private isOurs(comment: {
    user?: { type?: string } | null;
    performed_via_github_app?: { id?: number } | null;
  }): boolean {
    const { appId } = this.options;
    if (appId !== undefined) return comment.performed_via_github_app?.id === appId;
    return comment.user?.type === "Bot" || comment.performed_via_github_app != null;
  }

  async react(target: ReactionTarget, reaction: Reaction): Promise<void> {
    if ("comment" in target) {
      await this.octokit.rest.reactions.createForIssueComment({
        ...this.r,
        comment_id: target.comment,
        content: reaction,
      });
    } else {
      await this.octokit.rest.reactions.createForIssue({
        ...this.r,
        issue_number: target.issue,
        content: reaction,
      });
    }
  }

  async gitAccess(): Promise<GitAccess> {
    const { cloneUrl } = await this.repo();
    // A token of its own for git, which puts it in git's environment: with the worker's
    // scoped auth (scoped-installation-auth.ts) it reaches this repository's contents only.
    const { token } = (await this.octokit.auth(GIT_TOKEN_REQUEST)) as { token: string };
    const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
    const origin = new URL(cloneUrl).origin;
    return {
      url: cloneUrl,
      // Given to each git command through its environment: never in argv, never in .git/config.
      env: {
        GIT_CONFIG_COUNT: "1",
        GIT_CONFIG_KEY_0: `http.${origin}/.extraHeader`,
        GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
      },
      secrets: [token, basic],
    };
  }

  async ensurePullRequest(
    draft: PullRequestDraft,
  ): Promise<{ number: number; url: string; created: boolean }> {
    const pr = { ...draft, title: this.redact(draft.title), body: this.redact(draft.body) };
    const find = async () => {
      const { data } = await this.octokit.rest.pulls.list({
        ...this.r,
        head: `${this.owner}:${pr.head}`,
        state: "open",
        per_page: 10,
      });
      return data[0];
    };
    const existing = await find();
    if (existing) {
      if (existing.title !== pr.title || (existing.body ?? "") !== pr.body) {
        await this.octokit.rest.pulls.update({
          ...this.r,
          pull_number: existing.number,
          title: pr.title,
          body: pr.body,
        });
      }
      return { number: existing.number, url: existing.html_url, created: false };
    }
    try {
      const { data } = await this.octokit.rest.pulls.create({ ...this.r, ...pr });
      return { number: data.number, url: data.html_url, created: true };
    } catch (error) {
      // Another attempt opened it between our look and our create.
      const raced = (error as { status?: number }).status === 422 ? await find() : undefined;
      if (raced) return { number: raced.number, url: raced.html_url, created: false };
      throw error;
    }
  }

  async requestReview(prNumber: number, logins: string[]): Promise<void> {
    if (logins.length === 0) return;
    try {
      await this.octokit.rest.pulls.requestReviewers({
        ...this.r,
        pull_number: prNumber,
        reviewers: logins,
      });
    } catch (error) {
      // A reviewer who cannot be requested (no access any more) must not fail the job.
      this.options.log?.warn({ err: error, logins }, "could not request review");
    }
  }

  async ensureCheckRun(headSha: string, name: CheckName, update: CheckRunUpdate): Promise<void> {
    const key = `${headSha} ${name}`;
    let known = this.checkRunIds.get(key);
    if (known === undefined) {
      const { data } = await this.octokit.rest.checks.listForRef({
        ...this.r,
        ref: headSha,
        check_name: name,
        filter: "latest",
        ...(this.options.appId === undefined ? {} : { app_id: this.options.appId }),
      });
      known = data.check_runs.find((run) => run.head_sha === headSha)?.id;
    }
    const annotations = (update.annotations ?? []).map((a) => ({
      ...a,
      message: this.redact(a.message),
      ...(a.title === undefined ? {} : { title: this.redact(a.title) }),
    }));
    const title = this.redact(update.title ?? name);
    const summary = fitCheckRunBytes(this.redact(update.summary ?? ""));
    const first = annotations.slice(0, ANNOTATIONS_PER_REQUEST);
    const body = {
      status: update.status,
      ...(update.conclusion ? { conclusion: update.conclusion } : {}),
      ...(update.startedAt ? { started_at: update.startedAt } : {}),
      ...(update.completedAt ? { completed_at: update.completedAt } : {}),
      ...(update.title || update.summary
        ? {
            output: {
              title,
              summary,
              ...(update.text ? { text: fitCheckRunBytes(this.redact(update.text)) } : {}),
              ...(first.length ? { annotations: first } : {}),
            },
          }
        : {}),
    };
    let id: number;
    if (known !== undefined) {
      await this.octokit.rest.checks.update({ ...this.r, check_run_id: known, ...body });
      id = known;
    } else {
      const created = await this.octokit.rest.checks.create({
        ...this.r,
        name,
        head_sha: headSha,
        ...body,
      });
      id = created.data.id;
    }
    this.checkRunIds.set(key, id);
    // GitHub takes 50 annotations per request and appends them across updates.
    for (let i = ANNOTATIONS_PER_REQUEST; i < annotations.length; i += ANNOTATIONS_PER_REQUEST) {
      await this.octokit.rest.checks.update({
        ...this.r,
        check_run_id: id,
        output: {
          title,
          summary,
          annotations: annotations.slice(i, i + ANNOTATIONS_PER_REQUEST),
        },
      });
    }
  }
}
