import type { CheckConclusion } from "../domain/checks.js";
import type { Annotation } from "../domain/checks.js";
import type { OutputSection } from "./check-text.js";

/** A check's result before timing and GitHub's limits are applied. */
export interface CheckOutcome {
  conclusion: CheckConclusion;
  title: string;
  /** Markdown, not yet cut to the limit. */
  summary: string;
  /** Redacted outputs for `text`. */
  sections: OutputSection[];
  annotations: Annotation[];
}
