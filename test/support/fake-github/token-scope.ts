/**
 * What an installation token may reach, as GitHub enforces it: the
 * `repositories` / `repository_ids` and `permissions` asked for when it was
 * minted (POST /app/installations/{id}/access_tokens), checked on every REST,
 * GraphQL and git request made with it.
 *
 * - A repository outside the token's list answers 404 (GitHub hides it).
 * - A request beyond the token's permissions answers 403 "Resource not
 *   accessible by integration", with `x-accepted-github-permissions` naming
 *   what would have done.
 * - Issue-level endpoints (comments, reactions, labels) on a pull request
 *   accept `pull_requests` as well as `issues`, as GitHub does.
 */
import { HttpError } from "./http.js";
import type { RequestContext } from "./http.js";
import { APP_PERMISSIONS } from "./state.js";
import type { RepoState, Store } from "./state.js";

export type PermissionLevel = "read" | "write";
export type TokenPermissions = Record<string, PermissionLevel>;

export interface TokenScope {
  /** null: every repository of the installation. */
  repositoryIds: number[] | null;
  permissions: TokenPermissions;
}

/** What an installation token gets when nothing is asked: everything the app was granted. */
export function fullScope(): TokenScope {
  return { repositoryIds: null, permissions: { ...(APP_PERMISSIONS as TokenPermissions) } };
}

const LEVELS: Record<PermissionLevel, number> = { read: 1, write: 2 };

export function allows(
  permissions: TokenPermissions,
  name: string,
  level: PermissionLevel,
): boolean {
  const held = permissions[name];
  return held !== undefined && LEVELS[held] >= LEVELS[level];
}

export function tokenMayReach(scope: TokenScope, repo: RepoState): boolean {
  return scope.repositoryIds === null || scope.repositoryIds.includes(repo.id);
}

const DOCS =
  "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app";

/**
 * The scope asked for in an access-token request, validated like GitHub:
 * 422 for a repository the installation does not hold, or for a permission
 * (or level) the app was not granted. `metadata: read` is always added.
 */
export function requestedScope(
  store: Store,
  installationId: number,
  body: Record<string, unknown>,
): TokenScope & { repositories: RepoState[] | null } {
  const installed = [...store.repos.values()].filter((r) => r.installationId === installationId);
  const unreachable = () =>
    new HttpError(422, {
      message:
        "There is at least one repository that does not exist or is not accessible to the parent installation.",
      documentation_url: DOCS,
    });
  let repositories: RepoState[] | null = null;
  if (body.repositories !== undefined) {
    if (!Array.isArray(body.repositories) || body.repositories.some((n) => typeof n !== "string")) {
      throw new HttpError(422, {
        message: "Invalid request.\n\nFor 'properties/repositories', is not an array of strings.",
        documentation_url: DOCS,
      });
    }
    repositories = (body.repositories as string[]).map((name) => {
      const repo = installed.find((r) => r.name.toLowerCase() === name.toLowerCase());
      if (!repo) throw unreachable();
      return repo;
    });
  }
  if (body.repository_ids !== undefined) {
    if (!Array.isArray(body.repository_ids)) {
      throw new HttpError(422, {
        message: "Invalid request.\n\nFor 'properties/repository_ids', is not an array.",
        documentation_url: DOCS,
      });
    }
    const byId = (body.repository_ids as unknown[]).map((id) => {
      const repo = installed.find((r) => r.id === id);
      if (!repo) throw unreachable();
      return repo;
    });
    repositories = [...new Set([...(repositories ?? []), ...byId])];
  }

  const granted = APP_PERMISSIONS as TokenPermissions;
  let permissions: TokenPermissions = { ...granted };
  if (body.permissions !== undefined) {
    if (
      typeof body.permissions !== "object" ||
      body.permissions === null ||
      Array.isArray(body.permissions)
    ) {
      throw new HttpError(422, {
        message: "Invalid request.\n\nFor 'properties/permissions', is not an object.",
        documentation_url: DOCS,
      });
    }
    permissions = {};
    for (const [name, level] of Object.entries(body.permissions as Record<string, unknown>)) {
      if (level !== "read" && level !== "write") {
        throw new HttpError(422, {
          message: `Invalid request.\n\nFor 'properties/permissions/${name}', "${String(level)}" is not one of read, write.`,
          documentation_url: DOCS,
        });
      }
      if (!allows(granted, name, level)) {
        throw new HttpError(422, {
          message: "The permissions requested are not granted to this installation.",
          documentation_url: DOCS,
        });
      }
      permissions[name] = level;
    }
    permissions.metadata ??= "read";
  }
  return {
    repositoryIds: repositories ? repositories.map((r) => r.id) : null,
    repositories,
    permissions,
  };
}

/** One of these permissions at this level (GitHub: "at least one of the following"). */
export interface Requirement {
  anyOf: string[];
  level: PermissionLevel;
}

type RequirementOf = (
  store: Store,
  repo: RepoState,
  match: RegExpExecArray,
  method: string,
) => Requirement;

interface Rule {
  method: string | null;
  regex: RegExp;
  requirement: RequirementOf;
}

const levelOf = (method: string): PermissionLevel => (method === "GET" ? "read" : "write");

/** `:n` is a number (captured), `*` one or more segments; relative to /repos/{owner}/{repo}. */
function rule(method: string | null, pattern: string, requirement: RequirementOf): Rule {
  const source = pattern
    .split("/")
    .map((s) =>
      s === ":n" ? "(\\d+)" : s === "*" ? ".+" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("/");
  return { method, regex: new RegExp(`^/repos/[^/]+/[^/]+${source}/?$`), requirement };
}

/** These permissions at the method's level (GET reads, anything else writes) unless `level` says. */
const fixed =
  (anyOf: string[], level?: PermissionLevel): RequirementOf =>
  (_store, _repo, _match, method) => ({ anyOf, level: level ?? levelOf(method) });

/** Issue-level endpoints: issues, or on a pull request issues or pull requests. */
const onIssue =
  (isPull: (store: Store, repo: RepoState, n: number) => boolean): RequirementOf =>
  (store, repo, match, method) => ({
    anyOf: isPull(store, repo, Number(match[1])) ? ["issues", "pull_requests"] : ["issues"],
    level: levelOf(method),
  });

const issueIsPull = (_store: Store, repo: RepoState, n: number) =>
  repo.issues.get(n)?.pull !== undefined;

/** Per endpoint, what GitHub's "Permissions required for GitHub Apps" asks (first match wins). */
const RULES: Rule[] = [
  rule("GET", "", fixed(["metadata"], "read")),
  rule("GET", "/collaborators/*", fixed(["metadata"], "read")),
  rule(null, "/contents/*", fixed(["contents"])),
  rule(null, "/git/*", fixed(["contents"])),
  rule(null, "/branches", fixed(["contents"])),
  rule(null, "/branches/*", fixed(["contents"])),
  rule(null, "/commits/*/check-runs", fixed(["checks"])),
  rule(null, "/commits/*", fixed(["contents"])),
  rule(null, "/check-runs", fixed(["checks"])),
  rule(null, "/check-runs/*", fixed(["checks"])),
  rule(null, "/pulls", fixed(["pull_requests"])),
  rule(null, "/pulls/*", fixed(["pull_requests"])),
  rule(null, "/issues/comments/:n", onIssue(isPullComment)),
  rule(null, "/issues/comments/:n/*", onIssue(isPullComment)),
  rule(null, "/issues/:n", onIssue(issueIsPull)),
  rule(null, "/issues/:n/*", onIssue(issueIsPull)),
  rule(null, "/issues", fixed(["issues"])),
];

function isPullComment(store: Store, repo: RepoState, id: number): boolean {
  const comment = store.comments.get(id);
  return comment?.repo === repo && repo.issues.get(comment.issueNumber)?.pull !== undefined;
}

/** What a REST request on a repository needs; metadata read for anything not listed. */
export function restRequirement(store: Store, repo: RepoState, method: string, path: string) {
  for (const r of RULES) {
    if (r.method !== null && r.method !== method) continue;
    const match = r.regex.exec(path);
    if (match) return r.requirement(store, repo, match, method);
  }
  return { anyOf: ["metadata"], level: "read" as const };
}

export function forbidden(requirement: Requirement): HttpError {
  return new HttpError(
    403,
    {
      message: "Resource not accessible by integration",
      documentation_url: "https://docs.github.com/rest",
      status: "403",
    },
    {
      "x-accepted-github-permissions": requirement.anyOf
        .map((name) => `${name}=${requirement.level}`)
        .join("; "),
    },
  );
}

/**
 * Enforces a token's scope on a REST request under /repos/{owner}/{repo}:
 * 404 for a repository outside it, 403 for a permission it lacks.
 */
export function enforceRestScope(store: Store, ctx: RequestContext, scope: TokenScope): void {
  const match = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(ctx.path);
  if (!match) return;
  const repo = store.findRepo(decodeURIComponent(match[1]!), decodeURIComponent(match[2]!));
  if (!repo) return;
  if (!tokenMayReach(scope, repo)) {
    throw new HttpError(404, {
      message: "Not Found",
      documentation_url: "https://docs.github.com/rest",
    });
  }
  const requirement = restRequirement(store, repo, ctx.method, ctx.path);
  if (!requirement.anyOf.some((name) => allows(scope.permissions, name, requirement.level))) {
    throw forbidden(requirement);
  }
}
