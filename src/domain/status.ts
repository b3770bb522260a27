import { z } from "zod";
import { plural } from "../util/plural.js";
import { formatDuration } from "../util/format-duration.js";

export { formatDuration };

/**
 * The ONE status comment chant-bot keeps per issue or pull request. Its state
 * travels inside the comment (a hidden, base64-encoded marker), so whoever
 * edits it next (the web process acknowledging a command, a worker reporting a
 * step) reads the current state from the comment itself and renders it again.
 */

export const STATUS_MARKER = "<!-- chant-bot:status -->";
const STATE_MARKER = /<!-- chant-bot:state ([A-Za-z0-9+/=]+) -->/;

export const STEP_NAMES = [
  "find_research",
  "draft_spec",
  "prepare_workspace",
  "run_agent",
  "verify_result",
  "commit",
  "publish",
  "hand_over_checks",
] as const;
export type StepName = (typeof STEP_NAMES)[number];

export const STEP_TITLES: Record<StepName, string> = {
  find_research: "Find the research spec",
  draft_spec: "Draft the implementation spec",
  prepare_workspace: "Prepare a fresh clone",
  run_agent: "Run the agent",
  verify_result: "Verify the result",
  commit: "Commit",
  publish: "Push and open the pull request",
  hand_over_checks: "Start the checks",
};

const stepState = z.enum(["pending", "running", "done", "failed", "skipped"]);
export type StepState = z.infer<typeof stepState>;

export const PHASES = [
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
  "refused",
  "needs_research",
  "awaiting_approval",
  "info",
] as const;
export type Phase = (typeof PHASES)[number];

/** Phases in which a run has ended (its outcome is said); the others are on the way or a notice. */
export const ENDED_PHASES: ReadonlySet<Phase> = new Set<Phase>([
  "succeeded",
  "failed",
  "cancelled",
  "refused",
  "needs_research",
  "awaiting_approval",
]);

export const statusStateSchema = z.object({
  v: z.literal(1),
  phase: z.enum(PHASES),
  /** One markdown line: what is going on. */
  headline: z.string().max(2000),
  /** Markdown lines under the headline. */
  details: z.array(z.string().max(10_000)).max(100).default([]),
  steps: z
    .array(
      z.object({
        name: z.enum(STEP_NAMES),
        state: stepState,
        ms: z.number().nonnegative().optional(),
        note: z.string().max(2000).optional(),
      }),
    )
    .max(STEP_NAMES.length)
    .default([]),
  links: z
    .array(z.object({ label: z.string().max(200), url: z.string().max(2000) }))
    .max(20)
    .default([]),
  stats: z
    .object({
      durationMs: z.number().optional(),
      turns: z.number().optional(),
      costUsd: z.number().optional(),
      model: z.string().max(200).optional(),
    })
    .optional(),
  /** The last reply to a person (refused permission, help, already running...). */
  notice: z.string().max(10_000).optional(),
  jobId: z.string().max(300).optional(),
  updatedAt: z.string(),
});

export type StatusState = z.infer<typeof statusStateSchema>;

export type StatusUpdate = (previous: StatusState | undefined) => StatusState;

const PHASE_ICONS: Record<Phase, string> = {
  queued: "⏳",
  running: "⚙️",
  succeeded: "✅",
  failed: "❌",
  cancelled: "🛑",
  refused: "🚫",
  needs_research: "🔬",
  awaiting_approval: "✋",
  info: "ℹ️",
};

const STEP_ICONS: Record<StepState, string> = {
  pending: "▫️",
  running: "⏳",
  done: "✅",
  failed: "❌",
  skipped: "⏭️",
};

export function isStatusComment(body: string | undefined | null): boolean {
  return (body ?? "").includes(STATUS_MARKER);
}

/** The state a status comment carries; undefined when it carries none (or a damaged one). */
export function readStatusState(body: string | undefined | null): StatusState | undefined {
  const match = STATE_MARKER.exec(body ?? "");
  if (!match) return undefined;
  try {
    const json: unknown = JSON.parse(Buffer.from(match[1]!, "base64").toString("utf8"));
    const parsed = statusStateSchema.safeParse(json);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** GitHub refuses comment bodies over 65,536 characters; the state rides along in base64. */
const MAX_DETAILS_CHARS = 12_000;

/**
 * The state cut to what the schema reads back and what fits a comment: long
 * texts (a quoted RCA, implementation notes) are shortened with a mark, the
 * details as a whole kept under a budget (the state is written twice: as
 * text and, base64-encoded, in the marker).
 */
export function boundedState(state: StatusState): StatusState {
  const cut = (text: string, max: number) =>
    text.length > max ? `${text.slice(0, max - 1)}…` : text;
  const details: string[] = [];
  let used = 0;
  for (const line of state.details.slice(0, 100)) {
    const kept = cut(line, 2000);
    if (used + kept.length > MAX_DETAILS_CHARS) {
      details.push("…(more in the worker's logs)");
      break;
    }
    details.push(kept);
    used += kept.length;
  }
  return {
    ...state,
    headline: cut(state.headline, 300),
    details,
    steps: state.steps.map((step) => (step.note ? { ...step, note: cut(step.note, 300) } : step)),
    links: state.links
      .slice(0, 20)
      .map((l) => ({ label: cut(l.label, 200), url: cut(l.url, 2000) })),
    ...(state.notice ? { notice: cut(state.notice, 4000) } : {}),
  };
}

export function renderStatusComment(full: StatusState): string {
  const state = boundedState(full);
  const lines = [STATUS_MARKER, `### ${PHASE_ICONS[state.phase]} chant-bot: ${state.headline}`];
  if (state.details.length > 0) lines.push("", ...state.details);
  if (state.steps.length > 0) {
    lines.push("");
    for (const step of state.steps) {
      const time = step.ms === undefined ? "" : ` (${formatDuration(step.ms)})`;
      const note = step.note ? `: ${step.note}` : "";
      lines.push(`- ${STEP_ICONS[step.state]} ${STEP_TITLES[step.name]}${time}${note}`);
    }
  }
  if (state.links.length > 0) {
    lines.push("", state.links.map((l) => `[${l.label}](${l.url})`).join(" · "));
  }
  const stats = state.stats;
  if (stats) {
    const parts = [
      stats.durationMs === undefined ? undefined : `took ${formatDuration(stats.durationMs)}`,
      stats.turns === undefined ? undefined : plural(stats.turns, "agent turn"),
      stats.costUsd === undefined ? undefined : `$${stats.costUsd.toFixed(2)}`,
      stats.model ? `model \`${stats.model}\`` : undefined,
    ].filter(Boolean);
    if (parts.length > 0) lines.push("", parts.join(" · "));
  }
  if (state.notice) lines.push("", `> ${state.notice.replace(/\n/g, "\n> ")}`);
  lines.push(
    "",
    `<sub>${state.jobId ? `Job \`${state.jobId}\` · ` : ""}updated ${state.updatedAt} · \`/chant help\` for commands</sub>`,
    `<!-- chant-bot:state ${Buffer.from(JSON.stringify(state)).toString("base64")} -->`,
  );
  return lines.join("\n");
}

/** Fresh step list, all pending. */
export function pendingSteps(): StatusState["steps"] {
  return STEP_NAMES.map((name) => ({ name, state: "pending" as const }));
}

/** A new state for a phase and headline, keeping nothing from before. */
export function freshStatus(
  phase: Phase,
  headline: string,
  extra: Partial<StatusState> = {},
): StatusState {
  return {
    v: 1,
    phase,
    headline,
    details: [],
    steps: [],
    links: [],
    ...extra,
    updatedAt: new Date().toISOString(),
  };
}

/** Keep the job's progress, replace only the notice (a reply to someone). */
export function withNotice(previous: StatusState | undefined, notice: string): StatusState {
  const base = previous ?? freshStatus("info", "nothing has run here yet");
  return { ...base, notice, updatedAt: new Date().toISOString() };
}
