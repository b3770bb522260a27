import { parseArgs, type ParseArgsConfig } from "node:util";
import type { SandboxLog } from "../sandbox/sandbox.js";

/** Exit codes of every chant-bot command (documented in the README). */
export const EXIT = {
  ok: 0,
  /** The command ran and the answer is no: nothing to draft, a check failed, the pipeline failed. */
  failed: 1,
  /** The command line itself is wrong. */
  usage: 2,
} as const;

export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
  isTTY: boolean;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: Output): Promise<number>;
}

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** parseArgs with errors turned into UsageError (exit 2 with the usage text). */
export function parseCommandArgs<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: false,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function positiveIntegerFlag(value: string | undefined, flag: string): number {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  if (!/^[1-9]\d{0,8}$/.test(value))
    throw new UsageError(`${flag} must be a positive whole number, got "${value}"`);
  return Number(value);
}

/**
 * How a command says "no": one line (and details) on stderr, or a JSON object
 * on stdout with --json; exit status 1.
 */
export function failure(io: Output, command: string, json: boolean) {
  return (reason: string, details: string[] = []): number => {
    if (json) io.out(JSON.stringify({ ok: false, reason, details }, null, 2));
    else io.err([`chant-bot ${command}: ${reason}`, ...details].join("\n"));
    return EXIT.failed;
  };
}

/** The sandbox's start-up lines for a person at a terminal: only what they must know. */
export function sandboxLog(io: Output): SandboxLog {
  return {
    info: () => undefined,
    warn: (_fields, message) => io.err(`chant-bot: ${message}`),
    error: (message) => io.err(`chant-bot: ${message}`),
  };
}
