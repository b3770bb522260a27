import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  CommandLineError,
  INHERITED_ENV_VARS,
  childEnv,
  shellQuote,
  splitCommandLine,
} from "../../src/process/command-line.js";
import { runProcess } from "../../src/process/run-process.js";

const workDir = mkdtempSync(join(tmpdir(), "chant-command-line-"));
const marker = join(workDir, "pwned");
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const env = childEnv({});

/** Runs argv for real, without a shell, and returns the argv the child received. */
async function receivedArgv(args: readonly string[]): Promise<string[]> {
  const script = "process.stdout.write(JSON.stringify(process.argv.slice(1)))";
  const result = await runProcess([process.execPath, "-e", script, "--", ...args], {
    cwd: workDir,
    env,
  });
  expect(result.exitCode).toBe(0);
  return JSON.parse(result.stdout) as string[];
}

describe("splitCommandLine", () => {
  const cases: [string, string[]][] = [
    ["claude -p", ["claude", "-p"]],
    ["  spaced   out\targs \n", ["spaced", "out", "args"]],
    ["a 'b c' d", ["a", "b c", "d"]],
    ['a "b c" d', ["a", "b c", "d"]],
    ["a b\\ c", ["a", "b c"]],
    ["a''b", ["ab"]],
    ["a '' b", ["a", "", "b"]],
    ['""', [""]],
    ["a'b'\"c\"d", ["abcd"]],
    ['"say \\"hi\\"" \'back\\slash\'', ['say "hi"', "back\\slash"]],
    ['"a\\\\b" "c\\d"', ["a\\b", "c\\d"]],
    ['"\\$HOME" "\\`x\\`"', ["$HOME", "`x`"]],
    ["it\\'s", ["it's"]],
    ["'it'\\''s'", ["it's"]],
    ["one \\\ntwo", ["one", "two"]],
    ['"multi\nline"', ["multi\nline"]],
    ["naïve ünïcödé 😀", ["naïve", "ünïcödé", "😀"]],
    ["--model=sonnet --max-turns 60", ["--model=sonnet", "--max-turns", "60"]],
    ["#not-a-comment x", ["#not-a-comment", "x"]],
  ];
  it.each(cases)("splits %j", (line, expected) => {
    expect(splitCommandLine(line)).toEqual(expected);
  });

  const hostile: [string, string[]][] = [
    [`agent $(touch ${marker})`, ["agent", "$(touch", `${marker})`]],
    [`agent "$(touch ${marker})"`, ["agent", `$(touch ${marker})`]],
    [`agent \`touch ${marker}\``, ["agent", "`touch", `${marker}\``]],
    [`agent;touch ${marker}`, ["agent;touch", marker]],
    ["agent ;rm -rf /", ["agent", ";rm", "-rf", "/"]],
    [`agent && touch ${marker}`, ["agent", "&&", "touch", marker]],
    [`agent || touch ${marker}`, ["agent", "||", "touch", marker]],
    [`agent | tee ${marker}`, ["agent", "|", "tee", marker]],
    [`agent > ${marker}`, ["agent", ">", marker]],
    [`agent >${marker} 2>&1`, ["agent", `>${marker}`, "2>&1"]],
    [`agent < /etc/passwd`, ["agent", "<", "/etc/passwd"]],
    [`agent & touch ${marker}`, ["agent", "&", "touch", marker]],
    ["agent ${IFS}x", ["agent", "${IFS}x"]],
    ["agent$IFS$9x", ["agent$IFS$9x"]],
    ["agent $HOME ~ ~/x", ["agent", "$HOME", "~", "~/x"]],
    ["agent * ?.ts [a-z]*", ["agent", "*", "?.ts", "[a-z]*"]],
    ["agent {a,b}", ["agent", "{a,b}"]],
    [`agent\ntouch ${marker}`, ["agent", "touch", marker]],
    [`agent\r\ntouch ${marker}`, ["agent", "touch", marker]],
    ["agent $((1+1)) $'\\x41'", ["agent", "$((1+1))", "$\\x41"]],
    ["agent 'a\"b' \"c'd\"", ["agent", 'a"b', "c'd"]],
    [`env X=1 touch ${marker}`, ["env", "X=1", "touch", marker]],
    ["agent -- --help", ["agent", "--", "--help"]],
  ];
  it.each(hostile)("keeps hostile %j literal", async (line, expected) => {
    const argv = splitCommandLine(line);
    expect(argv).toEqual(expected);
    // The split arguments reach a real child exactly as they are, and nothing runs.
    expect(await receivedArgv(argv.slice(1))).toEqual(expected.slice(1));
    expect(existsSync(marker)).toBe(false);
  });

  const errors: [string, RegExp][] = [
    ["", /empty/],
    ["   \t\n ", /empty/],
    ["agent 'unclosed", /unbalanced single quote at position 6/],
    ['agent "unclosed', /unbalanced double quote at position 6/],
    ['agent "escaped end\\"', /unbalanced double quote/],
    ["agent it's", /unbalanced single quote/],
    ["agent trailing\\", /lone backslash/],
    ["agent a\0b", /NUL/],
    ["agent 'a\0b'", /NUL/],
  ];
  it.each(errors)("rejects %j", (line, message) => {
    expect(() => splitCommandLine(line)).toThrow(CommandLineError);
    expect(() => splitCommandLine(line)).toThrow(message);
  });

  // Where the line needs no expansion, the split is exactly what a POSIX shell does.
  const plain = [
    "a b c",
    "a 'b c' \"d e\" f\\ g",
    "a''b \"\" ''",
    '\'it\'\\\'\'s\' "q\\"uote" "back\\\\slash" "keep\\n"',
    "x\\\ny 'multi\nline'",
    "\"\\$x\" '$x' \\$x",
  ];
  it.each(plain)("agrees with sh on %j", async (line) => {
    const result = await runProcess(["sh", "-c", `printf '%s\\0' ${line}`], { cwd: workDir, env });
    const shellArgv = result.stdout.split("\0").slice(0, -1);
    expect(splitCommandLine(line)).toEqual(shellArgv);
  });
});

// Strings that break naive quoting; every one must reach the child unchanged.
const HOSTILE_STRINGS = [
  "",
  " ",
  "plain",
  "two words",
  "it's",
  "'",
  "''",
  "'\\''",
  '"',
  "\"double\" and 'single'",
  "\\",
  "back\\slash\\",
  "$HOME",
  "${HOME}",
  "${IFS}",
  `$(touch ${marker})`,
  `\`touch ${marker}\``,
  `; touch ${marker}`,
  `&& touch ${marker} ||`,
  `| tee ${marker}`,
  `> ${marker}`,
  "< /etc/passwd",
  "&",
  "*",
  "?",
  "[a-z]*",
  "{a,b}",
  "~",
  "~root",
  "-n",
  "--help",
  "-e \\n",
  "%s %d %%",
  "line\nbreak",
  "\n",
  "\r\n",
  "tab\there",
  "#comment",
  "!event",
  "a=b",
  "ünïcödé 😀 € \u202e bidi",
  "\u0001\u001b[31mcontrol\u007f",
  'test/regression/issue 42\'s "repro" $(x).test.ts',
];

describe("shellQuote", () => {
  it("quotes with POSIX single quotes", () => {
    expect(shellQuote("abc")).toBe("'abc'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote("")).toBe("''");
  });

  it("refuses a NUL character", () => {
    expect(() => shellQuote("a\0b")).toThrow(CommandLineError);
  });

  it(`round-trips ${HOSTILE_STRINGS.length} hostile strings through a real sh -c`, async () => {
    expect(HOSTILE_STRINGS.length).toBeGreaterThanOrEqual(30);
    for (const value of HOSTILE_STRINGS) {
      const result = await runProcess(["sh", "-c", `printf %s ${shellQuote(value)}`], {
        cwd: workDir,
        env,
      });
      expect({ value, exitCode: result.exitCode, stdout: result.stdout }).toEqual({
        value,
        exitCode: 0,
        stdout: value,
      });
    }
    // Several quoted values in one command stay separate arguments.
    const joined = HOSTILE_STRINGS.map(shellQuote).join(" ");
    const result = await runProcess(["sh", "-c", `printf '%s\\0' ${joined}`], {
      cwd: workDir,
      env,
    });
    expect(result.stdout.split("\0").slice(0, -1)).toEqual(HOSTILE_STRINGS);
    expect(existsSync(marker)).toBe(false);
  });

  it("round-trips through splitCommandLine", () => {
    expect(splitCommandLine(HOSTILE_STRINGS.map(shellQuote).join(" "))).toEqual(HOSTILE_STRINGS);
  });
});

describe("childEnv", () => {
  const base: NodeJS.ProcessEnv = {
    PATH: "/usr/bin:/bin",
    HOME: "/home/chant",
    USER: "chant",
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    LC_CTYPE: "C.UTF-8",
    TZ: "UTC",
    TMPDIR: "/tmp",
    TERM: "dumb",
    SHELL: "/bin/bash",
    NODE_OPTIONS: "--require /tmp/evil.js",
    GITHUB_TOKEN: "ghs_secret",
    GH_TOKEN: "ghp_secret",
    PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----",
    PRIVATE_KEY_PATH: "/keys/app.pem",
    WEBHOOK_SECRET: "hook",
    APP_ID: "1",
    CHANT_REDIS_URL: "redis://:pass@redis:6379",
    REDIS_URL: "redis://:pass@redis:6379",
    AWS_ACCESS_KEY_ID: "AKIA",
    AWS_SECRET_ACCESS_KEY: "secret",
    ANTHROPIC_API_KEY: "sk-ant",
    LD_PRELOAD: "/tmp/evil.so",
  };

  it("passes only the allow-listed variables", () => {
    const env = childEnv({}, base);
    expect(Object.keys(env).sort()).toEqual([...INHERITED_ENV_VARS].sort());
    expect(env).toMatchObject({ PATH: "/usr/bin:/bin", HOME: "/home/chant" });
  });

  it("adds what the caller passes on purpose, and leaves out undefined values", () => {
    const env = childEnv(
      {
        CHANT_SPEC_ID: "2026-01-29-003-ghi",
        ANTHROPIC_API_KEY: base.ANTHROPIC_API_KEY,
        TERM: undefined,
      },
      base,
    );
    expect(env.CHANT_SPEC_ID).toBe("2026-01-29-003-ghi");
    expect(env.ANTHROPIC_API_KEY).toBe("sk-ant");
    expect("TERM" in env).toBe(false);
    expect(env.GITHUB_TOKEN).toBeUndefined();
  });

  it("gives a child without a PATH a default one", () => {
    expect(childEnv({}, {}).PATH).toBe("/usr/local/bin:/usr/bin:/bin");
  });

  it("defaults to process.env", () => {
    process.env.CHANT_TEST_SECRET = "nope";
    try {
      const env = childEnv({});
      expect(env.CHANT_TEST_SECRET).toBeUndefined();
      expect(env.PATH).toBe(process.env.PATH);
    } finally {
      delete process.env.CHANT_TEST_SECRET;
    }
  });
});
