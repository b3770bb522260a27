/** App, installation, repository, git data and permission endpoints. */
import { newInstallationToken } from "./auth.js";
import { commitInfo, git, isSafeRef, lsTree, readBlob, resolveCommit, runGit } from "./git.js";
import type { CommitInfo } from "./git.js";
import { HttpError, bodyObject, isoNow, notFound, paginate } from "./http.js";
import type { Router } from "./http.js";
import type { Permission, RepoState, Store } from "./state.js";
import { requestedScope } from "./token-scope.js";

/** GitHub wraps base64 content at 60 characters (and clients must cope with the newlines). */
export function wrappedBase64(data: Buffer): string {
  const b64 = data.toString("base64");
  return `${b64.replace(/(.{60})/g, "$1\n")}\n`;
}

/** The collaborator permission API folds maintain into write and triage into read. */
const LEGACY_PERMISSION: Record<Permission, string> = {
  admin: "admin",
  maintain: "write",
  write: "write",
  triage: "read",
  read: "read",
  none: "none",
};

export const TOKEN_LIFETIME_MS = 60 * 60 * 1000;

export function registerRepoRoutes(router: Router, store: Store): void {
  router.on("GET", "/app", () => ({ status: 200, body: store.appJson() }));

  router.on("GET", "/app/installations", (ctx) => {
    const all = [...store.installations.values()].map((i) => store.installationJson(i));
    const { page, headers } = paginate(ctx, all);
    return { status: 200, body: page, headers };
  });

  router.on("GET", "/app/installations/:id", (ctx) => {
    const installation = store.installations.get(Number(ctx.params.id));
    if (!installation) throw notFound();
    return { status: 200, body: store.installationJson(installation) };
  });

  // `repositories` (names) / `repository_ids` and `permissions` narrow the token; token-scope.ts
  // validates them as GitHub does (422) and the stand-in enforces them on every later request.
  router.on("POST", "/app/installations/:id/access_tokens", (ctx) => {
    const installation = store.installations.get(Number(ctx.params.id));
    if (!installation) throw notFound();
    const body = bodyObject(ctx);
    const { repositories, ...scope } = requestedScope(store, installation.id, body);
    const token = newInstallationToken(installation.id, TOKEN_LIFETIME_MS, scope);
    token.requested = ctx.body;
    store.tokens.set(token.token, token);
    return {
      status: 201,
      body: {
        token: token.token,
        expires_at: isoNow(token.expiresAt),
        permissions: scope.permissions,
        repository_selection: "selected",
        ...(repositories ? { repositories: repositories.map((r) => store.repoJson(r)) } : {}),
      },
    };
  });

  router.on("GET", "/repos/:owner/:repo/installation", (ctx) => {
    const repo = store.findRepo(ctx.params.owner ?? "", ctx.params.repo ?? "");
    const installation =
      repo && repo.installationId !== null
        ? store.installations.get(repo.installationId)
        : undefined;
    if (!installation) throw notFound();
    return { status: 200, body: store.installationJson(installation) };
  });

  router.on("GET", "/rate_limit", () => {
    const reset = Math.floor(Date.now() / 1000) + 3600;
    const core = { limit: 5000, used: 0, remaining: 5000, reset };
    return {
      status: 200,
      body: {
        resources: { core, graphql: core, search: { ...core, limit: 30, remaining: 30 } },
        rate: core,
      },
    };
  });

  router.on("GET", "/repos/:owner/:repo", (ctx) => ({
    status: 200,
    body: store.repoJson(store.repoFor(ctx), { withParent: true }),
  }));

  router.on("GET", "/repos/:owner/:repo/contents/*path", async (ctx) => {
    const repo = store.repoFor(ctx);
    const ref = ctx.query.get("ref") || repo.defaultBranch;
    const commit = await resolveCommit(repo.gitDir, ref);
    if (!commit) throw notFound(`No commit found for the ref ${ref}`);
    const path = (ctx.params.path ?? "").replace(/^\/+|\/+$/g, "");
    const raw = /\bvnd\.github(\.v3)?\.raw\b/.test(String(ctx.headers.accept ?? ""));
    if (path === "") return directoryReply(store, repo, commit, "", ref);
    const [entry] = (await lsTree(repo.gitDir, commit, { paths: [path] })).filter(
      (e) => e.path === path,
    );
    if (!entry) throw notFound();
    if (entry.type === "tree") return directoryReply(store, repo, commit, path, ref);
    const content = (await readBlob(repo.gitDir, entry.sha)) ?? Buffer.alloc(0);
    if (raw) {
      return { status: 200, raw: { data: content, contentType: "text/plain; charset=utf-8" } };
    }
    return {
      status: 200,
      body: {
        ...contentEntryJson(store, repo, entry.path, entry.sha, content.length, "file", ref),
        encoding: "base64",
        content: wrappedBase64(content),
      },
    };
  });

  router.on("GET", "/repos/:owner/:repo/git/trees/*ref", async (ctx) => {
    const repo = store.repoFor(ctx);
    const ref = ctx.params.ref ?? "";
    if (!isSafeRef(ref)) throw notFound();
    const resolved = await runGit(["rev-parse", "--verify", "--quiet", `${ref}^{tree}`], {
      gitDir: repo.gitDir,
    });
    if (resolved.code !== 0) throw notFound();
    const treeSha = resolved.stdout.toString("utf8").trim();
    const recursive = ["1", "true"].includes(ctx.query.get("recursive") ?? "");
    const entries = await lsTree(repo.gitDir, treeSha, { recursive });
    const api = `${store.apiUrl}/repos/${repo.fullName}/git`;
    return {
      status: 200,
      body: {
        sha: treeSha,
        url: `${api}/trees/${treeSha}`,
        tree: entries.map((e) => ({
          path: e.path,
          mode: e.mode,
          type: e.type,
          sha: e.sha,
          ...(e.size === undefined ? {} : { size: e.size }),
          url: `${api}/${e.type === "tree" ? "trees" : "blobs"}/${e.sha}`,
        })),
        truncated: false,
      },
    };
  });

  router.on("GET", "/repos/:owner/:repo/git/blobs/:sha", async (ctx) => {
    const repo = store.repoFor(ctx);
    const sha = ctx.params.sha ?? "";
    if (!/^[0-9a-f]{40}$/.test(sha)) throw notFound();
    const content = await readBlob(repo.gitDir, sha);
    if (!content) throw notFound();
    return {
      status: 200,
      body: {
        sha,
        node_id: Buffer.from(`B_${sha}`).toString("base64"),
        size: content.length,
        url: `${store.apiUrl}/repos/${repo.fullName}/git/blobs/${sha}`,
        content: wrappedBase64(content),
        encoding: "base64",
      },
    };
  });

  router.on("GET", "/repos/:owner/:repo/git/ref/*ref", async (ctx) => {
    const repo = store.repoFor(ctx);
    const ref = ctx.params.ref ?? "";
    if (!/^(heads|tags)\//.test(ref) || !isSafeRef(ref)) throw notFound();
    const sha = await resolveCommit(repo.gitDir, `refs/${ref}`);
    if (!sha) throw notFound();
    return { status: 200, body: refJson(store, repo, `refs/${ref}`, sha) };
  });

  router.on("GET", "/repos/:owner/:repo/branches", async (ctx) => {
    const repo = store.repoFor(ctx);
    const out = await git(
      ["for-each-ref", "--format=%(objectname) %(refname:strip=2)", "refs/heads/"],
      {
        gitDir: repo.gitDir,
      },
    );
    const all = out
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [sha = "", ...name] = line.split(" ");
        return {
          name: name.join(" "),
          commit: { sha, url: `${store.apiUrl}/repos/${repo.fullName}/commits/${sha}` },
          protected: false,
        };
      });
    const { page, headers } = paginate(ctx, all);
    return { status: 200, body: page, headers };
  });

  router.on("GET", "/repos/:owner/:repo/branches/*branch", async (ctx) => {
    const repo = store.repoFor(ctx);
    const branch = ctx.params.branch ?? "";
    const sha = isSafeRef(branch) ? await resolveCommit(repo.gitDir, `refs/heads/${branch}`) : null;
    const info = sha && (await commitInfo(repo.gitDir, sha));
    if (!info) throw notFound("Branch not found");
    return {
      status: 200,
      body: {
        name: branch,
        commit: commitJson(store, repo, info),
        protected: false,
        _links: {
          self: `${store.apiUrl}/repos/${repo.fullName}/branches/${branch}`,
          html: `${store.baseUrl}/${repo.fullName}/tree/${branch}`,
        },
      },
    };
  });

  router.on("GET", "/repos/:owner/:repo/commits/:ref", async (ctx) => {
    const repo = store.repoFor(ctx);
    const ref = ctx.params.ref ?? "";
    const sha = await resolveCommit(repo.gitDir, ref);
    const info = sha && (await commitInfo(repo.gitDir, sha));
    if (!info) throw new HttpError(422, { message: `No commit found for SHA: ${ref}` });
    return { status: 200, body: commitJson(store, repo, info) };
  });

  router.on("GET", "/repos/:owner/:repo/collaborators/:username/permission", (ctx) => {
    const repo = store.repoFor(ctx);
    const login = ctx.params.username ?? "";
    const permission = store.permissionOf(repo, login);
    if (permission === null) throw notFound();
    return {
      status: 200,
      body: {
        permission: LEGACY_PERMISSION[permission],
        role_name: permission,
        user: store.userJson(login),
      },
    };
  });

  router.on("GET", "/repos/:owner/:repo/collaborators/:username", (ctx) => {
    const repo = store.repoFor(ctx);
    const permission = store.permissionOf(repo, ctx.params.username ?? "");
    if (permission === null || permission === "none") throw notFound();
    return { status: 204 };
  });
}

function refJson(store: Store, repo: RepoState, ref: string, sha: string) {
  const api = `${store.apiUrl}/repos/${repo.fullName}/git`;
  return {
    ref,
    node_id: Buffer.from(`REF_${repo.id}_${ref}`).toString("base64"),
    url: `${api}/${ref}`,
    object: { sha, type: "commit", url: `${api}/commits/${sha}` },
  };
}

export function commitJson(store: Store, repo: RepoState, info: CommitInfo) {
  const api = `${store.apiUrl}/repos/${repo.fullName}`;
  return {
    sha: info.sha,
    node_id: Buffer.from(`C_${info.sha}`).toString("base64"),
    commit: {
      author: info.author,
      committer: info.committer,
      message: info.message,
      tree: { sha: info.tree, url: `${api}/git/trees/${info.tree}` },
      url: `${api}/git/commits/${info.sha}`,
    },
    url: `${api}/commits/${info.sha}`,
    html_url: `${store.baseUrl}/${repo.fullName}/commit/${info.sha}`,
    author: null,
    committer: null,
    parents: info.parents.map((sha) => ({ sha, url: `${api}/commits/${sha}` })),
  };
}

function contentEntryJson(
  store: Store,
  repo: RepoState,
  path: string,
  sha: string,
  size: number,
  type: "file" | "dir",
  ref: string,
) {
  const api = `${store.apiUrl}/repos/${repo.fullName}`;
  const url = `${api}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const gitUrl = `${api}/git/${type === "dir" ? "trees" : "blobs"}/${sha}`;
  const htmlUrl = `${store.baseUrl}/${repo.fullName}/${type === "dir" ? "tree" : "blob"}/${ref}/${path}`;
  return {
    type,
    size,
    name: path.split("/").pop() ?? path,
    path,
    sha,
    url,
    git_url: gitUrl,
    html_url: htmlUrl,
    download_url: type === "file" ? `${store.baseUrl}/raw/${repo.fullName}/${ref}/${path}` : null,
    _links: { self: url, git: gitUrl, html: htmlUrl },
  };
}

async function directoryReply(
  store: Store,
  repo: RepoState,
  commit: string,
  path: string,
  ref: string,
) {
  const entries = await lsTree(repo.gitDir, path === "" ? commit : `${commit}:${path}`);
  return {
    status: 200,
    body: entries.map((e) =>
      contentEntryJson(
        store,
        repo,
        path === "" ? e.path : `${path}/${e.path}`,
        e.sha,
        e.size ?? 0,
        e.type === "tree" ? "dir" : "file",
        ref,
      ),
    ),
  };
}
