import type { Octokit } from "./octokit.js";

/**
 * Installation tokens scoped down to one repository and to the permissions a
 * step needs (`repositories` + `permissions` on GitHub's access-token request),
 * so that a leaked token reaches little. Two parts:
 *
 * - InstallationTokens mints tokens through the App's own Octokit (JWT auth,
 *   Probot's baseUrl, retries and logging) and reuses each scope's token until
 *   shortly before it expires. (`appOctokit.auth({ type: "installation",
 *   repositoryNames, permissions })` would mint a scoped token too, but it
 *   posts to api.github.com whatever the Octokit's baseUrl: wrong on GHES.)
 * - createScopedInstallationAuth is an Octokit `authStrategy`: every request
 *   carries the token of the job's API scope, and `auth(GIT_TOKEN_REQUEST)`
 *   mints a separate, fresh token for git with the narrower git permissions.
 */

export type PermissionLevel = "read" | "write";
/** The repository permissions chant-bot's App asks for (see app.yml). */
export type RepositoryPermission = "checks" | "contents" | "issues" | "metadata" | "pull_requests";
export type TokenPermissions = Readonly<Partial<Record<RepositoryPermission, PermissionLevel>>>;

export interface TokenScope {
  installationId: number;
  /** Names (without owner) of the repositories the token may reach. */
  repositoryNames: readonly string[];
  permissions: TokenPermissions;
}

export interface MintedToken {
  token: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  mintedAt: number;
  /** As GitHub granted them (metadata: read is always added). */
  permissions: Record<string, string>;
  repositoryNames: string[];
}

/** A cached token is handed out only while it has this much life left. */
const REUSE_MARGIN_MS = 10 * 60_000;

/**
 * Passed to a forge's `octokit.auth()` by `gitAccess()`: a token of its own
 * for git. With the scoped strategy it is minted fresh (a full hour for the
 * clone and the push) with the git permissions only; on any other Octokit
 * auth strategy the extra key is ignored and the installation token returned.
 */
export const GIT_TOKEN_REQUEST = { type: "installation", for: "git" } as const;

function scopeKey(scope: TokenScope): string {
  const permissions = Object.entries(scope.permissions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, level]) => `${name}:${level}`)
    .join(",");
  return `${scope.installationId}|${[...scope.repositoryNames].sort().join(",")}|${permissions}`;
}

/**
 * Installation tokens minted through the App's Octokit, one per scope, reused
 * (across jobs too) until REUSE_MARGIN_MS before they expire. Concurrent asks
 * for one scope share one request.
 */
export class InstallationTokens {
  private readonly cache = new Map<
    string,
    { pending: Promise<MintedToken>; token?: MintedToken }
  >();

  constructor(
    /** The App-level Octokit (JWT), e.g. `() => probot.auth()`. */
    private readonly app: () => Promise<Octokit>,
    private readonly now: () => number = Date.now,
  ) {}

  /** A token for the scope; `fresh` mints a new one and leaves the cache alone. */
  get(scope: TokenScope, options: { fresh?: boolean } = {}): Promise<MintedToken> {
    if (options.fresh) return this.mint(scope);
    const key = scopeKey(scope);
    const entry = this.cache.get(key);
    if (entry) {
      if (!entry.token) return entry.pending;
      if (entry.token.expiresAt - this.now() > REUSE_MARGIN_MS) return Promise.resolve(entry.token);
    }
    this.prune();
    const next: { pending: Promise<MintedToken>; token?: MintedToken } = {
      pending: this.mint(scope).then(
        (token) => {
          next.token = token;
          return token;
        },
        (error: unknown) => {
          if (this.cache.get(key) === next) this.cache.delete(key);
          throw error;
        },
      ),
    };
    this.cache.set(key, next);
    return next.pending;
  }

  /** Forget the scope's token if it is still this one (GitHub refused it). */
  invalidate(scope: TokenScope, token: MintedToken): void {
    const key = scopeKey(scope);
    if (this.cache.get(key)?.token === token) this.cache.delete(key);
  }

  private prune(): void {
    const now = this.now();
    for (const [key, entry] of this.cache) {
      if (entry.token && entry.token.expiresAt <= now) this.cache.delete(key);
    }
  }

  private async mint(scope: TokenScope): Promise<MintedToken> {
    const app = await this.app();
    const mintedAt = this.now();
    const { data } = await app.request("POST /app/installations/{installation_id}/access_tokens", {
      installation_id: scope.installationId,
      repositories: [...scope.repositoryNames],
      permissions: { ...scope.permissions },
    });
    return {
      token: data.token,
      expiresAt: Date.parse(data.expires_at),
      mintedAt,
      permissions: { ...(data.permissions as Record<string, string> | undefined) },
      repositoryNames: data.repositories?.map((r) => r.name) ?? [...scope.repositoryNames],
    };
  }
}

export interface ScopedInstallationAuthOptions {
  tokens: InstallationTokens;
  installationId: number;
  owner: string;
  repo: string;
  /** What every API (REST and GraphQL) request of this Octokit may do. */
  api: TokenPermissions;
  /** What the token for git (`auth(GIT_TOKEN_REQUEST)`) may do. */
  git: TokenPermissions;
  /**
   * Let Probot's config loader read the owner's OTHER repositories (the
   * `.github` repository's defaults, `_extends: other-repo`) as the web
   * process does: each such GET of contents carries a token of its own,
   * `contents: read` on that one repository. Off: those reads go out with the
   * job's token, which GitHub answers 404 (not in the token's repositories).
   */
  readSiblingContents?: boolean;
  sleep?: (ms: number) => Promise<void>;
}

/** What a sibling repository's config read may do. */
export const SIBLING_CONTENTS_PERMISSIONS: TokenPermissions = {
  contents: "read",
  metadata: "read",
};

type Request = Octokit["request"];
type EndpointOptions = ReturnType<Request["endpoint"]["merge"]>;

interface RequestFailure {
  status?: number;
}

/** GitHub takes a moment to replicate a new token: a 401 this soon is tried again. */
const REPLICATION_WINDOW_MS = 5_000;

/**
 * An Octokit `authStrategy` for a job on one repository: each request carries
 * a token limited to that repository and to `api`; `auth(GIT_TOKEN_REQUEST)`
 * returns a fresh token limited to it and to `git`.
 */
export function createScopedInstallationAuth(options: ScopedInstallationAuthOptions) {
  const { tokens, installationId, owner, repo } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const apiScope: TokenScope = {
    installationId,
    repositoryNames: [repo],
    permissions: options.api,
  };
  const gitScope: TokenScope = {
    installationId,
    repositoryNames: [repo],
    permissions: options.git,
  };

  const authentication = (token: MintedToken) => ({
    type: "token" as const,
    tokenType: "installation" as const,
    token: token.token,
    installationId,
    permissions: token.permissions,
    repositoryNames: token.repositoryNames,
    expiresAt: new Date(token.expiresAt).toISOString(),
  });

  async function auth(authOptions: { type?: string; for?: string } = { type: "installation" }) {
    if (authOptions.type !== undefined && authOptions.type !== "installation") {
      throw new Error(
        `scoped installation auth: only installation tokens (asked for "${authOptions.type}")`,
      );
    }
    if (authOptions.for === GIT_TOKEN_REQUEST.for) {
      return authentication(await tokens.get(gitScope, { fresh: true }));
    }
    return authentication(await tokens.get(apiScope));
  }

  /** The scope a request goes out with (the job's, or a sibling's config read). */
  function scopeFor(endpoint: EndpointOptions, url: string): TokenScope {
    if (!options.readSiblingContents || endpoint.method !== "GET") return apiScope;
    const match = /\/repos\/([^/]+)\/([^/]+)\/contents(?:\/|$)/.exec(new URL(url).pathname);
    if (!match) return apiScope;
    const [targetOwner, targetRepo] = [match[1]!, match[2]!].map(decodeURIComponent) as [
      string,
      string,
    ];
    if (targetOwner.toLowerCase() !== owner.toLowerCase()) return apiScope;
    if (targetRepo.toLowerCase() === repo.toLowerCase()) return apiScope;
    return {
      installationId,
      repositoryNames: [targetRepo],
      permissions: SIBLING_CONTENTS_PERMISSIONS,
    };
  }

  async function hook(
    request: Request,
    route: Parameters<Request>[0],
    parameters?: Parameters<Request>[1],
  ) {
    const endpoint = request.endpoint.merge(route as string, parameters);
    const url = request.endpoint.parse(endpoint).url;
    const scope = scopeFor(endpoint, url);
    for (let attempt = 0; ; attempt++) {
      let token: MintedToken;
      try {
        token = await tokens.get(scope);
      } catch (error) {
        // A sibling the installation cannot reach: to the config loader, a file that is not there.
        if (scope !== apiScope && (error as RequestFailure).status === 422) {
          throw Object.assign(
            new Error(`Not Found (${scope.repositoryNames.join(", ")} is not in the installation)`),
            { status: 404, cause: error },
          );
        }
        throw error;
      }
      endpoint.headers.authorization = `token ${token.token}`;
      try {
        return await request({ ...endpoint, url: endpoint.url ?? url });
      } catch (error) {
        if ((error as RequestFailure).status !== 401 || attempt >= 2) throw error;
        if (Date.now() - token.mintedAt < REPLICATION_WINDOW_MS) await sleep(1000 * (attempt + 1));
        else tokens.invalidate(scope, token); // revoked or expired early: mint another
      }
    }
  }

  return Object.assign(auth, { hook });
}
