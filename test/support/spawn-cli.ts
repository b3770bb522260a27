import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { SANDBOX_TEST_ENV } from "./sandbox.js";

export const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "src", "cli", "bin.ts");
/** tsx, resolved here, so the process may run in any directory. */
const TSX = import.meta.resolve("tsx");

/**
 * A clean environment for a chant-bot process: PATH and HOME, the test fixtures readable in
 * its sandbox, then what the test sets.
 */
export function cliEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...SANDBOX_TEST_ENV,
    LOG_LEVEL: "info",
    LOG_FORMAT: "json",
  };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export interface CliProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** Resolve once the output matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Run `chant-bot <args>` (from source, through tsx) in `cwd`, with exactly `env`. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): CliProcess {
  const child = spawn(process.execPath, ["--import", TSX, BIN, ...args], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    async waitFor(pattern, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(out)) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${pattern}; output:\n${out}`);
        if (child.exitCode !== null)
          throw new Error(`exited ${child.exitCode} before ${pattern}; output:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
