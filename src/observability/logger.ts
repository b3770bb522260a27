import { Writable } from "node:stream";
import { pino, type Logger, type LevelWithSilent } from "pino";
import pretty from "pino-pretty";
import { createRedactor } from "../util/redact.js";

export interface LoggerOptions {
  level?: string | undefined;
  /** `json` (one object per line, for machines) or `pretty` (for a person at a terminal). */
  format?: "json" | "pretty";
  /** Secret values: removed from every line, whatever field they sit in. */
  secrets: readonly string[];
  /** Where lines go (stdout by default). */
  destination?: NodeJS.WritableStream;
}

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

/**
 * The app's logger: pino, JSON in production and pretty lines in development
 * (LOG_FORMAT overrides), every line passed through the redactor, so a token
 * that reaches a message or an error is never written out.
 */
export function createLogger(options: LoggerOptions): Logger {
  const redact = createRedactor(options.secrets);
  const out = options.destination ?? process.stdout;
  const redacting = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      out.write(redact(chunk.toString()));
      done();
    },
  });
  const level = (LEVELS.includes(options.level ?? "") ? options.level : "info") as LevelWithSilent;
  const stream =
    options.format === "pretty"
      ? pretty({ destination: redacting, colorize: false, sync: true })
      : redacting;
  return pino({ level, base: { name: "chant-bot" } }, stream);
}

export function logFormatFromEnv(env: NodeJS.ProcessEnv): "json" | "pretty" {
  if (env.LOG_FORMAT === "json" || env.LOG_FORMAT === "pretty") return env.LOG_FORMAT;
  return env.NODE_ENV === "production" ? "json" : "pretty";
}
