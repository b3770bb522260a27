/** Issues, issue comments, reactions and labels. */
import {
  HttpError,
  bodyObject,
  invalidRequest,
  isoNow,
  notFound,
  paginate,
  validationFailed,
} from "./http.js";
import type { RequestContext, Router } from "./http.js";
import { REACTION_CONTENTS } from "./state.js";
import type { ReactionContent, ReactionTarget, Store } from "./state.js";

/** GitHub's limit on issue and comment bodies. */
export const MAX_COMMENT_BODY = 65536;

function numberParam(ctx: RequestContext, name: string): number {
  const value = ctx.params[name] ?? "";
  if (!/^\d+$/.test(value)) throw notFound();
  return Number(value);
}

function commentBody(ctx: RequestContext): string {
  const body = bodyObject(ctx).body;
  if (typeof body !== "string") throw invalidRequest(`"body" wasn't supplied.`);
  if (body.trim() === "") {
    throw validationFailed([{ resource: "IssueComment", code: "missing_field", field: "body" }]);
  }
  if (body.length > MAX_COMMENT_BODY) {
    throw validationFailed([
      {
        resource: "IssueComment",
        code: "custom",
        field: "body",
        message: `body is too long (maximum is ${MAX_COMMENT_BODY} characters)`,
      },
    ]);
  }
  return body;
}

export function registerIssueRoutes(router: Router, store: Store): void {
  // Comment routes first: "/issues/comments/..." must not read as issue number "comments".
  router.on("GET", "/repos/:owner/:repo/issues/comments/:id", (ctx) => {
    const repo = store.repoFor(ctx);
    return { status: 200, body: store.commentJson(store.commentFor(repo, numberParam(ctx, "id"))) };
  });

  router.on("PATCH", "/repos/:owner/:repo/issues/comments/:id", (ctx) => {
    const repo = store.repoFor(ctx);
    const comment = store.commentFor(repo, numberParam(ctx, "id"));
    comment.body = commentBody(ctx);
    comment.updatedAt = isoNow();
    return { status: 200, body: store.commentJson(comment) };
  });

  router.on("DELETE", "/repos/:owner/:repo/issues/comments/:id", (ctx) => {
    const repo = store.repoFor(ctx);
    const comment = store.commentFor(repo, numberParam(ctx, "id"));
    store.comments.delete(comment.id);
    return { status: 204 };
  });

  const reactionRoutes = (pattern: string, target: (ctx: RequestContext) => ReactionTarget) => {
    router.on("GET", pattern, (ctx) => {
      const content = ctx.query.get("content");
      const all = store
        .reactionsOn(target(ctx))
        .filter((r) => !content || r.content === content)
        .map((r) => store.reactionJson(r));
      const { page, headers } = paginate(ctx, all);
      return { status: 200, body: page, headers };
    });
    router.on("POST", pattern, (ctx) => {
      const on = target(ctx);
      const content = bodyObject(ctx).content;
      if (typeof content !== "string" || !REACTION_CONTENTS.includes(content as ReactionContent)) {
        throw validationFailed([{ resource: "Reaction", code: "invalid", field: "content" }]);
      }
      const user = store.actor(ctx);
      // Like GitHub: the same reaction by the same user again is 200 with the existing one.
      const existing = store.reactionsOn(on).find((r) => r.user === user && r.content === content);
      if (existing) return { status: 200, body: store.reactionJson(existing) };
      const reaction = {
        id: store.nextId("reaction"),
        content: content as ReactionContent,
        user,
        createdAt: isoNow(),
        target: on,
      };
      store.reactions.push(reaction);
      return { status: 201, body: store.reactionJson(reaction) };
    });
    router.on("DELETE", `${pattern}/:reactionId`, (ctx) => {
      const on = target(ctx);
      const id = numberParam(ctx, "reactionId");
      const index = store.reactions.findIndex(
        (r) => r.id === id && store.reactionsOn(on).includes(r),
      );
      if (index < 0) throw notFound();
      store.reactions.splice(index, 1);
      return { status: 204 };
    });
  };

  reactionRoutes("/repos/:owner/:repo/issues/comments/:id/reactions", (ctx) => {
    const repo = store.repoFor(ctx);
    return { kind: "comment", commentId: store.commentFor(repo, numberParam(ctx, "id")).id };
  });

  reactionRoutes("/repos/:owner/:repo/issues/:number/reactions", (ctx) => {
    const repo = store.repoFor(ctx);
    const issue = store.issueFor(repo, numberParam(ctx, "number"));
    return { kind: "issue", repo, number: issue.number };
  });

  router.on("GET", "/repos/:owner/:repo/issues/:number", (ctx) => {
    const repo = store.repoFor(ctx);
    return { status: 200, body: store.issueJson(store.issueFor(repo, numberParam(ctx, "number"))) };
  });

  router.on("PATCH", "/repos/:owner/:repo/issues/:number", (ctx) => {
    const repo = store.repoFor(ctx);
    const issue = store.issueFor(repo, numberParam(ctx, "number"));
    const body = bodyObject(ctx);
    if (typeof body.title === "string") issue.title = body.title;
    if (typeof body.body === "string" || body.body === null) issue.body = body.body;
    if (body.state === "open" || body.state === "closed") {
      issue.closedAt = body.state === "closed" ? isoNow() : null;
      issue.state = body.state;
    }
    if (Array.isArray(body.labels)) issue.labels = labelNames(body.labels);
    issue.updatedAt = isoNow();
    return { status: 200, body: store.issueJson(issue) };
  });

  router.on("GET", "/repos/:owner/:repo/issues/:number/comments", (ctx) => {
    const repo = store.repoFor(ctx);
    const issue = store.issueFor(repo, numberParam(ctx, "number"));
    const all = [...store.comments.values()]
      .filter((c) => c.repo === repo && c.issueNumber === issue.number)
      .sort((a, b) => a.id - b.id)
      .map((c) => store.commentJson(c));
    const { page, headers } = paginate(ctx, all);
    return { status: 200, body: page, headers };
  });

  router.on("POST", "/repos/:owner/:repo/issues/:number/comments", (ctx) => {
    const repo = store.repoFor(ctx);
    const issue = store.issueFor(repo, numberParam(ctx, "number"));
    const comment = store.addComment(
      repo,
      issue.number,
      store.actor(ctx),
      commentBody(ctx),
      // Written with an installation token: GitHub names the App that wrote it.
      ctx.auth.kind === "installation" ? store.appId : undefined,
    );
    return {
      status: 201,
      body: store.commentJson(comment),
      headers: { location: `${store.apiUrl}/repos/${repo.fullName}/issues/comments/${comment.id}` },
    };
  });

  router.on("GET", "/repos/:owner/:repo/issues/:number/labels", (ctx) => {
    const repo = store.repoFor(ctx);
    const issue = store.issueFor(repo, numberParam(ctx, "number"));
    return { status: 200, body: issue.labels.map((name) => store.labelJson(repo, name)) };
  });

  router.on("POST", "/repos/:owner/:repo/issues/:number/labels", (ctx) => {
    const repo = store.repoFor(ctx);
    const issue = store.issueFor(repo, numberParam(ctx, "number"));
    const raw = Array.isArray(ctx.body) ? ctx.body : bodyObject(ctx).labels;
    if (!Array.isArray(raw)) throw invalidRequest(`"labels" wasn't supplied.`);
    for (const name of labelNames(raw)) {
      if (!issue.labels.some((l) => l.toLowerCase() === name.toLowerCase()))
        issue.labels.push(name);
    }
    issue.updatedAt = isoNow();
    return { status: 200, body: issue.labels.map((name) => store.labelJson(repo, name)) };
  });

  router.on("DELETE", "/repos/:owner/:repo/issues/:number/labels/:name", (ctx) => {
    const repo = store.repoFor(ctx);
    const issue = store.issueFor(repo, numberParam(ctx, "number"));
    const name = (ctx.params.name ?? "").toLowerCase();
    const index = issue.labels.findIndex((l) => l.toLowerCase() === name);
    if (index < 0) throw new HttpError(404, { message: "Label does not exist" });
    issue.labels.splice(index, 1);
    issue.updatedAt = isoNow();
    return { status: 200, body: issue.labels.map((label) => store.labelJson(repo, label)) };
  });
}

function labelNames(raw: unknown[]): string[] {
  return raw.map((item) => {
    if (typeof item === "string") return item;
    if (
      typeof item === "object" &&
      item !== null &&
      typeof (item as { name?: unknown }).name === "string"
    ) {
      return (item as { name: string }).name;
    }
    throw validationFailed([{ resource: "Label", code: "invalid", field: "name" }]);
  });
}
