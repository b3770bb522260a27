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
 *
 * A write never holds up the next check: `complete` only queues it, and
 * `flush` waits for them all (and fails when one failed). With writes a
 * second apart, waiting would keep later checks "running" past the delay
 * and cost each an extra in_progress write.
 */
export class CheckRunReporter {
  private readonly completed = new Set<CheckName>();
  private readonly started = new Map<CheckName, string>();
  /** The latest write of each check, so that a check's writes keep their order. */
  private readonly writes = new Map<CheckName, Promise<void>>();
  /** Every completed write, for flush. */
  private readonly completions: Promise<void>[] = [];
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

  /** Queue the check's completed write (after its in_progress one, so it is the last word). */
  complete(result: CheckResult): void {
    this.completed.add(result.name);
    const write = (this.writes.get(result.name) ?? Promise.resolve()).then(() =>
      this.forge.ensureCheckRun(this.headSha, result.name, toCheckRunUpdate(result)),
    );
    this.writes.set(result.name, write);
    this.completions.push(write);
    // Handled in flush (or settle); this only keeps Node from calling it unhandled meanwhile.
    // eslint-disable-next-line no-restricted-syntax -- seen and thrown by flush (or settle)
    write.catch(() => undefined);
  }

  /** Every completed write done; throws the first that failed (the job fails and runs again). */
  async flush(): Promise<void> {
    this.stop();
    const outcomes = await Promise.allSettled(this.completions);
    const failed = outcomes.find((o) => o.status === "rejected");
    if (failed) throw failed.reason;
  }

  /** After a failure: no more writes of its own, and none left in flight behind the caller. */
  async settle(): Promise<void> {
    this.stop();
    await Promise.allSettled([...this.completions, ...this.writes.values()]);
  }

  private stop(): void {
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
