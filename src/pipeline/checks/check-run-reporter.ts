import type { Logger } from "pino";
import { toCheckRunUpdate } from "../../checks/check-run-update.js";
import type { CheckResult } from "../../checks/check-types.js";
import type { Forge } from "../../forge/forge.js";
import type { CheckName } from "../../domain/checks.js";

/** Checks still running this long after the job started are shown `in_progress` first. */
export const IN_PROGRESS_AFTER_MS = 2000;

/**
 * The check runs of one commit, each written in its first real state: a
 * check that finishes quickly is created `completed` (one request); one
 * still running after IN_PROGRESS_AFTER_MS is shown `in_progress` first, then
 * completed. No `queued` placeholders: every write says something true, and
 * GitHub asks integrations to keep writes few (each is spaced out by the
 * throttle).
 */
export class CheckRunReporter {
  private readonly completed = new Set<CheckName>();
  private readonly started = new Map<CheckName, string>();
  private readonly writes = new Map<CheckName, Promise<void>>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly forge: Forge,
    private readonly headSha: string,
    private readonly names: readonly CheckName[],
    private readonly log?: Logger | undefined,
    delayMs = IN_PROGRESS_AFTER_MS,
  ) {
    this.timer = setTimeout(() => this.showRunning(), delayMs);
  }

  /** A check began (its own start time is kept for the in_progress write). */
  start(name: CheckName, startedAt: string): void {
    this.started.set(name, startedAt);
  }

  async complete(result: CheckResult): Promise<void> {
    this.completed.add(result.name);
    // An in_progress write under way first, so that `completed` is the last word.
    await this.writes.get(result.name);
    await this.forge.ensureCheckRun(this.headSha, result.name, toCheckRunUpdate(result));
  }

  /** No more writes of its own (the job ended or failed). */
  stop(): void {
    clearTimeout(this.timer);
  }

  private showRunning(): void {
    let chain = Promise.resolve();
    for (const name of this.names) {
      if (this.completed.has(name)) continue;
      const startedAt = this.started.get(name) ?? new Date().toISOString();
      chain = chain.then(async () => {
        if (this.completed.has(name)) return;
        try {
          await this.forge.ensureCheckRun(this.headSha, name, {
            status: "in_progress",
            startedAt,
          });
        } catch (error) {
          // Only a progress mark: the completed write will say everything.
          this.log?.warn({ err: error, check: name }, "could not mark the check run in progress");
        }
      });
      this.writes.set(name, chain);
    }
  }
}
