import type { Logger } from "pino";
import { toCheckRunUpdate } from "../../checks/check-run-update.js";
import type { CheckResult } from "../../checks/check-types.js";
import type { Forge } from "../../forge/forge.js";
import type { CheckName } from "../../domain/checks.js";

/** A check still running this long after it started is shown `in_progress` first. */
export const IN_PROGRESS_AFTER_MS = 2000;

/**
 * The check runs of one commit, each written in its first real state: a
 * check that finishes within IN_PROGRESS_AFTER_MS of its start is created
 * `completed` (one request); one still running then is shown `in_progress`,
 * then completed. A check that has not started has no check run yet: no
 * `queued` placeholders, and never `in_progress` for a check that waits.
 * Every write says something true, and GitHub asks integrations to keep
 * writes few (each is spaced out by the throttle). The clone and the setup
 * command count toward no check.
 *
 * A write never holds up the next check: `complete` only queues it, and
 * `flush` waits for them all (and fails when one failed). With writes a
 * second apart, waiting would keep later checks "running" past the delay
 * and cost each an extra in_progress write.
 */
export class CheckRunReporter {
  private readonly completed = new Set<CheckName>();
  /** The in_progress timer of each check that started and has not completed. */
  private readonly timers = new Map<CheckName, NodeJS.Timeout>();
  /** The latest write of each check, so that a check's writes keep their order. */
  private readonly writes = new Map<CheckName, Promise<void>>();
  /** Every completed write, for flush. */
  private readonly completions: Promise<void>[] = [];
  private stopped = false;

  constructor(
    private readonly forge: Forge,
    private readonly headSha: string,
    private readonly log?: Logger | undefined,
    private readonly delayMs = IN_PROGRESS_AFTER_MS,
  ) {}

  /** A check began: shown in_progress (with this start time) if it runs past the delay. */
  start(name: CheckName, startedAt: string): void {
    if (this.stopped || this.completed.has(name)) return;
    clearTimeout(this.timers.get(name));
    this.timers.set(
      name,
      setTimeout(() => this.showRunning(name, startedAt), this.delayMs),
    );
  }

  /** Queue the check's completed write (after its in_progress one, so it is the last word). */
  complete(result: CheckResult): void {
    this.completed.add(result.name);
    clearTimeout(this.timers.get(result.name));
    this.timers.delete(result.name);
    const write = this.after(result.name, () =>
      this.forge.ensureCheckRun(this.headSha, result.name, toCheckRunUpdate(result)),
    );
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
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** Run `write` after the check's earlier writes (whatever became of them). */
  private after(name: CheckName, write: () => Promise<unknown>): Promise<void> {
    const previous = this.writes.get(name) ?? Promise.resolve();
    const next = previous.then(
      async () => void (await write()),
      async () => void (await write()),
    );
    this.writes.set(name, next);
    return next;
  }

  private showRunning(name: CheckName, startedAt: string): void {
    this.timers.delete(name);
    if (this.completed.has(name) || this.stopped) return;
    const mark = this.after(name, async () => {
      if (this.completed.has(name)) return;
      await this.forge.ensureCheckRun(this.headSha, name, { status: "in_progress", startedAt });
    });
    // Only a progress mark: the completed write will say everything.
    mark.catch((error: unknown) =>
      this.log?.warn({ err: error, check: name }, "could not mark the check run in progress"),
    );
  }
}
