import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { BubblewrapSandbox } from "../../src/sandbox/bubblewrap.js";
import { UnsandboxedSandbox, WrapperSandbox } from "../../src/sandbox/direct.js";
import {
  APP_DIR,
  checkSandbox,
  egressFromEnv,
  openSandbox,
  sandboxFromEnv,
} from "../../src/sandbox/sandbox-from-env.js";
import { SandboxConfigError, type Sandbox, type SandboxRun } from "../../src/sandbox/sandbox.js";

const ROOT = process.getuid?.() === 0;
const base = mkdtempSync(join(tmpdir(), "chant-sandbox-env-"));
// As an operator's CHANT_WORK_DIR: its parents traversable by the sandbox's user.
chmodSync(base, 0o711);
const workRoot = join(base, "work");
mkdirSync(workRoot);
const REAL_APP_DIR = realpathSync(APP_DIR);
const PATH = process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin";

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

function fromEnv(env: NodeJS.ProcessEnv): Promise<Sandbox> {
  return sandboxFromEnv({ PATH, ...env }, { workRoot });
}

async function configError(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SandboxConfigError);
  return (error as SandboxConfigError).message;
}

let jobs = 0;
/** A job's directories: <work root>/<job>/{work,sandbox}. */
function job(): SandboxRun {
  jobs += 1;
  const dir = join(workRoot, `job-${jobs}`);
  mkdirSync(join(dir, "work"), { recursive: true });
  mkdirSync(join(dir, "sandbox"));
  return {
    cwd: join(dir, "work"),
    writable: [join(dir, "work")],
    privateDir: join(dir, "sandbox"),
    network: { kind: "none" },
    env: { PATH: "/usr/bin:/bin", FOO: "foo value" },
  };
}

describe("CHANT_SANDBOX", () => {
  it("is bubblewrap by default, with the default limits", async () => {
    const sandbox = await fromEnv({});
    expect(sandbox).toBeInstanceOf(BubblewrapSandbox);
    expect(sandbox.kind).toBe("bubblewrap");
    expect(sandbox.description).toContain(
      "limits 1024 processes, 4096 MiB per process, 4096 MiB per file, 1024 MiB of disk kept free",
    );
  });

  it.each(["bubblewrap", "bwrap", " BWRAP ", "Bubblewrap"])("%j is bubblewrap", async (value) => {
    expect((await fromEnv({ CHANT_SANDBOX: value })).kind).toBe("bubblewrap");
  });

  it("off runs commands as the worker, with nothing but the given environment", async () => {
    const sandbox = await fromEnv({
      CHANT_SANDBOX: "OFF",
      CHANT_AGENT_WRAPPER: "/bin/echo {workspace}",
    });
    expect(sandbox).toBeInstanceOf(UnsandboxedSandbox);
    expect(sandbox.description).toMatch(/^NONE \(CHANT_SANDBOX=off\)/);
    const run = job();
    const result = await sandbox.run(
      ["sh", "-c", 'id -u; pwd; echo "$FOO"; echo "${HOME-unset}"'],
      run,
    );
    expect(result.stdout).toBe(`${process.getuid?.()}\n${run.cwd}\nfoo value\nunset\n`);
  });

  it("wrapper needs CHANT_AGENT_WRAPPER", async () => {
    for (const env of [
      { CHANT_SANDBOX: "wrapper" },
      { CHANT_SANDBOX: "wrapper", CHANT_AGENT_WRAPPER: "  " },
    ]) {
      expect(await configError(fromEnv(env))).toBe(
        "CHANT_SANDBOX is wrapper but CHANT_AGENT_WRAPPER is not set: set it to the command that isolates a command, e.g. a container runtime's `run` line",
      );
    }
  });

  it("refuses an unknown kind", async () => {
    expect(await configError(fromEnv({ CHANT_SANDBOX: "docker" }))).toBe(
      'CHANT_SANDBOX is "docker": it must be bubblewrap, wrapper or off',
    );
  });

  describe("CHANT_AGENT_WRAPPER", () => {
    const wrapperDir = join(base, "wrapper");
    const script = join(wrapperDir, "wrap.sh");
    const log = join(wrapperDir, "argv.log");
    mkdirSync(wrapperDir);
    // Logs its arguments one per line, drops its own two, runs the rest.
    writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$@" > '${log}'\nshift 2\nexec "$@"\n`);
    chmodSync(script, 0o755);

    it("alone is refused: it now isolates check commands too, so CHANT_SANDBOX=wrapper must say so", async () => {
      expect(await configError(fromEnv({ CHANT_AGENT_WRAPPER: script }))).toBe(
        "CHANT_AGENT_WRAPPER is set but CHANT_SANDBOX is not: the wrapper now isolates the agent AND every check command; set CHANT_SANDBOX=wrapper to confirm, or unset CHANT_AGENT_WRAPPER to use bubblewrap",
      );
    });

    it("with CHANT_SANDBOX=wrapper gets {workspace} replaced and runs the command", async () => {
      const sandbox = await fromEnv({
        CHANT_SANDBOX: "wrapper",
        CHANT_AGENT_WRAPPER: `${script} --volume={workspace}:/w '{workspace}'`,
      });
      expect(sandbox).toBeInstanceOf(WrapperSandbox);
      expect(sandbox.kind).toBe("wrapper");
      expect(sandbox.description).toContain(script);
      const run = job();
      const result = await sandbox.run(["sh", "-c", 'pwd; echo "$FOO"', "arg0"], run);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe(`${run.cwd}\nfoo value\n`);
      expect(readFileSync(log, "utf8").split("\n")).toEqual([
        `--volume=${run.cwd}:/w`,
        run.cwd,
        "sh",
        "-c",
        'pwd; echo "$FOO"',
        "arg0",
        "",
      ]);
    });

    it("tells the wrapper what the command may write, read and reach", async () => {
      const sandbox = await fromEnv({
        CHANT_SANDBOX: "wrapper",
        CHANT_AGENT_WRAPPER: `${script} a b`,
      });
      const run = job();
      const result = await sandbox.run(
        [
          "sh",
          "-c",
          'echo "$CHANT_SANDBOX_WRITABLE|$CHANT_SANDBOX_READONLY|$CHANT_SANDBOX_NETWORK"',
        ],
        {
          ...run,
          readOnly: ["/etc/hostname"],
          network: { kind: "egress", allow: [{ host: "api.example.com", port: 443 }] },
        },
      );
      expect(result.stdout).toBe(`${run.writable.join(":")}|/etc/hostname|api.example.com:443\n`);
    });

    it("does not override an explicit CHANT_SANDBOX", async () => {
      const sandbox = await fromEnv({ CHANT_SANDBOX: "bubblewrap", CHANT_AGENT_WRAPPER: script });
      expect(sandbox.kind).toBe("bubblewrap");
    });

    it("must split into arguments", async () => {
      expect(
        await configError(
          fromEnv({ CHANT_SANDBOX: "wrapper", CHANT_AGENT_WRAPPER: `${script} 'unbalanced` }),
        ),
      ).toMatch(/^CHANT_AGENT_WRAPPER cannot be split into arguments: unbalanced single quote/);
    });
  });

  it("says when bubblewrap or prlimit is missing", async () => {
    const empty = join(base, "empty-path");
    mkdirSync(empty);
    expect(await configError(sandboxFromEnv({ PATH: empty }, { workRoot }))).toMatch(
      /^bubblewrap \(bwrap\) is not installed: install it \(apt-get install bubblewrap\), or set CHANT_SANDBOX=wrapper/,
    );
    const onlyBwrap = join(base, "only-bwrap");
    mkdirSync(onlyBwrap);
    symlinkSync("/usr/bin/bwrap", join(onlyBwrap, "bwrap"));
    expect(await configError(sandboxFromEnv({ PATH: onlyBwrap }, { workRoot }))).toBe(
      "prlimit (util-linux) is not installed: it sets the sandbox's limits (apt-get install util-linux)",
    );
  });
});

describe("CHANT_SANDBOX_READ", () => {
  const refusal = (path: string, secret: string) =>
    `CHANT_SANDBOX_READ: ${path} holds ${secret} (the app's key, .env, its own directory or the jobs' directories), which a sandbox must never see`;

  it("refuses a relative path", async () => {
    expect(await configError(fromEnv({ CHANT_SANDBOX_READ: "test/fixtures" }))).toBe(
      'CHANT_SANDBOX_READ: "test/fixtures" is not an absolute path',
    );
  });

  it("refuses a path that does not exist", async () => {
    expect(await configError(fromEnv({ CHANT_SANDBOX_READ: "/nonexistent/chant" }))).toBe(
      "CHANT_SANDBOX_READ: /nonexistent/chant does not exist",
    );
  });

  it("refuses the app's directory and what holds it", async () => {
    for (const path of ["/", dirname(REAL_APP_DIR), REAL_APP_DIR]) {
      expect(await configError(fromEnv({ CHANT_SANDBOX_READ: path }))).toBe(
        refusal(path, REAL_APP_DIR),
      );
    }
  });

  it("refuses a symbolic link to the app's directory", async () => {
    const link = join(base, "link-to-app");
    symlinkSync(REAL_APP_DIR, link);
    expect(await configError(fromEnv({ CHANT_SANDBOX_READ: link }))).toBe(
      refusal(link, REAL_APP_DIR),
    );
  });

  it("refuses the work root and what holds it", async () => {
    const realWorkRoot = realpathSync(workRoot);
    for (const path of [base, workRoot]) {
      expect(await configError(fromEnv({ CHANT_SANDBOX_READ: path }))).toBe(
        refusal(path, realWorkRoot),
      );
    }
  });

  it("refuses what holds the private key", async () => {
    const keys = join(base, "keys");
    mkdirSync(keys);
    const key = join(keys, "app.pem");
    writeFileSync(key, "-----BEGIN PRIVATE KEY-----\n");
    for (const path of [keys, key]) {
      expect(await configError(fromEnv({ PRIVATE_KEY_PATH: key, CHANT_SANDBOX_READ: path }))).toBe(
        refusal(path, realpathSync(key)),
      );
    }
  });

  it("refuses a path inside the work root", async () => {
    const inside = join(workRoot, "other-job");
    mkdirSync(inside, { recursive: true });
    expect(await configError(fromEnv({ CHANT_SANDBOX_READ: inside }))).toBe(
      `CHANT_SANDBOX_READ: ${inside} is inside the work directory, where other jobs' clones live`,
    );
  });

  it("the first bad one of a list fails it", async () => {
    const ok = join(base, "ok-dir");
    mkdirSync(ok, { recursive: true });
    expect(await configError(fromEnv({ CHANT_SANDBOX_READ: `${ok}:relative` }))).toBe(
      'CHANT_SANDBOX_READ: "relative" is not an absolute path',
    );
  });
});

describe("CHANT_SANDBOX_UID", () => {
  it("is 65534 for a root worker by default; 0 keeps root; another uid is used as given", async () => {
    const runsAs = /; runs as uid (\d+)$/;
    if (ROOT) {
      expect(runsAs.exec((await fromEnv({})).description)?.[1]).toBe("65534");
      expect((await fromEnv({ CHANT_SANDBOX_UID: "0" })).description).not.toMatch(runsAs);
      expect(runsAs.exec((await fromEnv({ CHANT_SANDBOX_UID: " 1234 " })).description)?.[1]).toBe(
        "1234",
      );
    } else {
      // A worker that is not root starts sandboxes as itself, whatever is set.
      expect((await fromEnv({ CHANT_SANDBOX_UID: "1234" })).description).not.toMatch(runsAs);
    }
  });

  it.each(["abc", "-1", "1.5", "4294967295", "root"])("refuses %j (as root)", async (value) => {
    const attempt = fromEnv({ CHANT_SANDBOX_UID: value });
    if (ROOT) {
      expect(await configError(attempt)).toBe(`CHANT_SANDBOX_UID "${value}" is not a user id`);
    } else {
      expect((await attempt).kind).toBe("bubblewrap");
    }
  });
});

describe("limits", () => {
  it("are read from the environment", async () => {
    const sandbox = await fromEnv({
      CHANT_SANDBOX_PROCESSES: "64",
      CHANT_SANDBOX_MEMORY_MB: "256",
      CHANT_SANDBOX_FILE_MB: " 2 ",
      CHANT_SANDBOX_DISK_RESERVE_MB: "0",
      CHANT_SANDBOX_TMP_MB: "",
    });
    expect(sandbox.description).toContain(
      "limits 64 processes, 256 MiB per process, 2 MiB per file, 0 MiB of disk kept free",
    );
  });

  it.each<[string, string, number, number]>([
    ["CHANT_SANDBOX_PROCESSES", "15", 16, 1_000_000],
    ["CHANT_SANDBOX_PROCESSES", "1000001", 16, 1_000_000],
    ["CHANT_SANDBOX_PROCESSES", "many", 16, 1_000_000],
    ["CHANT_SANDBOX_PROCESSES", "100.5", 16, 1_000_000],
    ["CHANT_SANDBOX_MEMORY_MB", "63", 64, 1_048_576],
    ["CHANT_SANDBOX_MEMORY_MB", "4g", 64, 1_048_576],
    ["CHANT_SANDBOX_FILE_MB", "0", 1, 1_048_576],
    ["CHANT_SANDBOX_FILE_MB", "1048577", 1, 1_048_576],
    ["CHANT_SANDBOX_DISK_RESERVE_MB", "-1", 0, 1_048_576],
    ["CHANT_SANDBOX_TMP_MB", "0", 1, 1_048_576],
  ])("%s=%s is refused", async (name, value, min, max) => {
    expect(await configError(fromEnv({ [name]: value }))).toBe(
      `${name} "${value}" must be a whole number from ${min} to ${max}`,
    );
  });
});

describe("checkSandbox", () => {
  const tools = join(base, "tools");
  const tool = join(tools, "agent-cli");
  mkdirSync(tools);
  writeFileSync(tool, "#!/bin/sh\necho agent\n");
  chmodSync(tool, 0o755);

  const preflights = () =>
    readdirSync(workRoot).filter((name) => name.startsWith("chant-preflight-"));

  it("passes when the programs are there, and leaves nothing behind", async () => {
    const sandbox = await fromEnv({});
    await expect(
      checkSandbox(sandbox, { workRoot, programs: ["sh", "node", process.execPath] }),
    ).resolves.toBeUndefined();
    expect(preflights()).toEqual([]);
  });

  it("says that a program is not installed", async () => {
    const sandbox = await fromEnv({});
    expect(
      await configError(
        checkSandbox(sandbox, { workRoot, programs: ["sh", "chant-not-installed"] }),
      ),
    ).toBe(`chant-not-installed is not installed: it is not on PATH (${process.env.PATH ?? ""})`);
    expect(
      await configError(checkSandbox(sandbox, { workRoot, programs: ["/nonexistent/agent"] })),
    ).toBe("/nonexistent/agent is not installed: it is not there");
    expect(preflights()).toEqual([]);
  });

  it("says that a program is not visible inside, until CHANT_SANDBOX_READ shows it", async () => {
    const sandbox = await fromEnv({});
    expect(await configError(checkSandbox(sandbox, { workRoot, programs: [tool] }))).toBe(
      `${tool} is not visible inside the sandbox (bubblewrap): install it under /usr, or add its directory to CHANT_SANDBOX_READ`,
    );
    const reading = await fromEnv({ CHANT_SANDBOX_READ: tools });
    await expect(checkSandbox(reading, { workRoot, programs: [tool] })).resolves.toBeUndefined();
    const result = await reading.run([tool], job());
    expect(result.stdout).toBe("agent\n");
  });

  it("explains a work root the sandbox's user cannot reach (a root worker)", async () => {
    // A worker that is not root runs the sandbox as itself: it reaches its own work root.
    expect(ROOT).toBe(process.getuid?.() === 0);
    if (!ROOT) return;
    const closed = mkdtempSync(join(base, "closed-"));
    chmodSync(closed, 0o700);
    const inside = join(closed, "work");
    const sandbox = await sandboxFromEnv({ PATH }, { workRoot: inside });
    expect(await configError(checkSandbox(sandbox, { workRoot: inside }))).toMatch(
      /Permission denied: the sandbox's user \(CHANT_SANDBOX_UID, 65534 for a root worker\) cannot reach the work directory; make CHANT_WORK_DIR and its parents traversable/,
    );
  });

  it("refuses a work directory of another user's, or one it cannot write in, in one line", async () => {
    const sandbox = await fromEnv({});
    const fix = "set CHANT_WORK_DIR to a directory of this user's own";
    if (ROOT) {
      // Made by someone else before the worker started: they could change the clones in it.
      const theirs = mkdtempSync(join(base, "theirs-"));
      chownSync(theirs, 4242, 4242);
      expect(await configError(checkSandbox(sandbox, { workRoot: theirs }))).toBe(
        `the work directory ${theirs} belongs to uid 4242, not to this user (uid 0), who could change the clones made in it: ${fix}`,
      );
      // A link to it is the same directory.
      const link = join(base, "link-to-theirs");
      symlinkSync(theirs, link);
      expect(await configError(checkSandbox(sandbox, { workRoot: link }))).toMatch(
        /belongs to uid 4242, not to this user \(uid 0\)/,
      );
    } else {
      // root's, as a root test run's /tmp/chant-bot-work was to a user on the same machine.
      expect(await configError(checkSandbox(sandbox, { workRoot: "/usr" }))).toMatch(
        /^this user \(uid \d+\) cannot write in the work directory \/usr \(uid 0's, mode [0-7]+\): set CHANT_WORK_DIR/,
      );
    }
    const file = join(base, "not-a-directory");
    writeFileSync(file, "");
    expect(await configError(checkSandbox(sandbox, { workRoot: file }))).toBe(
      `cannot make the work directory ${file} (EEXIST): ${fix}`,
    );
    // This user's own passes (the other tests' workRoot).
    await expect(checkSandbox(sandbox, { workRoot })).resolves.toBeUndefined();
  });

  it("says what a wrapper that does not run commands does", async () => {
    expect(await configError(checkSandbox(new WrapperSandbox(["false"]), { workRoot }))).toBe(
      "the sandbox (wrapper) cannot run a command: exit 1",
    );
    expect(
      await configError(checkSandbox(new WrapperSandbox(["/nonexistent/wrap"]), { workRoot })),
    ).toBe("command not found: /nonexistent/wrap (sandbox: wrapper)");
  });
});

describe("openSandbox", () => {
  it("says off loudly and checks nothing", async () => {
    const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const sandbox = await openSandbox({ CHANT_SANDBOX: "off" }, { workRoot, log });
    expect(sandbox.kind).toBe("off");
    expect(log.error).toHaveBeenCalledWith(
      expect.stringMatching(/^CHANT_SANDBOX=off: agents and check commands run WITHOUT a sandbox/),
    );
  });

  it("checks the sandbox and logs what isolates the commands", async () => {
    const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const sandbox = await openSandbox({ PATH }, { workRoot, log, programs: ["sh"] });
    expect(log.info).toHaveBeenCalledWith(`sandbox: ${sandbox.description}`);
    await expect(
      openSandbox({ PATH }, { workRoot, log, programs: ["chant-not-installed"] }),
    ).rejects.toThrow(/chant-not-installed is not installed/);
  });
});

describe("egressFromEnv", () => {
  it.each(["public", " PUBLIC "])("%j allows any public address", (value) => {
    expect(egressFromEnv({ CHANT_SANDBOX_EGRESS: value })).toBe("public");
  });

  it('refuses "public" listed with hosts', () => {
    expect(() => egressFromEnv({ CHANT_SANDBOX_EGRESS: "public, pypi.org" })).toThrow(
      /"public" \(any public address\) stands alone/,
    );
  });

  it("reads a list", () => {
    expect(
      egressFromEnv({
        CHANT_SANDBOX_EGRESS: "pypi.org, *.pythonhosted.org registry.npmjs.org:443 10.0.0.7:8080",
      }),
    ).toEqual([
      { host: "pypi.org", port: undefined },
      { host: "*.pythonhosted.org", port: undefined },
      { host: "registry.npmjs.org", port: 443 },
      { host: "10.0.0.7", port: 8080 },
    ]);
  });

  it("is nothing when unset", () => {
    expect(egressFromEnv({})).toEqual([]);
    expect(egressFromEnv({ CHANT_SANDBOX_EGRESS: "  " })).toEqual([]);
  });

  it("refuses garbage", () => {
    expect(() => egressFromEnv({ CHANT_SANDBOX_EGRESS: "*" })).toThrow(SandboxConfigError);
    expect(() => egressFromEnv({ CHANT_SANDBOX_EGRESS: "https://pypi.org" })).toThrow(
      'CHANT_SANDBOX_EGRESS: "https://pypi.org" has no valid port (1-65535)',
    );
    expect(() => egressFromEnv({ CHANT_SANDBOX_EGRESS: "pypi.org exa_mple.com" })).toThrow(
      'CHANT_SANDBOX_EGRESS: "exa_mple.com" is not a host name, *.domain or IP address (with an optional :port)',
    );
  });
});
