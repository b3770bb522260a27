/**
 * Check runs, validated as GitHub validates them: at most 50 annotations per
 * request (later PATCHes append), output summary and text at most 65535 BYTES
 * (GitHub's docs say characters, its validator counts bytes), a conclusion
 * required once completed.
 */
import { resolveCommit } from "./git.js";
import {
  bodyObject,
  invalidRequest,
  isoNow,
  notFound,
  paginate,
  validationFailed,
} from "./http.js";
import type { RequestContext, Router } from "./http.js";
import type { Annotation, CheckRunState, Store } from "./state.js";

export const MAX_ANNOTATIONS_PER_REQUEST = 50;
export const MAX_OUTPUT_BYTES = 65535;

const STATUSES = ["queued", "in_progress", "completed"] as const;
const CONCLUSIONS = [
  "action_required",
  "cancelled",
  "failure",
  "neutral",
  "success",
  "skipped",
  "timed_out",
] as const;
const LEVELS = ["notice", "warning", "failure"] as const;

function missing(fields: string[]): never {
  const list = fields.map((f) => `"${f}"`).join(", ");
  throw invalidRequest(`${list} ${fields.length === 1 ? "wasn't" : "weren't"} supplied.`);
}

function checkBytes(field: string, value: unknown): void {
  if (typeof value === "string" && Buffer.byteLength(value, "utf8") > MAX_OUTPUT_BYTES) {
    throw validationFailed([
      {
        resource: "CheckRun",
        code: "custom",
        field,
        message: `${field} exceeds a maximum bytesize of ${MAX_OUTPUT_BYTES}`,
      },
    ]);
  }
}

function validAnnotations(raw: unknown): Annotation[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw))
    throw invalidRequest(`For 'properties/annotations', it is not an array.`);
  if (raw.length > MAX_ANNOTATIONS_PER_REQUEST) {
    throw invalidRequest(
      `No more than ${MAX_ANNOTATIONS_PER_REQUEST} items are allowed; ${raw.length} were supplied.`,
    );
  }
  return raw.map((item: unknown) => {
    const a = (typeof item === "object" && item !== null ? item : {}) as Record<string, unknown>;
    const absent = ["path", "start_line", "end_line", "annotation_level", "message"].filter(
      (f) => a[f] === undefined || a[f] === null,
    );
    if (absent.length > 0) missing(absent);
    if (!LEVELS.includes(a.annotation_level as (typeof LEVELS)[number])) {
      throw invalidRequest(
        `${JSON.stringify(a.annotation_level)} is not a member of ${JSON.stringify(LEVELS)}.`,
      );
    }
    if (!Number.isInteger(a.start_line) || !Number.isInteger(a.end_line)) {
      throw invalidRequest(`"start_line" and "end_line" must be integers.`);
    }
    if (
      (a.start_column !== undefined || a.end_column !== undefined) &&
      a.start_line !== a.end_line
    ) {
      throw validationFailed([
        {
          resource: "CheckRun",
          code: "custom",
          field: "annotations",
          message: "start_column and end_column may only be given when start_line equals end_line",
        },
      ]);
    }
    checkBytes("message", a.message);
    checkBytes("raw_details", a.raw_details);
    return a as unknown as Annotation;
  });
}

/** Applies a create or update body to `run` after validating all of it (nothing half-applied). */
function applyInput(run: CheckRunState, body: Record<string, unknown>): void {
  if (body.status !== undefined && !STATUSES.includes(body.status as (typeof STATUSES)[number])) {
    throw invalidRequest(
      `${JSON.stringify(body.status)} is not a member of ${JSON.stringify(STATUSES)}.`,
    );
  }
  if (
    body.conclusion !== undefined &&
    body.conclusion !== null &&
    !CONCLUSIONS.includes(body.conclusion as (typeof CONCLUSIONS)[number])
  ) {
    throw invalidRequest(
      `${JSON.stringify(body.conclusion)} is not a member of ${JSON.stringify(CONCLUSIONS)}.`,
    );
  }
  // A conclusion completes the run; "completed" without one is refused.
  const conclusion = typeof body.conclusion === "string" ? body.conclusion : null;
  const status = conclusion
    ? "completed"
    : ((body.status as CheckRunState["status"] | undefined) ?? run.status);
  if (status === "completed" && !conclusion && !(body.status === undefined && run.conclusion)) {
    missing(["conclusion"]);
  }
  let annotations: Annotation[] = [];
  let output: Record<string, unknown> | undefined;
  if (body.output !== undefined && body.output !== null) {
    if (typeof body.output !== "object")
      throw invalidRequest(`For 'properties/output', it is not an object.`);
    output = body.output as Record<string, unknown>;
    const absent = ["title", "summary"].filter((f) => typeof output?.[f] !== "string");
    if (absent.length > 0) missing(absent);
    checkBytes("summary", output.summary);
    checkBytes("text", output.text);
    annotations = validAnnotations(output.annotations);
  }
  if (Array.isArray(body.actions) && body.actions.length > 3) {
    throw invalidRequest(`No more than 3 items are allowed; ${body.actions.length} were supplied.`);
  }

  if (typeof body.name === "string") run.name = body.name;
  if (typeof body.details_url === "string") run.detailsUrl = body.details_url;
  if (typeof body.external_id === "string") run.externalId = body.external_id;
  if (typeof body.started_at === "string") run.startedAt = body.started_at;
  if (Array.isArray(body.actions)) run.actions = body.actions;
  run.status = status;
  if (status === "completed") {
    run.conclusion = conclusion ?? run.conclusion;
    run.completedAt =
      typeof body.completed_at === "string" ? body.completed_at : (run.completedAt ?? isoNow());
  } else {
    run.conclusion = null;
    run.completedAt = null;
  }
  if (output) {
    run.output.title = output.title as string;
    run.output.summary = output.summary as string;
    if (typeof output.text === "string" || output.text === null) run.output.text = output.text;
    run.annotations.push(...annotations);
  }
}

function checkRunFor(store: Store, ctx: RequestContext): CheckRunState {
  const repo = store.repoFor(ctx);
  const run = store.checkRuns.get(Number(ctx.params.id));
  if (!run || run.repo !== repo) throw notFound();
  return run;
}

export function registerCheckRoutes(router: Router, store: Store): void {
  router.on("POST", "/repos/:owner/:repo/check-runs", async (ctx) => {
    const repo = store.repoFor(ctx);
    store.requireInstallation(ctx);
    const body = bodyObject(ctx);
    const absent = ["name", "head_sha"].filter(
      (f) => typeof body[f] !== "string" || body[f] === "",
    );
    if (absent.length > 0) missing(absent);
    const headSha = body.head_sha as string;
    if (
      !/^[0-9a-f]{40}$/.test(headSha) ||
      (await resolveCommit(repo.gitDir, headSha)) !== headSha
    ) {
      throw validationFailed([
        {
          resource: "CheckRun",
          code: "custom",
          field: "head_sha",
          message: `No commit found for SHA: ${headSha}`,
        },
      ]);
    }
    const run: CheckRunState = {
      id: store.nextId("check"),
      repo,
      name: body.name as string,
      headSha,
      status: "queued",
      conclusion: null,
      startedAt: isoNow(),
      completedAt: null,
      externalId: "",
      detailsUrl: null,
      output: { title: null, summary: null, text: null },
      annotations: [],
      checkSuiteId: store.checkSuiteFor(repo, headSha).id,
      actions: [],
    };
    applyInput(run, body);
    store.checkRuns.set(run.id, run);
    return { status: 201, body: store.checkRunJson(run) };
  });

  router.on("GET", "/repos/:owner/:repo/check-runs/:id", (ctx) => ({
    status: 200,
    body: store.checkRunJson(checkRunFor(store, ctx)),
  }));

  router.on("PATCH", "/repos/:owner/:repo/check-runs/:id", (ctx) => {
    store.requireInstallation(ctx);
    const run = checkRunFor(store, ctx);
    applyInput(run, bodyObject(ctx));
    return { status: 200, body: store.checkRunJson(run) };
  });

  router.on("GET", "/repos/:owner/:repo/check-runs/:id/annotations", (ctx) => {
    const run = checkRunFor(store, ctx);
    const all = run.annotations.map((a) => ({
      path: a.path,
      start_line: a.start_line,
      end_line: a.end_line,
      start_column: a.start_column ?? null,
      end_column: a.end_column ?? null,
      annotation_level: a.annotation_level,
      title: a.title ?? null,
      message: a.message,
      raw_details: a.raw_details ?? null,
      blob_href: `${store.baseUrl}/${run.repo.fullName}/blob/${run.headSha}/${a.path}`,
    }));
    const { page, headers } = paginate(ctx, all);
    return { status: 200, body: page, headers };
  });

  router.on("GET", "/repos/:owner/:repo/commits/:ref/check-runs", async (ctx) => {
    const repo = store.repoFor(ctx);
    const ref = ctx.params.ref ?? "";
    const sha = await resolveCommit(repo.gitDir, ref);
    if (!sha)
      throw validationFailed([
        { resource: "Commit", code: "custom", message: `No commit found for SHA: ${ref}` },
      ]);
    const name = ctx.query.get("check_name");
    const status = ctx.query.get("status");
    const filter = ctx.query.get("filter") ?? "latest";
    let runs = [...store.checkRuns.values()]
      .filter((r) => r.repo === repo && r.headSha === sha)
      .sort((a, b) => b.id - a.id);
    if (filter === "latest") {
      const seen = new Set<string>();
      runs = runs.filter((r) => (seen.has(r.name) ? false : (seen.add(r.name), true)));
    }
    runs = runs.filter((r) => (!name || r.name === name) && (!status || r.status === status));
    const { page, headers } = paginate(ctx, runs);
    return {
      status: 200,
      body: { total_count: runs.length, check_runs: page.map((r) => store.checkRunJson(r)) },
      headers,
    };
  });
}
