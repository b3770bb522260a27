import { cutUtf8 } from "../util/utf8.js";

/**
 * The four checks and what a check run says, in words every layer shares:
 * the checks engine makes them, the forge writes them, the queue and the web
 * name them. It imports nothing of the app.
 */

export const CHECK_NAMES = [
  "chant/reproduction",
  "chant/tests",
  "chant/lint",
  "chant/format",
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/** The check run of a plan awaiting approval: is its spec one chant accepts? (Not one of the four.) */
export const SPEC_CHECK_NAME = "chant/spec";
export type CheckRunName = CheckName | typeof SPEC_CHECK_NAME;

export type CheckConclusion =
  "success" | "failure" | "neutral" | "skipped" | "cancelled" | "timed_out" | "action_required";

export interface CheckRunUpdate {
  status: "queued" | "in_progress" | "completed";
  conclusion?: CheckConclusion;
  startedAt?: string;
  completedAt?: string;
  title?: string;
  summary?: string;
  text?: string;
  annotations?: Annotation[];
}

/** A GitHub check-run annotation (the fields the checks API takes). */
export interface Annotation {
  /** Relative to the repository root, forward slashes. */
  path: string;
  start_line: number;
  end_line: number;
  /** Only when start_line === end_line (a GitHub rule). */
  start_column?: number;
  end_column?: number;
  annotation_level: AnnotationLevel;
  /** At most 64 KiB (GitHub's limit). */
  message: string;
  /** E.g. the rule id "no-unused-vars", or "prettier". */
  title?: string;
}

export type AnnotationLevel = "notice" | "warning" | "failure";

/** GitHub's limit for a check run's `output.summary` and `output.text`. */
export const MAX_CHECK_TEXT = 65_535;

/**
 * GitHub counts the 65,535 limit of `output.summary`/`output.text` in BYTES
 * (422 "exceeds a maximum bytesize"): text cut by characters can still be too
 * big when it is not ASCII. The last guard before the API.
 */
export function fitCheckRunBytes(text: string, maxBytes = MAX_CHECK_TEXT): string {
  if (Buffer.byteLength(text, "utf8") <= maxBytes) return text;
  const note = "\n\n… (cut to GitHub's limit of 65,535 bytes)";
  return `${cutUtf8(text, maxBytes - Buffer.byteLength(note))}${note}`;
}
