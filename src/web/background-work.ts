/**
 * Work the web process does after answering GitHub (acknowledgements), kept
 * track of so a graceful stop lets it finish.
 */
export class BackgroundWork {
  private readonly pending = new Set<Promise<void>>();

  /** Start tracking work already under way (it must not reject: acknowledgements are best effort). */
  readonly add = (work: Promise<void>): void => {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  };

  get size(): number {
    return this.pending.size;
  }

  /** Wait for what is under way, at most `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.pending]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
