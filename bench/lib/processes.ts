import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");
export const RESULTS_DIR = join(ROOT, "bench", "results");
/**
 * The app and the bench's own server scripts compiled to plain JavaScript,
 * as production runs them (`node dist/...`): no tsx loader in the measured
 * processes, so their memory is what a deployment would see.
 */
export const BUILD_DIR = join(ROOT, ".tmp", "bench-dist");
export const CLI = join(BUILD_DIR, "src", "cli", "bin.js");

export function built(script: string): string {
  return join(BUILD_DIR, "bench", "processes", `${script}.js`);
}

/** Compile src/ and bench/processes/ once per run (about 5 s). */
export async function buildForBench(): Promise<void> {
  rmSync(BUILD_DIR, { recursive: true, force: true });
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const child = spawn(
    process.execPath,
    [tsc, "-p", join(ROOT, "bench", "tsconfig.processes.json")],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr.on("data", (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  // A type error elsewhere (work in progress) still emits JavaScript; only a missing build is fatal.
  if (!existsSync(CLI)) throw new Error(`the bench build failed:\n${output.slice(0, 4000)}`);
  if (code !== 0)
    process.stderr.write(`bench: tsc reported errors (build used anyway):\n${output}`);
}

export interface BenchProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  output(): string;
  /** Resolve with the first match of the pattern in the output. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

/**
 * Start `node <script> ...args` with exactly `env`; its output goes to
 * bench/results/logs/<name>.log (and is kept in memory to wait on).
 */
export function startNode(
  name: string,
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): BenchProcess {
  mkdirSync(join(RESULTS_DIR, "logs"), { recursive: true });
  const log = createWriteStream(join(RESULTS_DIR, "logs", `${name}.log`));
  const child = spawn(process.execPath, [script, ...args], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Keep only the head of the output in memory: readiness lines come first; logs can be long.
  let head = "";
  const keep = (chunk: Buffer) => {
    log.write(chunk);
    if (head.length < 200_000) head += chunk.toString();
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    name,
    child,
    pid: child.pid!,
    output: () => head,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = head.match(pattern);
        if (match) return match;
        if (child.exitCode !== null)
          throw new Error(`${name} exited ${child.exitCode} before ${pattern}:\n${head}`);
        if (Date.now() > deadline) throw new Error(`${name}: no ${pattern} in time:\n${head}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await new Promise((resolve) => log.end(resolve));
    },
  };
}

/** The process's resident set and its peak, in KiB, from /proc/<pid>/status. */
export function memoryOf(pid: number): { rssKiB: number; hwmKiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  return { rssKiB: field("VmRSS"), hwmKiB: field("VmHWM") };
}

/** Samples a process's RSS every `everyMs` until stopped; returns the largest sample. */
export function sampleRss(pid: number, everyMs = 100): { stop(): number } {
  let peak = 0;
  const take = () => {
    try {
      peak = Math.max(peak, memoryOf(pid).rssKiB);
    } catch {
      // The process is gone: keep the peak seen so far.
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}

/** An environment for a bench process: PATH and HOME, then what the suite sets. */
export function processEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}
