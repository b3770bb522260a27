/** Pull requests: list, create, read, update, files, requested reviewers. */
import { branchSha, diffFiles, git } from "./git.js";
import {
  bodyObject,
  invalidRequest,
  isoNow,
  notFound,
  paginate,
  validationFailed,
} from "./http.js";
import type { RequestContext, Router } from "./http.js";
import type { IssueState, RepoState, Store } from "./state.js";

function pullNumber(ctx: RequestContext): number {
  const value = ctx.params.number ?? "";
  if (!/^\d+$/.test(value)) throw notFound();
  return Number(value);
}

function openPullFor(store: Store, repo: RepoState, headRepo: RepoState, headRef: string) {
  return [...repo.issues.values()].find(
    (i) =>
      i.pull && i.state === "open" && i.pull.headRepo === headRepo && i.pull.headRef === headRef,
  );
}

/** `head` is `branch` (same repository) or `owner:branch` (a fork in the same network). */
function resolveHead(
  store: Store,
  repo: RepoState,
  head: string,
): { headRepo: RepoState; headRef: string } | null {
  const colon = head.indexOf(":");
  if (colon < 0) return { headRepo: repo, headRef: head };
  const owner = head.slice(0, colon);
  const headRef = head.slice(colon + 1);
  if (owner.toLowerCase() === repo.owner.toLowerCase()) return { headRepo: repo, headRef };
  const fork = [...store.repos.values()].find(
    (r) => r.owner.toLowerCase() === owner.toLowerCase() && r.parent === repo,
  );
  return fork ? { headRepo: fork, headRef } : null;
}

export function registerPullRoutes(router: Router, store: Store): void {
  router.on("GET", "/repos/:owner/:repo/pulls", async (ctx) => {
    const repo = store.repoFor(ctx);
    const state = ctx.query.get("state") ?? "open";
    const head = ctx.query.get("head");
    const base = ctx.query.get("base");
    // GitHub ignores a `head` filter without the `owner:` part (a classic trap), so do we.
    const headFilter = head && head.includes(":") ? head : null;
    const matches = [...repo.issues.values()]
      .filter(
        (i): i is IssueState & { pull: NonNullable<IssueState["pull"]> } => i.pull !== undefined,
      )
      .filter((i) => state === "all" || i.state === state)
      .filter((i) => !base || i.pull.baseRef === base)
      .filter((i) => {
        if (!headFilter) return true;
        const [owner = "", ...ref] = headFilter.split(":");
        return (
          i.pull.headRepo.owner.toLowerCase() === owner.toLowerCase() &&
          i.pull.headRef === ref.join(":")
        );
      })
      .sort((a, b) => b.number - a.number);
    const { page, headers } = paginate(ctx, matches);
    return { status: 200, body: await Promise.all(page.map((i) => store.pullJson(i))), headers };
  });

  router.on("POST", "/repos/:owner/:repo/pulls", async (ctx) => {
    const repo = store.repoFor(ctx);
    const body = bodyObject(ctx);
    for (const field of ["head", "base"] as const) {
      if (typeof body[field] !== "string" || body[field] === "") {
        throw invalidRequest(`"${field}" wasn't supplied.`);
      }
    }
    if (typeof body.title !== "string" || body.title.trim() === "") {
      throw validationFailed([{ resource: "PullRequest", code: "missing_field", field: "title" }]);
    }
    const headInput = body.head as string;
    const baseRef = body.base as string;
    const head = resolveHead(store, repo, headInput);
    const headSha = head && (await branchSha(head.headRepo.gitDir, head.headRef));
    if (!head || !headSha) {
      throw validationFailed([{ resource: "PullRequest", field: "head", code: "invalid" }]);
    }
    const baseSha = await branchSha(repo.gitDir, baseRef);
    if (!baseSha)
      throw validationFailed([{ resource: "PullRequest", field: "base", code: "invalid" }]);
    const label = `${head.headRepo.owner}:${head.headRef}`;
    if (openPullFor(store, repo, head.headRepo, head.headRef)) {
      throw validationFailed([
        {
          resource: "PullRequest",
          code: "custom",
          message: `A pull request already exists for ${label}.`,
        },
      ]);
    }
    if (!(await hasCommitsBetween(repo, head.headRepo, baseSha, headSha))) {
      throw validationFailed([
        {
          resource: "PullRequest",
          code: "custom",
          message: `No commits between ${baseRef} and ${headInput}`,
        },
      ]);
    }
    const issue = store.addIssue(repo, {
      title: body.title,
      body: typeof body.body === "string" ? body.body : null,
      user: store.actor(ctx),
    });
    issue.pull = {
      headRepo: head.headRepo,
      headRef: head.headRef,
      baseRef,
      draft: body.draft === true,
      merged: false,
      maintainerCanModify: body.maintainer_can_modify !== false,
      requestedReviewers: [],
      lastHeadSha: headSha,
    };
    return {
      status: 201,
      body: await store.pullJson(issue),
      headers: { location: `${store.apiUrl}/repos/${repo.fullName}/pulls/${issue.number}` },
    };
  });

  router.on("GET", "/repos/:owner/:repo/pulls/:number", async (ctx) => {
    const repo = store.repoFor(ctx);
    return { status: 200, body: await store.pullJson(store.pullFor(repo, pullNumber(ctx))) };
  });

  router.on("PATCH", "/repos/:owner/:repo/pulls/:number", async (ctx) => {
    const repo = store.repoFor(ctx);
    const issue = store.pullFor(repo, pullNumber(ctx));
    const pull = issue.pull!;
    const body = bodyObject(ctx);
    if (typeof body.base === "string") {
      if (!(await branchSha(repo.gitDir, body.base))) {
        throw validationFailed([{ resource: "PullRequest", field: "base", code: "invalid" }]);
      }
      pull.baseRef = body.base;
    }
    if (body.state === "open" && issue.state === "closed") {
      if (openPullFor(store, repo, pull.headRepo, pull.headRef)) {
        throw validationFailed([
          {
            resource: "PullRequest",
            code: "custom",
            message: `A pull request already exists for ${pull.headRepo.owner}:${pull.headRef}.`,
          },
        ]);
      }
      issue.state = "open";
      issue.closedAt = null;
    } else if (body.state === "closed" && issue.state === "open") {
      issue.state = "closed";
      issue.closedAt = isoNow();
    }
    if (typeof body.title === "string") issue.title = body.title;
    if (typeof body.body === "string" || body.body === null) issue.body = body.body;
    if (typeof body.maintainer_can_modify === "boolean")
      pull.maintainerCanModify = body.maintainer_can_modify;
    // `draft` is not writable through REST on GitHub (GraphQL only): ignored, like there.
    issue.updatedAt = isoNow();
    return { status: 200, body: await store.pullJson(issue) };
  });

  router.on("GET", "/repos/:owner/:repo/pulls/:number/files", async (ctx) => {
    const repo = store.repoFor(ctx);
    const issue = store.pullFor(repo, pullNumber(ctx));
    const headSha = await store.pullHeadSha(issue);
    const baseSha = await branchSha(repo.gitDir, issue.pull!.baseRef);
    if (!baseSha) throw notFound();
    const changes = await diffFiles(repo.gitDir, baseSha, headSha);
    const all = changes.map((c) => ({
      sha: c.sha,
      filename: c.filename,
      status: c.status,
      additions: c.additions,
      deletions: c.deletions,
      changes: c.additions + c.deletions,
      blob_url: `${store.baseUrl}/${repo.fullName}/blob/${headSha}/${c.filename}`,
      raw_url: `${store.baseUrl}/${repo.fullName}/raw/${headSha}/${c.filename}`,
      contents_url: `${store.apiUrl}/repos/${repo.fullName}/contents/${c.filename}?ref=${headSha}`,
      ...(c.previousFilename ? { previous_filename: c.previousFilename } : {}),
    }));
    const { page, headers } = paginate(ctx, all);
    return { status: 200, body: page, headers };
  });

  router.on("GET", "/repos/:owner/:repo/pulls/:number/requested_reviewers", (ctx) => {
    const repo = store.repoFor(ctx);
    const issue = store.pullFor(repo, pullNumber(ctx));
    return {
      status: 200,
      body: {
        users: issue.pull!.requestedReviewers.map((login) => store.userJson(login)),
        teams: [],
      },
    };
  });

  router.on("POST", "/repos/:owner/:repo/pulls/:number/requested_reviewers", async (ctx) => {
    const repo = store.repoFor(ctx);
    const issue = store.pullFor(repo, pullNumber(ctx));
    const reviewers = bodyObject(ctx).reviewers ?? [];
    if (!Array.isArray(reviewers) || reviewers.some((r) => typeof r !== "string")) {
      throw invalidRequest(`"reviewers" must be an array of logins.`);
    }
    for (const login of reviewers as string[]) {
      if (login.toLowerCase() === issue.user.toLowerCase()) {
        throw validationFailed([
          {
            resource: "PullRequest",
            code: "custom",
            message: "Review cannot be requested from pull request author.",
          },
        ]);
      }
      const permission = store.permissionOf(repo, login);
      if (permission === null || permission === "none") {
        throw validationFailed([
          {
            resource: "PullRequest",
            code: "custom",
            message: `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${repo.fullName} repository.`,
          },
        ]);
      }
    }
    const pull = issue.pull!;
    for (const login of reviewers as string[]) {
      if (!pull.requestedReviewers.some((r) => r.toLowerCase() === login.toLowerCase())) {
        pull.requestedReviewers.push(store.ensureUser(login).login);
      }
    }
    return { status: 201, body: await store.pullJson(issue) };
  });
}

async function hasCommitsBetween(
  repo: RepoState,
  headRepo: RepoState,
  baseSha: string,
  headSha: string,
) {
  if (headRepo !== repo) {
    // The fork's commits are not in the base repository yet; count in the fork.
    await git(["fetch", "--quiet", repo.gitDir, `+${baseSha}:refs/fake-github/base`], {
      gitDir: headRepo.gitDir,
    });
  }
  const out = await git(["rev-list", "--count", `${baseSha}..${headSha}`], {
    gitDir: headRepo.gitDir,
  });
  return Number(out.trim()) > 0;
}
