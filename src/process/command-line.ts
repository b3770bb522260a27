/**
 * Command lines without a shell. `CHANT_AGENT_COMMAND` is split into argv
 * here with POSIX-like quoting but NO expansion of any kind: `$VAR`, `$(...)`,
 * backticks, globs, `~`, `;`, `|`, `&&`, `>` are ordinary characters that end
 * up inside arguments. Where a maintainer's own check command does run under
 * `sh -c`, the values we put into it (validated file paths) go through
 * `shellQuote`.
 */

export class CommandLineError extends Error {
  override readonly name = "CommandLineError";
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r", "\v", "\f"]);
// Inside double quotes a backslash escapes only these (as in POSIX sh); before
// anything else it stays a literal backslash.
const DOUBLE_QUOTE_ESCAPABLE = new Set(['"', "\\", "$", "`"]);

/**
 * Split a command line into argv: whitespace separates arguments; '...' is
 * literal; "..." allows \" \\ \$ \` escapes; outside quotes a backslash makes
 * the next character literal; backslash-newline continues the line. Adjacent
 * pieces join into one argument (`a'b'"c"` is `abc`); `''` is an empty argument.
 */
export function splitCommandLine(line: string): string[] {
  const args: string[] = [];
  let current = "";
  // Distinguishes an empty quoted argument ('') from no argument at all.
  let inWord = false;
  let i = 0;
  const n = line.length;

  while (i < n) {
    const ch = line[i]!;
    if (ch === "\0") {
      throw new CommandLineError(`command line contains a NUL character at position ${i}`);
    }
    if (WHITESPACE.has(ch)) {
      if (inWord) {
        args.push(current);
        current = "";
        inWord = false;
      }
      i += 1;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) {
        throw new CommandLineError(`unbalanced single quote at position ${i} in command line`);
      }
      const quoted = line.slice(i + 1, end);
      if (quoted.includes("\0")) {
        throw new CommandLineError("command line contains a NUL character");
      }
      current += quoted;
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      const start = i;
      i += 1;
      let closed = false;
      while (i < n) {
        const c = line[i]!;
        if (c === '"') {
          closed = true;
          i += 1;
          break;
        }
        if (c === "\0") {
          throw new CommandLineError(`command line contains a NUL character at position ${i}`);
        }
        if (c === "\\" && i + 1 < n) {
          const next = line[i + 1]!;
          if (next === "\n") {
            i += 2;
            continue;
          }
          if (DOUBLE_QUOTE_ESCAPABLE.has(next)) {
            current += next;
            i += 2;
            continue;
          }
        }
        current += c;
        i += 1;
      }
      if (!closed) {
        throw new CommandLineError(`unbalanced double quote at position ${start} in command line`);
      }
      inWord = true;
    } else if (ch === "\\") {
      if (i + 1 >= n) {
        throw new CommandLineError("command line ends with a lone backslash");
      }
      const next = line[i + 1]!;
      if (next === "\0") {
        throw new CommandLineError(`command line contains a NUL character at position ${i + 1}`);
      }
      if (next !== "\n") {
        current += next;
        inWord = true;
      }
      i += 2;
    } else {
      current += ch;
      inWord = true;
      i += 1;
    }
  }
  if (inWord) args.push(current);
  if (args.length === 0) {
    throw new CommandLineError("command line is empty");
  }
  return args;
}

/**
 * Quote one argument for a POSIX shell: wrapped in single quotes, each `'`
 * written as `'\''`. The shell then takes it literally, whatever it contains.
 */
export function shellQuote(arg: string): string {
  if (arg.includes("\0")) {
    // No shell argument can hold a NUL; refusing beats silently truncating.
    throw new CommandLineError("cannot quote a string that contains a NUL character");
  }
  return `'${arg.replace(/'/g, "'\\''")}'`;
}

/**
 * The environment variables a child inherits from ours; everything else is
 * left out unless a caller passes it in `extra` on purpose:
 *
 * - PATH: to find the tools at all;
 * - HOME, USER: git, npm and agent CLIs read their config and caches from HOME;
 * - LANG, LC_ALL, LC_CTYPE: so output is decoded and printed in the same encoding;
 * - TZ: timestamps in logs match the worker's;
 * - TMPDIR: where temporary files go;
 * - TERM: some tools misbehave without it.
 *
 * Deliberately NOT passed: SHELL (tools that honour it would start one),
 * NODE_OPTIONS (it could `--require` code into every Node child), and every
 * token, key or URL of the app: GITHUB_TOKEN, PRIVATE_KEY, WEBHOOK_SECRET,
 * CHANT_REDIS_URL, AWS_*, ...
 */
export const INHERITED_ENV_VARS = [
  "PATH",
  "HOME",
  "USER",
  "LANG",
  "LC_ALL",
  "LC_CTYPE",
  "TZ",
  "TMPDIR",
  "TERM",
] as const;

// A child with no PATH at all could not find `git` or `sh`.
const FALLBACK_PATH = "/usr/local/bin:/usr/bin:/bin";

/**
 * The allow-listed environment plus `extra`. A key of `extra` whose value is
 * undefined is left out even if it is on the allow list.
 */
export function childEnv(
  extra: Record<string, string | undefined>,
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_ENV_VARS) {
    const value = base[name];
    if (value !== undefined) env[name] = value;
  }
  env.PATH ??= FALLBACK_PATH;
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) {
      delete env[name];
    } else {
      env[name] = value;
    }
  }
  return env;
}
