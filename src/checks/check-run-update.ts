import type { CheckRunUpdate } from "../domain/checks.js";
import type { CheckResult } from "./check-types.js";

/** A finished check as the Forge's `ensureCheckRun` takes it (no empty `text`). */
export function toCheckRunUpdate(result: CheckResult): CheckRunUpdate {
  return {
    status: "completed",
    conclusion: result.conclusion,
    startedAt: result.startedAt,
    completedAt: result.completedAt,
    title: result.title,
    summary: result.summary,
    ...(result.text === "" ? {} : { text: result.text }),
    annotations: result.annotations,
  };
}
