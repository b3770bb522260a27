import type { Logger } from "pino";
import { fitCheckRunBytes } from "../../domain/checks.js";
import type { Octokit } from "./octokit.js";
import { readRepoConfig } from "./github-config.js";
import {
  CONFIG_PATH,
  ConfigError,
  validateRepoConfig,
  type LoadedConfig,
} from "../../domain/repo-config.js";
import {
  isStatusComment,
  readStatusState,
  renderStatusComment,
  type StatusUpdate,
} from "../../domain/status.js";
import { redactKnownTokens } from "../../util/redact.js";
import { MAX_READ_BYTES } from "../../domain/repo-files.js";
import {
  MemoryStatusCommentStore,
  noMutex,
  type Mutex,
  type StatusCommentRecord,
  type StatusCommentStore,
} from "../status-comment-store.js";
import { GIT_TOKEN_REQUEST } from "./scoped-installation-auth.js";
import type {
  Forge,
  GitAccess,
  IssueInfo,
  PullRequestDraft,
  PullRequestInfo,
  Reaction,
  ReactionTarget,
  RepoInfo,
} from "../forge.js";
import type { CheckRunName, CheckRunUpdate } from "../../domain/checks.js";
import type { FileRead, RepoFileEntry, RepoFiles } from "../../domain/repo-files.js";

export interface GitHubForgeOptions {
  octokit: Octokit;
  /**
   * Reads the config (default: `octokit`). The worker's may also read the
   * owner's `.github` repository, for `_extends`; the forge's own never does.
   */
  configOctokit?: Octokit;
  owner: string;
  name: string;
  /** Our GitHub App's id: check runs of other apps are never touched. */
  appId: number | undefined;
  mutex?: Mutex;
  log?: Logger;
  /** Where status comments are remembered (Redis in the app, shared by web and workers). */
  statusStore?: StatusCommentStore;
  /** What the caller knows already (from a webhook's payload): not asked of GitHub again. */
  known?: {
    repo?: (Omit<RepoInfo, "htmlUrl"> & { htmlUrl?: string | undefined }) | undefined;
    issue?: (Omit<IssueInfo, "url"> & { url?: string | undefined }) | undefined;
    /** The config an earlier reader of this request read, by blob id; see repoConfig(). */
    config?: CarriedConfig | undefined;
  };
  /**
   * Applied to everything this forge writes where people read it (the status
   * comment, the pull request, check runs): the job's secrets in every form
   * and token shapes. The last net under what each step already redacts.
   */
  redact?: (text: string) => string;
}

/** A config read earlier in the job chain, carried in the job data. */
export interface CarriedConfig {
  /** The blob id it was read from; null: the repository has no `.github/chant.yml`. */
  sha: string | null;
  value: unknown;
  /**
   * "tree": used only while the default branch's tree still lists that blob
   * (the implement job lists the tree anyway); "as-read": used as it is (a
   * checks job, queued moments after the read for the same request).
   */
  trust: "tree" | "as-read";
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
  private readonly statusStore: StatusCommentStore;
  private repoInfo: Promise<RepoInfo> | undefined;
  private config: Promise<LoadedConfig> | undefined;
  private readonly issues = new Map<number, IssueInfo>();
  private readonly trees = new Map<string, Promise<RepoFileEntry[]>>();
  /** Our check runs of each commit, listed once per commit and kept as they are made: name -> id. */
  private readonly checkRuns = new Map<string, Promise<Map<string, number>>>();

  constructor(private readonly options: GitHubForgeOptions) {
    this.octokit = options.octokit;
    this.owner = options.owner;
    this.name = options.name;
    this.mutex = options.mutex ?? noMutex;
    this.redact = options.redact ?? redactKnownTokens;
    this.statusStore = options.statusStore ?? new MemoryStatusCommentStore();
    const { repo, issue } = options.known ?? {};
    if (repo) this.repoInfo = Promise.resolve({ ...repo, htmlUrl: repo.htmlUrl });
    if (issue) this.issues.set(issue.number, { ...issue, url: issue.url });
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

  repoConfig(): Promise<LoadedConfig> {
    this.config ??= this.loadConfig().catch((error: unknown) => {
      // An invalid file stays invalid for this forge; a failed read may be tried again.
      if (!(error instanceof ConfigError)) this.config = undefined;
      throw error;
    });
    return this.config;
  }

  /** The carried config while it is still the default branch's file, else a fresh read. */
  private async loadConfig(): Promise<LoadedConfig> {
    const carried = this.options.known?.config;
    if (carried) {
      const current =
        carried.trust === "as-read"
          ? carried.sha
          : ((await this.blobSha((await this.repo()).defaultBranch, CONFIG_PATH)) ?? null);
      if (current === carried.sha) {
        const where = `${this.owner}/${this.name}:${CONFIG_PATH}`;
        return { config: validateRepoConfig(carried.value, where), sha: current };
      }
    }
    return readRepoConfig(this.options.configOctokit ?? this.octokit, this.owner, this.name);
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

  /**
   * The blob id of `path` at `ref` from the ref's tree listing (the listing
   * finding the research makes anyway): whether a file changed, for free.
   * Undefined when there is no such file (or the tree was cut and it is
   * outside `.chant`).
   */
  async blobSha(ref: string, path: string): Promise<string | undefined> {
    return (await this.tree(ref)).find((e) => e.path === path)?.sha;
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
          .map((e) => ({ path: e.path!, size: e.size ?? 0, sha: e.sha }));
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
    const known = this.issues.get(number);
    if (known) return known;
    const { data } = await this.octokit.rest.issues.get({ ...this.r, issue_number: number });
    const issue = {
      number: data.number,
      title: data.title,
      body: data.body ?? "",
      url: data.html_url,
      isPullRequest: data.pull_request !== undefined,
    };
    this.issues.set(number, issue);
    return issue;
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

  /**
   * Under a lock shared by the web process and every worker, the state is
   * read from the store (Redis: no request), rendered again with `update`,
   * and written with ONE request: a PATCH of the known comment, or a create.
   * The comment is looked for on GitHub only when the store cannot say
   * (no record, or a writer died between creating it and recording it), and
   * made again when a PATCH finds it deleted.
   */
  ensureStatusComment(target: number, update: StatusUpdate): Promise<{ url: string | undefined }> {
    const key = `${this.owner}/${this.name}#${target}`;
    return this.mutex.run(`status:${key}`, async () => {
      const stored = await this.statusStore.get(key);
      let record: StatusCommentRecord | undefined;
      if (stored.kind === "known") record = stored.record;
      else if (stored.kind === "creating" || !this.statusStore.authoritative) {
        record = await this.findStatusComment(target);
      }
      const body = this.redact(renderStatusComment(update(readStatusState(record?.body))));
      if (record) {
        if (record.body === body) return { url: record.url };
        try {
          const { data } = await this.octokit.rest.issues.updateComment({
            ...this.r,
            comment_id: record.commentId,
            body,
          });
          await this.statusStore.set(key, { commentId: data.id, body, url: data.html_url });
          return { url: data.html_url };
        } catch (error) {
          // Deleted meanwhile (by a person): make it again.
          if ((error as { status?: number }).status !== 404) throw error;
        }
      }
      await this.statusStore.markCreating(key);
      const { data } = await this.octokit.rest.issues.createComment({
        ...this.r,
        issue_number: target,
        body,
      });
      await this.statusStore.set(key, { commentId: data.id, body, url: data.html_url });
      return { url: data.html_url };
    });
  }

  /** The status comment on GitHub (one listing of the issue's comments), if this App made one. */
  private async findStatusComment(target: number): Promise<StatusCommentRecord | undefined> {
    const comments = await this.octokit.paginate(this.octokit.rest.issues.listComments, {
      ...this.r,
      issue_number: target,
      per_page: 100,
    });
    const found = comments.find((c) => isStatusComment(c.body) && this.isOurs(c));
    return found ? { commentId: found.id, body: found.body ?? "", url: found.html_url } : undefined;
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
      // A plan's pull request opened as a draft becomes the fix's: out of draft when the config says so.
      if (existing.draft && !pr.draft) {
        await this.octokit.graphql(
          "mutation($id: ID!) { markPullRequestReadyForReview(input: { pullRequestId: $id }) { pullRequest { isDraft } } }",
          { id: existing.node_id },
        );
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

  /** Our check runs on `headSha`, by name: ONE listing per commit, then kept as they are made. */
  private checkRunsOf(headSha: string): Promise<Map<string, number>> {
    let runs = this.checkRuns.get(headSha);
    if (!runs) {
      runs = (async () => {
        const found = await this.octokit.paginate(this.octokit.rest.checks.listForRef, {
          ...this.r,
          ref: headSha,
          filter: "latest",
          per_page: 100,
          ...(this.options.appId === undefined ? {} : { app_id: this.options.appId }),
        });
        const byName = new Map<string, number>();
        for (const run of found) {
          if (run.head_sha === headSha && !byName.has(run.name)) byName.set(run.name, run.id);
        }
        return byName;
      })();
      this.checkRuns.set(headSha, runs);
      runs.catch(() => this.checkRuns.delete(headSha));
    }
    return runs;
  }

  async ensureCheckRun(headSha: string, name: CheckRunName, update: CheckRunUpdate): Promise<void> {
    const runs = await this.checkRunsOf(headSha);
    const known = runs.get(name);
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
    runs.set(name, id);
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
