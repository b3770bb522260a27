/** The abort reason a worker gives its running jobs when it shuts down (not a user's cancel). */
export const SHUTDOWN_REASON = "chant-bot worker shutting down";

export function isShutdown(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && String(signal.reason) === SHUTDOWN_REASON;
}
