/**
 * A GitHub stand-in for end-to-end tests: one HTTP server on 127.0.0.1 with
 * the REST endpoints the app uses under `/api/v3`, the app's one GraphQL query
 * under `/api/graphql` (the paths Probot derives from GHE_HOST), and smart-HTTP
 * git under `/git/<owner>/<name>.git` backed by real bare repositories. State
 * lives in memory; git data is always read from disk, so pushes show up at once.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { AuthError, appKeys, credentialOf, newInstallationToken, verifyAppJwt } from "./auth.js";
import type { AuthInfo } from "./auth.js";
import { Faults, Holds, defaultFaultBody } from "./faults.js";
import type {
  ApiKind,
  FaultHandle,
  FaultOptions,
  HoldHandle,
  HoldOptions,
  RequestMatcher,
} from "./faults.js";
import { FIXTURE_AUTHOR, branchSha, git, listRefs, resolveCommit, writeCommit } from "./git.js";
import type { CommitAuthor } from "./git.js";
import { serveGitHttp } from "./git-http-backend.js";
import {
  DEFAULT_BLOB_TEXT_LIMIT,
  UNSUPPORTED,
  answerBlobQuery,
  parseBlobQuery,
} from "./graphql-blobs.js";
import { HttpError, Router, isoNow, notFound } from "./http.js";
import type { Reply, RequestContext } from "./http.js";
import { PayloadBuilder } from "./payloads.js";
import { registerCheckRoutes } from "./routes-checks.js";
import { registerIssueRoutes } from "./routes-issues.js";
import { registerPullRoutes } from "./routes-pulls.js";
import { TOKEN_LIFETIME_MS, registerRepoRoutes } from "./routes-repos.js";
import { Store, ZERO_SHA } from "./state.js";
import type {
  Annotation,
  Permission,
  PushRecord,
  ReactionTarget,
  RepoRef,
  RepoState,
} from "./state.js";
import {
  allows,
  enforceRestScope,
  fullScope,
  requestedScope,
  tokenMayReach,
} from "./token-scope.js";
import type { TokenPermissions, TokenScope } from "./token-scope.js";
import { deliverWebhook } from "./webhooks.js";
import type { DeliverOptions, DeliveryResult } from "./webhooks.js";

export interface FakeGitHubOptions {
  appId?: number;
  /** The installation that repositories join unless `addRepo` says otherwise. */
  installationId?: number;
  webhookSecret?: string;
  /** Where GraphQL `Blob.text` is cut (GitHub: 512,000 bytes). */
  blobTextLimit?: number;
  /** Keep the temporary directory with the bare repositories after stop(), for debugging. */
  keepTempDir?: boolean;
}

export interface AddRepoOptions {
  owner: string;
  name: string;
  /** Seed the default branch with this directory's files (one initial commit by a fixed author). */
  dir?: string;
  /** Seed (or add to the seed) with these files. */
  files?: Record<string, string | Buffer>;
  defaultBranch?: string;
  private?: boolean;
  ownerType?: "User" | "Organization";
  /** Make it a fork of this repository (a copy of its git data, in the same network). */
  forkOf?: RepoRef;
  /** Installation holding it; null = the app is not installed there. Forks default to null. */
  installationId?: number | null;
}

export interface RepoHandle {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  defaultBranch: string;
  gitDir: string;
  cloneUrl: string;
  installationId: number | null;
  /** Tip of the default branch after seeding, or null for an empty repository. */
  headSha: string | null;
}

export interface RecordedRequest {
  method: string;
  /** REST paths without `/api/v3`; `/api/graphql`; `/git/...` for git. */
  path: string;
  query: string;
  api: ApiKind;
  /** 0 until the response is sent. */
  status: number;
  auth: AuthInfo["kind"];
  installationId: number | null;
  token: string | null;
  /** Answered by failNext. */
  injected: boolean;
  /** False for a REST path the stand-in does not implement (the app called something new). */
  routed: boolean;
  /** The JSON body of a REST or GraphQL request (a retry sends the same one). */
  body?: unknown;
  at: number;
  durationMs: number;
}

export interface UserJson {
  login: string;
  id: number;
  type: string;
}

export interface CommentJson {
  id: number;
  body: string;
  user: UserJson;
  html_url: string;
  created_at: string;
  updated_at: string;
}

export interface ReactionJson {
  id: number;
  content: string;
  user: UserJson;
}

export interface PullJson {
  number: number;
  id: number;
  state: "open" | "closed";
  title: string;
  body: string | null;
  draft: boolean;
  html_url: string;
  user: UserJson;
  requested_reviewers: UserJson[];
  head: { ref: string; sha: string; label: string; repo: { full_name: string; clone_url: string } };
  base: { ref: string; sha: string; repo: { full_name: string; clone_url: string } };
}

export interface CheckRunJson {
  id: number;
  name: string;
  head_sha: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  details_url: string | null;
  external_id: string;
  started_at: string;
  completed_at: string | null;
  output: {
    title: string | null;
    summary: string | null;
    text: string | null;
    annotations_count: number;
  };
  /** Every annotation sent, across all requests (not in GitHub's JSON; for assertions). */
  annotations: Annotation[];
}

const FAKE_HEADERS = {
  "x-ratelimit-limit": "5000",
  "x-ratelimit-remaining": "4999",
  "x-ratelimit-used": "1",
  "x-ratelimit-resource": "core",
  "x-github-api-version-selected": "2022-11-28",
  "x-github-media-type": "github.v3; format=json",
};

const MAX_BODY_BYTES = 25 * 1024 * 1024;

export class FakeGitHub {
  readonly appId: number;
  readonly installationId: number;
  readonly webhookSecret: string;
  readonly privateKey: string;
  readonly root: string;
  /** Builders of webhook payloads consistent with this stand-in's state. */
  readonly payloads: PayloadBuilder;
  /** Errors thrown inside the stand-in itself (answered 500); a test may assert there are none. */
  readonly errors: Error[] = [];

  private readonly store: Store;
  private readonly router = new Router();
  private readonly faults = new Faults();
  private readonly holds = new Holds();
  private readonly recorded: RecordedRequest[] = [];
  private readonly server: Server;
  private readonly options: FakeGitHubOptions;
  private port = 0;
  private indexCounter = 0;

  constructor(options: FakeGitHubOptions = {}) {
    this.options = options;
    this.appId = options.appId ?? 4242;
    this.installationId = options.installationId ?? 7_000_001;
    this.webhookSecret = options.webhookSecret ?? "fake-github-webhook-secret";
    this.privateKey = appKeys().privateKeyPem;
    this.root = mkdtempSync(join(tmpdir(), "fake-github-"));
    mkdirSync(join(this.root, "git"));
    this.store = new Store(this.appId, this.root);
    this.store.ensureUser(this.store.botLogin, "Bot");
    this.payloads = new PayloadBuilder(this.store);
    registerRepoRoutes(this.router, this.store);
    registerIssueRoutes(this.router, this.store);
    registerPullRoutes(this.router, this.store);
    registerCheckRoutes(this.router, this.store);
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    // Git and Probot keep connections alive; stop() must not wait for them.
    this.server.keepAliveTimeout = 1000;
  }

  // --- lifecycle ---------------------------------------------------------

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.store.baseUrl = this.url;
  }

  async stop(): Promise<void> {
    this.holds.releaseAll();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (!this.options.keepTempDir) rmSync(this.root, { recursive: true, force: true });
  }

  /** http://127.0.0.1:PORT */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The REST base URL Probot derives from GHE_HOST: http://127.0.0.1:PORT/api/v3 */
  get apiUrl(): string {
    return `${this.url}/api/v3`;
  }

  get appSlug(): string {
    return this.store.appSlug;
  }

  /** The login the app's writes are attributed to: `chant-bot[bot]`. */
  get botLogin(): string {
    return this.store.botLogin;
  }

  /** What a Probot app needs in its environment to talk to this stand-in. */
  env(): {
    GHE_HOST: string;
    GHE_PROTOCOL: string;
    APP_ID: string;
    PRIVATE_KEY: string;
    WEBHOOK_SECRET: string;
  } {
    return {
      GHE_HOST: `127.0.0.1:${this.port}`,
      GHE_PROTOCOL: "http",
      APP_ID: String(this.appId),
      PRIVATE_KEY: this.privateKey,
      WEBHOOK_SECRET: this.webhookSecret,
    };
  }

  // --- test-side setup ---------------------------------------------------

  async addRepo(options: AddRepoOptions): Promise<RepoHandle> {
    const { owner, name } = options;
    if (!/^[\w.-]+$/.test(owner) || !/^[\w.-]+$/.test(name)) {
      throw new Error(`fake-github: bad repository name ${owner}/${name}`);
    }
    if (this.store.findRepo(owner, name)) throw new Error(`fake-github: ${owner}/${name} exists`);
    const ownerUser = this.store.ensureUser(owner, options.ownerType ?? "User");
    if (options.ownerType) ownerUser.type = options.ownerType;
    const parent = options.forkOf ? this.store.repoByRef(options.forkOf) : undefined;
    const defaultBranch = options.defaultBranch ?? parent?.defaultBranch ?? "main";
    const gitDir = this.store.gitDirFor(owner, name);
    mkdirSync(dirname(gitDir), { recursive: true });
    if (parent) {
      await git(["clone", "--bare", "--quiet", parent.gitDir, gitDir]);
      await git(["remote", "remove", "origin"], { gitDir });
    } else {
      await git(["init", "--bare", "--quiet", `--initial-branch=${defaultBranch}`, gitDir]);
    }

    const installationId =
      options.installationId !== undefined
        ? options.installationId
        : parent
          ? null
          : this.installationId;
    if (installationId !== null && !this.store.installations.has(installationId)) {
      this.store.installations.set(installationId, { id: installationId, account: owner });
    }
    const repo: RepoState = {
      id: this.store.nextId("repo"),
      owner,
      name,
      fullName: `${owner}/${name}`,
      defaultBranch,
      gitDir,
      private: options.private ?? false,
      installationId,
      createdAt: isoNow(),
      nextNumber: 1,
      issues: new Map(),
      labels: new Map(),
      ...(parent ? { parent } : {}),
    };
    this.store.repos.set(repo.fullName.toLowerCase(), repo);

    if (options.dir) await this.seedFromDir(repo, options.dir);
    if (options.files) {
      const parentSha = await branchSha(gitDir, defaultBranch);
      await this.commit(repo.fullName, {
        branch: defaultBranch,
        files: options.files,
        message: parentSha ? "Add files" : "Initial commit",
      });
    }
    return this.repoHandle(repo);
  }

  /** Adds (or updates) a user; `permission` applies to every repository unless set per repo. */
  addUser(
    login: string,
    options: { permission?: Permission; type?: "User" | "Bot" | "Organization" } = {},
  ): UserJson {
    const user = this.store.ensureUser(login, options.type ?? "User");
    if (options.type) user.type = options.type;
    if (options.permission) user.permission = options.permission;
    return { login: user.login, id: user.id, type: user.type };
  }

  setPermission(repo: RepoRef, login: string, permission: Permission): void {
    const user = this.store.ensureUser(login);
    user.repoPermissions.set(this.store.repoByRef(repo).fullName.toLowerCase(), permission);
  }

  addIssue(
    repo: RepoRef,
    options: { number?: number; title: string; body?: string; user: string; labels?: string[] },
  ): { number: number; id: number } {
    const issue = this.store.addIssue(this.store.repoByRef(repo), options);
    return { number: issue.number, id: issue.id };
  }

  /**
   * A pull request opened by `user` from `head` (`branch`, or `owner:branch` for
   * a fork added with `forkOf`) into `base` (default branch by default). The
   * head branch must exist.
   */
  async addPullRequest(
    repo: RepoRef,
    options: {
      number?: number;
      title: string;
      body?: string;
      user: string;
      head: string;
      base?: string;
      draft?: boolean;
      state?: "open" | "closed";
    },
  ): Promise<{ number: number; id: number; headSha: string }> {
    const base = this.store.repoByRef(repo);
    const colon = options.head.indexOf(":");
    const headRepo =
      colon < 0
        ? base
        : [...this.store.repos.values()].find(
            (r) =>
              r.owner.toLowerCase() === options.head.slice(0, colon).toLowerCase() &&
              (r === base || r.parent === base),
          );
    const headRef = colon < 0 ? options.head : options.head.slice(colon + 1);
    if (!headRepo) throw new Error(`fake-github: no fork for ${options.head}`);
    const headSha = await branchSha(headRepo.gitDir, headRef);
    if (!headSha) throw new Error(`fake-github: no branch ${headRef} in ${headRepo.fullName}`);
    const issue = this.store.addIssue(base, options);
    issue.pull = {
      headRepo,
      headRef,
      baseRef: options.base ?? base.defaultBranch,
      draft: options.draft ?? false,
      merged: false,
      maintainerCanModify: true,
      requestedReviewers: [],
      lastHeadSha: headSha,
    };
    if (options.state === "closed") {
      issue.state = "closed";
      issue.closedAt = isoNow();
    }
    await this.store.pullHeadSha(issue);
    return { number: issue.number, id: issue.id, headSha };
  }

  /** A comment by `user` (e.g. a maintainer's `/chant implement`), as if written on GitHub. */
  addComment(
    repo: RepoRef,
    issueNumber: number,
    options: { user: string; body: string },
  ): CommentJson {
    const state = this.store.repoByRef(repo);
    this.store.ensureUser(options.user);
    const comment = this.store.addComment(state, issueNumber, options.user, options.body);
    return this.store.commentJson(comment) as unknown as CommentJson;
  }

  /**
   * Commits `files` (null deletes) onto `branch` straight in the bare
   * repository, as a person's push would (not recorded in `pushes`, which
   * holds pushes over HTTP). The branch starts at `from` (default: its own
   * tip, else the default branch). Returns the new sha.
   */
  async commit(
    repo: RepoRef,
    options: {
      branch: string;
      files: Record<string, string | Buffer | null>;
      message?: string;
      author?: CommitAuthor;
      from?: string;
    },
  ): Promise<string> {
    const state = this.store.repoByRef(repo);
    const from = options.from ? await resolveCommit(state.gitDir, options.from) : null;
    if (options.from && !from) throw new Error(`fake-github: no commit ${options.from}`);
    const parent =
      from ??
      (await branchSha(state.gitDir, options.branch)) ??
      (await branchSha(state.gitDir, state.defaultBranch));
    const sha = await writeCommit(state.gitDir, {
      parent,
      files: options.files,
      message: options.message ?? `Update ${Object.keys(options.files).join(", ")}`,
      author: options.author ?? FIXTURE_AUTHOR,
      indexFile: join(this.root, `index-${++this.indexCounter}`),
    });
    await git(["update-ref", `refs/heads/${options.branch}`, sha], { gitDir: state.gitDir });
    return sha;
  }

  /**
   * An installation token minted test-side (e.g. to clone in a test), valid one hour;
   * `scope` narrows it as an access-token request's body would (`repositories`, `permissions`).
   */
  createInstallationToken(
    installationId = this.installationId,
    scope?: { repositories?: string[]; permissions?: TokenPermissions },
  ): string {
    const { repositories: _repositories, ...narrowed } = scope
      ? requestedScope(this.store, installationId, scope)
      : { repositories: null, ...fullScope() };
    const token = newInstallationToken(installationId, TOKEN_LIFETIME_MS, narrowed);
    this.store.tokens.set(token.token, token);
    return token.token;
  }

  /**
   * Every installation token issued so far (through the API or test-side), with what it may
   * reach (`repositories`: full names, null for all of the installation's) and the body of
   * the access-token request that asked for it.
   */
  issuedTokens(): {
    token: string;
    installationId: number;
    expiresAt: string;
    repositories: string[] | null;
    permissions: TokenPermissions;
    requested: unknown;
  }[] {
    const nameOf = (id: number) =>
      [...this.store.repos.values()].find((r) => r.id === id)?.fullName ?? String(id);
    return [...this.store.tokens.values()].map((t) => ({
      token: t.token,
      installationId: t.installationId,
      expiresAt: isoNow(t.expiresAt),
      repositories: t.scope.repositoryIds?.map(nameOf) ?? null,
      permissions: { ...t.scope.permissions },
      requested: t.requested,
    }));
  }

  /** Makes every issued token expired (requests with them get 401 Bad credentials). */
  expireTokens(): void {
    for (const token of this.store.tokens.values()) token.expiresAt = Date.now() - 1000;
  }

  // --- state inspection --------------------------------------------------

  comments(repo: RepoRef, issueNumber: number): CommentJson[] {
    const state = this.store.repoByRef(repo);
    return [...this.store.comments.values()]
      .filter((c) => c.repo === state && c.issueNumber === issueNumber)
      .sort((a, b) => a.id - b.id)
      .map((c) => this.store.commentJson(c) as unknown as CommentJson);
  }

  /** Reactions on an issue or pull request (`{ issue: n }`) or on a comment (`{ comment: id }`). */
  reactions(repo: RepoRef, on: { issue: number } | { comment: number }): ReactionJson[] {
    const state = this.store.repoByRef(repo);
    const target: ReactionTarget =
      "issue" in on
        ? { kind: "issue", repo: state, number: on.issue }
        : { kind: "comment", commentId: on.comment };
    return this.store
      .reactionsOn(target)
      .map((r) => this.store.reactionJson(r) as unknown as ReactionJson);
  }

  /** Every pull request of the repository (open and closed), with head shas read from git now. */
  async pulls(repo: RepoRef): Promise<PullJson[]> {
    const state = this.store.repoByRef(repo);
    const issues = [...state.issues.values()]
      .filter((i) => i.pull)
      .sort((a, b) => a.number - b.number);
    return (await Promise.all(issues.map((i) => this.store.pullJson(i)))) as unknown as PullJson[];
  }

  /** Labels currently on an issue or pull request. */
  labels(repo: RepoRef, issueNumber: number): string[] {
    const issue = this.store.repoByRef(repo).issues.get(issueNumber);
    return issue ? [...issue.labels] : [];
  }

  /** Check runs of the repository (on `sha` only, if given), oldest first, with all their annotations. */
  checkRuns(repo: RepoRef, sha?: string): CheckRunJson[] {
    const state = this.store.repoByRef(repo);
    return [...this.store.checkRuns.values()]
      .filter((r) => r.repo === state && (sha === undefined || r.headSha === sha))
      .sort((a, b) => a.id - b.id)
      .map(
        (r) =>
          ({
            ...this.store.checkRunJson(r),
            annotations: [...r.annotations],
          }) as unknown as CheckRunJson,
      );
  }

  /** Branches in the bare repository, read now. */
  async branches(repo: RepoRef): Promise<{ name: string; sha: string }[]> {
    const state = this.store.repoByRef(repo);
    return (await listRefs(state.gitDir, "refs/heads/")).map((r) => ({
      name: r.ref.slice("refs/heads/".length),
      sha: r.sha,
    }));
  }

  /** Every HTTP request so far (REST, GraphQL, git), in arrival order. */
  get requests(): readonly RecordedRequest[] {
    return this.recorded;
  }

  resetRequests(): void {
    this.recorded.length = 0;
  }

  /** Ref updates made by pushes over HTTP, in order. */
  get pushes(): readonly PushRecord[] {
    return this.store.pushes;
  }

  resetPushes(): void {
    this.store.pushes.length = 0;
  }

  // --- fault injection and webhooks --------------------------------------

  /**
   * The next `times` (default 1) requests matching `matcher` are answered with
   * `status` and `headers` instead of being served. See RequestMatcher for the
   * forms; `primaryRateLimit()` and `secondaryRateLimit()` build common options.
   */
  failNext(matcher: RequestMatcher, options: FaultOptions): FaultHandle {
    return this.faults.add(matcher, options);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /**
   * Keep the next `times` (default 1) requests matching `matcher` waiting
   * until `release()`: before they are served (`when: "request"`), or after
   * they are served and before the answer is sent (`when: "response"`: the
   * push landed, the pull request exists, the caller does not know yet). For
   * stopping an app at a known step, e.g. to kill it there.
   */
  holdNext(matcher: RequestMatcher, options: HoldOptions = {}): HoldHandle {
    return this.holds.add(matcher, options);
  }

  /** POSTs a signed delivery to the app (e.g. http://127.0.0.1:3000/api/github/webhooks). */
  deliver(
    appUrl: string,
    event: string,
    payload: unknown,
    options: DeliverOptions = {},
  ): Promise<DeliveryResult> {
    return deliverWebhook(appUrl, event, payload, {
      ...options,
      secret: options.secret ?? this.webhookSecret,
      appId: this.appId,
    });
  }

  // --- internals ---------------------------------------------------------

  private repoHandle(repo: RepoState): Promise<RepoHandle> {
    return branchSha(repo.gitDir, repo.defaultBranch).then((headSha) => ({
      id: repo.id,
      owner: repo.owner,
      name: repo.name,
      fullName: repo.fullName,
      defaultBranch: repo.defaultBranch,
      gitDir: repo.gitDir,
      cloneUrl: this.store.cloneUrl(repo),
      installationId: repo.installationId,
      headSha,
    }));
  }

  /** One commit of the directory's files (honouring its .gitignore), by the fixture author. */
  private async seedFromDir(repo: RepoState, dir: string): Promise<void> {
    const env = { GIT_INDEX_FILE: join(this.root, `index-${++this.indexCounter}`) };
    const gitDir = repo.gitDir;
    await git(["--work-tree", dir, "add", "--all", "."], { gitDir, env, cwd: dir });
    const tree = (await git(["write-tree"], { gitDir, env })).trim();
    const parent = await branchSha(gitDir, repo.defaultBranch);
    const sha = (
      await git(["commit-tree", tree, ...(parent ? ["-p", parent] : []), "-m", "Initial commit"], {
        gitDir,
        env: {
          GIT_AUTHOR_NAME: FIXTURE_AUTHOR.name,
          GIT_AUTHOR_EMAIL: FIXTURE_AUTHOR.email,
          GIT_AUTHOR_DATE: FIXTURE_AUTHOR.date,
          GIT_COMMITTER_NAME: FIXTURE_AUTHOR.name,
          GIT_COMMITTER_EMAIL: FIXTURE_AUTHOR.email,
          GIT_COMMITTER_DATE: FIXTURE_AUTHOR.date,
        },
      })
    ).trim();
    await git(["update-ref", `refs/heads/${repo.defaultBranch}`, sha], { gitDir });
  }

  private authenticate(header: string | undefined): AuthInfo {
    const credential = credentialOf(header);
    if (!credential) return { kind: "none" };
    if (credential.scheme === "bearer" && credential.value.split(".").length === 3) {
      try {
        verifyAppJwt(credential.value, appKeys().publicKey, this.appId);
        return { kind: "app", appId: this.appId };
      } catch (error) {
        return {
          kind: "invalid",
          reason: error instanceof AuthError ? error.message : "Bad credentials",
        };
      }
    }
    const token = this.store.tokens.get(credential.value);
    if (!token || token.expiresAt <= Date.now())
      return { kind: "invalid", reason: "Bad credentials" };
    return { kind: "installation", installationId: token.installationId, token: token.token };
  }

  /** What the request's installation token may reach (everything for other credentials). */
  private scopeOf(auth: AuthInfo): TokenScope {
    return (
      (auth.kind === "installation" && this.store.tokens.get(auth.token)?.scope) || fullScope()
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? "/", this.url);
    const method = (req.method ?? "GET").toUpperCase();
    let api: ApiKind = "other";
    let path = url.pathname;
    if (path.startsWith("/git/")) api = "git";
    else if (path === "/api/graphql") api = "graphql";
    else if (path === "/api/v3" || path.startsWith("/api/v3/")) {
      api = "rest";
      path = path.slice("/api/v3".length) || "/";
    }
    const auth = this.authenticate(req.headers.authorization);
    const record: RecordedRequest = {
      method,
      path,
      query: url.search,
      api,
      status: 0,
      auth: auth.kind,
      installationId: auth.kind === "installation" ? auth.installationId : null,
      token: auth.kind === "installation" ? auth.token : null,
      injected: false,
      routed: true,
      at: Date.now(),
      durationMs: 0,
    };
    this.recorded.push(record);
    res.on("finish", () => {
      record.status = res.statusCode;
      record.durationMs = performance.now() - started;
    });

    try {
      const hold = this.holds.take({ method, path, api });
      if (hold?.when === "request") {
        await hold.gate;
        // The caller gave up (or was killed) while it waited: nothing to serve.
        if (req.socket.destroyed) {
          res.destroy();
          return;
        }
      }
      const responseGate = hold?.when === "response" ? hold.gate : undefined;
      // Read before a fault is served, so that a test can tell a retry (same body) from another call.
      const json = api === "git" ? undefined : await readJsonBody(req);
      record.body = json;
      const fault = this.faults.take({ method, path, api });
      if (fault) {
        record.injected = true;
        if (api === "git") req.resume();
        const body = fault.body ?? defaultFaultBody(fault, record.installationId);
        this.send(res, { status: fault.status, body, headers: fault.headers ?? {} });
        return;
      }
      if (api === "git") {
        await this.handleGit(req, res, url, auth, responseGate);
        return;
      }
      const ctx: RequestContext = {
        method,
        path,
        query: url.searchParams,
        params: {},
        body: json,
        headers: req.headers,
        auth,
        url,
      };
      let reply: Reply;
      if (api === "graphql") reply = await this.handleGraphql(ctx);
      else if (api === "rest") reply = await this.handleRest(ctx, record);
      else reply = { status: 404, body: { message: "Not Found" } };
      if (responseGate) await responseGate;
      this.send(res, reply);
    } catch (error) {
      if (error instanceof HttpError) {
        this.send(res, { status: error.status, body: error.body, headers: error.headers });
        return;
      }
      const err = error instanceof Error ? error : new Error(String(error));
      this.errors.push(err);
      if (!res.headersSent)
        this.send(res, { status: 500, body: { message: `stand-in error: ${err.message}` } });
      else res.destroy(err);
    }
  }

  private async handleRest(ctx: RequestContext, record: RecordedRequest): Promise<Reply> {
    const { auth, path } = ctx;
    const appRoute =
      path === "/app" ||
      path.startsWith("/app/") ||
      /^\/(repos\/[^/]+\/[^/]+|orgs\/[^/]+|users\/[^/]+)\/installation$/.test(path);
    if (appRoute) {
      if (auth.kind !== "app") {
        throw new HttpError(401, {
          message: auth.kind === "invalid" ? auth.reason : "A JSON web token could not be decoded",
        });
      }
    } else if (auth.kind === "invalid") {
      throw new HttpError(401, { message: "Bad credentials" });
    } else if (auth.kind === "none" && path !== "/rate_limit") {
      throw new HttpError(401, { message: "Requires authentication" });
    } else if (auth.kind === "app" && path !== "/rate_limit") {
      throw new HttpError(403, { message: "Resource not accessible by integration" });
    }
    const match = this.router.match(ctx.method, path);
    if (!match) {
      record.routed = false;
      throw new HttpError(404, {
        message: "Not Found",
        stand_in: `no route for ${ctx.method} ${path}`,
      });
    }
    ctx.params = match.params;
    if (auth.kind === "installation") enforceRestScope(this.store, ctx, this.scopeOf(auth));
    return match.handler(ctx);
  }

  private async handleGraphql(ctx: RequestContext): Promise<Reply> {
    if (ctx.method !== "POST") throw notFound();
    if (ctx.auth.kind === "none") {
      throw new HttpError(401, { message: "This endpoint requires you to be authenticated." });
    }
    if (ctx.auth.kind !== "installation") throw new HttpError(401, { message: "Bad credentials" });
    const installationId = ctx.auth.installationId;
    const body = (ctx.body ?? {}) as { query?: unknown; variables?: unknown };
    const parsed = typeof body.query === "string" ? parseBlobQuery(body.query) : null;
    if (!parsed) return { status: 200, body: UNSUPPORTED };
    const variables = (
      body.variables && typeof body.variables === "object" ? body.variables : {}
    ) as Record<string, unknown>;
    const scope = this.scopeOf(ctx.auth);
    const owner = variables[parsed.ownerVar];
    const name = variables[parsed.nameVar];
    const target =
      typeof owner === "string" && typeof name === "string"
        ? this.store.findRepo(owner, name)
        : undefined;
    if (
      target &&
      target.installationId === installationId &&
      tokenMayReach(scope, target) &&
      !allows(scope.permissions, "contents", "read")
    ) {
      return {
        status: 200,
        body: {
          data: { repository: null },
          errors: [
            {
              type: "FORBIDDEN",
              path: ["repository"],
              locations: [{ line: 2, column: 3 }],
              message: "Resource not accessible by integration",
            },
          ],
        },
      };
    }
    const answer = await answerBlobQuery(
      parsed,
      variables,
      (owner, name) => {
        const repo = this.store.findRepo(owner, name);
        return repo && repo.installationId === installationId && tokenMayReach(scope, repo)
          ? repo
          : null;
      },
      this.options.blobTextLimit ?? DEFAULT_BLOB_TEXT_LIMIT,
    );
    return { status: 200, body: answer };
  }

  private async handleGit(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    auth: AuthInfo,
    /** Served, then the end of the answer waits for this (a held response). */
    responseGate?: Promise<void>,
  ): Promise<void> {
    const match = /^\/git\/([^/]+)\/([^/]+?)\.git(\/.*)?$/.exec(url.pathname);
    if (auth.kind !== "installation") {
      req.resume();
      res.writeHead(401, {
        "www-authenticate": 'Basic realm="GitHub"',
        "content-type": "text/plain",
      });
      res.end(
        "Invalid username or token. Password authentication is not supported for Git operations.\n",
      );
      return;
    }
    const repo = match
      ? this.store.findRepo(decodeURIComponent(match[1]!), decodeURIComponent(match[2]!))
      : undefined;
    const scope = this.scopeOf(auth);
    if (
      !match ||
      !repo ||
      repo.installationId !== auth.installationId ||
      !tokenMayReach(scope, repo)
    ) {
      req.resume();
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("Repository not found.\n");
      return;
    }
    const rest = match[3] ?? "/";
    const isPush = req.method === "POST" && rest === "/git-receive-pack";
    // A push (receive-pack, also its ref advertisement) needs contents: write; a fetch, read.
    const service =
      rest === "/info/refs" ? url.searchParams.get("service") : rest.replace(/^\//, "");
    const needed = service === "git-receive-pack" ? "write" : "read";
    if (!allows(scope.permissions, "contents", needed)) {
      req.resume();
      res.writeHead(403, { "content-type": "text/plain" });
      res.end(`Permission to ${repo.fullName}.git denied to ${this.store.botLogin}.\n`);
      return;
    }
    const before = isPush ? await refSnapshot(repo) : null;
    await serveGitHttp({
      req,
      res,
      projectRoot: join(this.root, "git"),
      pathInfo: `/${repo.owner}/${repo.name}.git${rest}`,
      queryString: url.search.replace(/^\?/, ""),
      remoteUser: "x-access-token",
      ...(before || responseGate
        ? {
            onComplete: async () => {
              if (before) await this.recordPushes(repo, before, auth);
              if (responseGate) await responseGate;
            },
          }
        : {}),
    });
  }

  private async recordPushes(
    repo: RepoState,
    before: Map<string, string>,
    auth: AuthInfo,
  ): Promise<void> {
    if (auth.kind !== "installation") return;
    const after = await refSnapshot(repo);
    for (const ref of new Set([...before.keys(), ...after.keys()])) {
      const old = before.get(ref) ?? ZERO_SHA;
      const now = after.get(ref) ?? ZERO_SHA;
      if (old === now) continue;
      this.store.pushes.push({
        repo: repo.fullName,
        ref,
        before: old,
        after: now,
        at: isoNow(),
        installationId: auth.installationId,
      });
    }
  }

  private send(res: ServerResponse, reply: Reply): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    const headers: Record<string, string> = {
      ...FAKE_HEADERS,
      "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
      "x-github-request-id": `FAKE:${this.recorded.length}`,
      ...reply.headers,
    };
    if (reply.raw) {
      res.writeHead(reply.status, { ...headers, "content-type": reply.raw.contentType });
      res.end(reply.raw.data);
      return;
    }
    if (reply.body === undefined || reply.status === 204) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    res.writeHead(reply.status, { ...headers, "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(reply.body));
  }
}

async function refSnapshot(repo: RepoState): Promise<Map<string, string>> {
  const refs = await listRefs(repo.gitDir, "refs/");
  return new Map(
    refs
      .filter((r) => r.ref.startsWith("refs/heads/") || r.ref.startsWith("refs/tags/"))
      .map((r) => [r.ref, r.sha]),
  );
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, { message: "Payload too large" });
    chunks.push(buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, { message: "Problems parsing JSON" });
  }
}
