/**
 * The one place that starts processes (ESLint forbids `child_process` anywhere
 * else). Argument arrays only, never a shell; the caller gives the child's whole
 * environment; every child leads its own process group so that a timeout, a
 * `/chant cancel` or the child's own exit takes its grandchildren down with it.
 * A failing command is reported in the result, never thrown.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { StringDecoder } from "node:string_decoder";

export interface RunOptions {
  cwd: string;
  /** The WHOLE environment of the child: nothing is inherited from process.env. */
  env: Record<string, string>;
  /** Written to stdin, then stdin is closed (stdin is closed at once when absent). */
  input?: string;
  timeoutMs?: number;
  /** Aborting kills the child's whole process group (used for `/chant cancel`). */
  signal?: AbortSignal;
  /** Bound on captured output; beyond it keep the first and last parts and count what was dropped. Default 1 MiB. */
  maxOutputBytes?: number;
  /** Each chunk of output as it arrives (e.g. to parse a JSON stream line by line). */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** SIGTERM to the group first, SIGKILL after this grace period. Default 5000 ms. */
  killGraceMs?: number;
  /**
   * How output bytes become text. `latin1` keeps one character per byte, so
   * binary output (git cat-file --batch) can be parsed by byte counts. Default utf8.
   */
  encoding?: "utf8" | "latin1";
  /** Start the child as this user (only a root process may ask for another user). */
  user?: { uid: number; gid: number } | undefined;
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  cancelled: boolean;
  /** Could not start at all, e.g. "command not found: claude" (ENOENT), permission denied. */
  startError?: string;
  /** Each of stdout, stderr and output is bounded by maxOutputBytes on its own, with a marker where it was cut. */
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in arrival order, bounded the same way. */
  output: string;
  /**
   * Bytes dropped from `output`. Since `output` holds every byte of both
   * streams, this is non-zero whenever any of the three captures was cut.
   */
  droppedBytes: number;
  durationMs: number;
}

export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
export const DEFAULT_KILL_GRACE_MS = 5000;

// After SIGKILL nothing in the group can write any more; what is still in the
// pipes is read for at most this long (a process outside the group, e.g. one
// that called setsid, could hold them open forever).
const DRAIN_AFTER_KILL_MS = 200;
// How often to look whether a finished child's process group is empty.
const GROUP_POLL_MS = 50;

export function runProcess(argv: readonly string[], options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const maxBytes = Math.max(0, options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES);
  const graceMs = Math.max(0, options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  const encoding = options.encoding ?? "utf8";
  const stdoutCapture = new BoundedCapture(maxBytes, encoding);
  const stderrCapture = new BoundedCapture(maxBytes, encoding);
  const outputCapture = new BoundedCapture(maxBytes, encoding);

  const result = (fields: Partial<RunResult>): RunResult => ({
    exitCode: null,
    signal: null,
    timedOut: false,
    cancelled: false,
    ...fields,
    stdout: stdoutCapture.text(),
    stderr: stderrCapture.text(),
    output: outputCapture.text(),
    droppedBytes: outputCapture.dropped,
    durationMs: Math.round(performance.now() - started),
  });

  const command = argv[0];
  if (command === undefined || command === "") {
    return Promise.resolve(result({ startError: "no command given" }));
  }
  if (options.signal?.aborted) {
    return Promise.resolve(result({ cancelled: true }));
  }

  let child: ChildProcess;
  try {
    child = spawn(command, argv.slice(1), {
      cwd: options.cwd,
      env: options.env,
      // setsid(): the child leads a new session and process group (pgid = pid).
      detached: true,
      shell: false,
      stdio: ["pipe", "pipe", "pipe"],
      windowsHide: true,
      ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
    });
  } catch (error) {
    // Synchronous failures: e.g. a NUL byte in an argument or in the environment.
    return Promise.resolve(result({ startError: describeStartError(error, command, options.cwd) }));
  }

  if (child.pid !== undefined) trackGroup(child.pid);
  const captures = { stdout: stdoutCapture, stderr: stderrCapture, output: outputCapture };
  return new Promise<RunResult>((resolve) => {
    new RunningChild(child, command, options, captures, graceMs, (fields) =>
      resolve(result(fields)),
    ).watch();
  });
}

interface Captures {
  stdout: BoundedCapture;
  stderr: BoundedCapture;
  /** Both streams in arrival order. */
  output: BoundedCapture;
}

/**
 * A started child, watched until it has exited, its process group is empty
 * and its pipes are drained (or waiting for them is given up): its timeout,
 * the abort signal, SIGTERM then SIGKILL to the whole group, its output.
 */
class RunningChild {
  private exited = false;
  private finished = false;
  private exitCode: number | null = null;
  private exitSignal: NodeJS.Signals | null = null;
  private timedOut = false;
  private cancelled = false;
  private termSent = false;
  /** Once the child has exited: stop waiting for the pipes at this time. */
  private stopWaitingAt: number | undefined;
  private openStreams = 2;
  private readonly timers: NodeJS.Timeout[] = [];
  private poll: NodeJS.Timeout | undefined;
  private readonly pid: number | undefined;
  // Decoded per stream so that a multi-byte character split across chunks
  // reaches the callbacks whole.
  private readonly stdoutDecoder: StringDecoder;
  private readonly stderrDecoder: StringDecoder;

  constructor(
    private readonly child: ChildProcess,
    private readonly command: string,
    private readonly options: RunOptions,
    private readonly captures: Captures,
    private readonly graceMs: number,
    private readonly resolve: (fields: Partial<RunResult>) => void,
  ) {
    this.pid = child.pid;
    const encoding = options.encoding ?? "utf8";
    this.stdoutDecoder = new StringDecoder(encoding);
    this.stderrDecoder = new StringDecoder(encoding);
  }

  watch(): void {
    const { timeoutMs, signal } = this.options;
    if (timeoutMs !== undefined && timeoutMs !== Infinity) {
      this.timers.push(setTimeout(this.onTimeout, Math.max(0, timeoutMs)));
    }
    signal?.addEventListener("abort", this.onAbort, { once: true });
    this.captureOutput();
    this.writeInput();
    this.child.on("error", (error) => {
      // Emitted when the process could not be spawned; we never use child.kill()
      // or IPC, the other sources of this event.
      if (this.pid === undefined && !this.finished) {
        this.finish({ startError: describeStartError(error, this.command, this.options.cwd) });
      }
    });
    this.child.on("exit", (code, sig) => this.onExit(code, sig));
  }

  private readonly onTimeout = (): void => {
    if (this.exited) return;
    this.timedOut = true;
    this.terminate();
  };

  private readonly onAbort = (): void => {
    if (this.exited) return;
    this.cancelled = true;
    this.terminate();
  };

  private onExit(code: number | null, sig: NodeJS.Signals | null): void {
    this.exited = true;
    this.exitCode = code;
    this.exitSignal = sig;
    // Whatever the child left behind in its group (a background job, a
    // grandchild still holding our pipes) goes too: a command must not leave
    // processes running on the worker, nor keep the runner waiting forever.
    if (this.groupAlive()) {
      this.terminate();
    } else if (!this.termSent) {
      // Nothing left in the group, but something outside it may still hold
      // the pipes: stop waiting for them after the grace period.
      this.stopWaitingAt = performance.now() + this.graceMs;
    }
    this.poll = setInterval(this.check, GROUP_POLL_MS);
    this.check();
  }

  private captureOutput(): void {
    const { onStdout, onStderr } = this.options;
    this.child.stdout?.on("data", this.onData(this.captures.stdout, this.stdoutDecoder, onStdout));
    this.child.stderr?.on("data", this.onData(this.captures.stderr, this.stderrDecoder, onStderr));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let counted = false;
      const closed = (): void => {
        if (counted) return;
        counted = true;
        this.openStreams -= 1;
        this.check();
      };
      stream?.on("end", closed);
      stream?.on("close", closed);
      stream?.on("error", closed);
    }
  }

  private onData(
    capture: BoundedCapture,
    decoder: StringDecoder,
    callback?: (chunk: string) => void,
  ): (chunk: Buffer) => void {
    return (chunk) => {
      if (this.finished) return;
      capture.push(chunk);
      this.captures.output.push(chunk);
      if (callback) {
        const text = decoder.write(chunk);
        if (text !== "") safeCall(callback, text);
      }
    };
  }

  private writeInput(): void {
    // The child may exit without reading its input: EPIPE on stdin is not our failure.
    this.child.stdin?.on("error", () => {});
    const { input } = this.options;
    if (input !== undefined && input !== "") this.child.stdin?.end(input);
    else this.child.stdin?.end();
  }

  private signalGroup(sig: NodeJS.Signals): void {
    if (this.pid === undefined) return;
    try {
      // A negative pid addresses the whole process group, grandchildren included.
      process.kill(-this.pid, sig);
    } catch {
      // ESRCH: the group is already gone. EPERM: nothing more we can do.
    }
  }

  private groupAlive(): boolean {
    return this.pid !== undefined && groupHasLiveMembers(this.pid);
  }

  private terminate(): void {
    if (this.termSent) return;
    this.termSent = true;
    this.signalGroup("SIGTERM");
    this.timers.push(
      setTimeout(() => {
        this.signalGroup("SIGKILL");
        this.stopWaitingAt = performance.now() + DRAIN_AFTER_KILL_MS;
        this.timers.push(setTimeout(this.check, DRAIN_AFTER_KILL_MS));
      }, this.graceMs),
    );
  }

  private readonly check = (): void => {
    if (this.finished || !this.exited) return;
    const drained = this.openStreams === 0 && !this.groupAlive();
    const gaveUp = this.stopWaitingAt !== undefined && performance.now() >= this.stopWaitingAt;
    if (drained || gaveUp) {
      const { exitCode, exitSignal: signal, timedOut, cancelled } = this;
      this.finish({ exitCode, signal, timedOut, cancelled });
    }
  };

  private finish(fields: Partial<RunResult>): void {
    if (this.finished) return;
    this.finished = true;
    if (this.pid !== undefined) liveGroups.delete(this.pid);
    for (const timer of this.timers) clearTimeout(timer);
    if (this.poll !== undefined) clearInterval(this.poll);
    this.options.signal?.removeEventListener("abort", this.onAbort);
    this.flushDecoders();
    // Whatever still holds the pipes (outside our group) must not keep this process alive.
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
    this.child.stdin?.destroy();
    this.resolve(fields);
  }

  private flushDecoders(): void {
    const out = this.stdoutDecoder.end();
    if (out !== "") safeCall(this.options.onStdout, out);
    const err = this.stderrDecoder.end();
    if (err !== "") safeCall(this.options.onStderr, err);
  }
}

// Process groups started here and not yet finished. Detached children outlive
// us; if this process exits normally (or through process.exit) while some are
// running, they are killed rather than left behind. A SIGKILL of this process
// cannot be handled: shutdown code should abort running jobs first.
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function trackGroup(pgid: number): void {
  liveGroups.add(pgid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const group of liveGroups) {
      try {
        process.kill(-group, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

/**
 * Whether any process of group `pgid` is still running. kill(-pgid, 0) alone
 * is not enough: a killed grandchild is re-parented to PID 1 and stays a
 * zombie (still a group member) until PID 1 reaps it, which some container
 * inits do late or never. On Linux, look for members that are not zombies.
 */
function groupHasLiveMembers(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  if (process.platform !== "linux") return true;
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return true;
  }
  const group = String(pgid);
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "latin1");
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[2] === group && fields[0] !== "Z" && fields[0] !== "X") return true;
  }
  return false;
}

function safeCall(callback: ((chunk: string) => void) | undefined, text: string): void {
  if (!callback) return;
  try {
    callback(text);
  } catch {
    // A failing consumer must not break the capture or leave the child unmanaged.
  }
}

function describeStartError(error: unknown, command: string, cwd: string): string {
  const err = error as NodeJS.ErrnoException;
  if (err.code === "ENOENT") {
    // spawn reports a missing working directory as ENOENT of the command too.
    if (!isDirectory(cwd)) return `working directory not found: ${cwd}`;
    return `command not found: ${command}`;
  }
  if (err.code === "EACCES") return `permission denied: ${command}`;
  if (err.code === "ENOTDIR") return `working directory is not a directory: ${cwd}`;
  return `could not start ${command}: ${err.message ?? String(error)}`;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Keeps the first half and the last half of `max` bytes and counts the bytes
 * in between. Memory stays O(max) however much the child prints.
 */
class BoundedCapture {
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;

  constructor(
    max: number,
    private readonly encoding: "utf8" | "latin1" = "utf8",
  ) {
    this.headLimit = Math.floor(max / 2);
    this.tailLimit = max - this.headLimit;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headBytes < this.headLimit) {
      const take = Math.min(this.headLimit - this.headBytes, rest.length);
      this.head.push(rest.subarray(0, take));
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0 || this.tailLimit === 0) return;
    this.tail.push(rest);
    this.tailBytes += rest.length;
    // Drop whole chunks from the front while the rest still fills the tail.
    while (this.tail.length > 1 && this.tailBytes - this.tail[0]!.length >= this.tailLimit) {
      this.tailBytes -= this.tail.shift()!.length;
    }
  }

  get dropped(): number {
    return this.total - this.keptBounds().keptBytes;
  }

  text(): string {
    const { head, tail, keptBytes } = this.keptBounds();
    const dropped = this.total - keptBytes;
    if (dropped === 0) return Buffer.concat([head, tail]).toString(this.encoding);
    return `${head.toString(this.encoding)}\n[… ${dropped} bytes dropped …]\n${tail.toString(this.encoding)}`;
  }

  private keptBounds(): { head: Buffer; tail: Buffer; keptBytes: number } {
    let head = Buffer.concat(this.head);
    let tail = Buffer.concat(this.tail);
    if (tail.length > this.tailLimit) tail = tail.subarray(tail.length - this.tailLimit);
    if (this.total > head.length + tail.length) {
      // Cut at character boundaries so neither part starts or ends with half a character.
      head = head.subarray(0, utf8BoundaryBefore(head, head.length));
      tail = tail.subarray(utf8BoundaryAfter(tail));
    }
    return { head, tail, keptBytes: head.length + tail.length };
  }
}

/** The largest index <= end at which a UTF-8 character starts (or end of a complete character). */
function utf8BoundaryBefore(buf: Buffer, end: number): number {
  // Walk back over continuation bytes to the lead byte of the last character.
  let i = end;
  let steps = 0;
  while (i > 0 && steps < 4 && (buf[i - 1]! & 0xc0) === 0x80) {
    i -= 1;
    steps += 1;
  }
  if (i === 0) return end;
  const lead = buf[i - 1]!;
  const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  // The last character is complete: keep it; otherwise cut before its lead byte.
  return end - (i - 1) >= length ? end : i - 1;
}

/** The first index at which a UTF-8 character starts (skipping at most 3 continuation bytes). */
function utf8BoundaryAfter(buf: Buffer): number {
  let i = 0;
  while (i < buf.length && i < 3 && (buf[i]! & 0xc0) === 0x80) i += 1;
  return i;
}
