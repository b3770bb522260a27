/**
 * The real bubblewrap sandbox, from the inside: what a hostile command can
 * see, write, reach and use up. Needs Debian's bubblewrap and util-linux
 * (`.ci/run`'s machine has both); the tests run as root there, so the
 * sandbox starts as an unprivileged user outside as well.
 */
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
  existsSync,
} from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer, type AddressInfo, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BubblewrapSandbox, DEFAULT_LIMITS, SANDBOX_HOME } from "../../src/sandbox/bubblewrap.js";
import { findProgram, sandboxFromEnv } from "../../src/sandbox/sandbox-from-env.js";
import type {
  NetworkPolicy,
  Sandbox,
  SandboxResult,
  SandboxRun,
  SandboxRunOptions,
} from "../../src/sandbox/sandbox.js";

const ROOT = process.getuid?.() === 0;
const MY_UID = process.getuid?.() ?? 0;
/** The process-limit tests run as a user of their own, so other jobs' processes do not count. */
const LIMITED_UID = 64_917;
const PATH = "/usr/local/bin:/usr/bin:/bin";

// Not under /tmp: inside the sandbox /tmp is a tmpfs of its own, and the work root's parents
// must be what bubblewrap makes of them (nothing writable).
const base = mkdtempSync("/var/tmp/chant-bwrap-test-");
const workRoot = join(base, "work");
/** A file of the host next to the work root, never bound into any sandbox. */
const outsideSecret = join(base, "outside-secret.txt");
let sandbox: Sandbox;
let limited: Sandbox;
let jobs = 0;

beforeAll(async () => {
  // As an operator's CHANT_WORK_DIR: its parents traversable by the sandbox's user.
  chmodSync(base, 0o711);
  mkdirSync(workRoot);
  writeFileSync(outsideSecret, "host secret\n");
  sandbox = await sandboxFromEnv({ PATH: process.env.PATH }, { workRoot });
  limited = await sandboxFromEnv(
    {
      PATH: process.env.PATH,
      // RLIMIT_NPROC counts every process of the sandbox's user. As root the limited sandbox
      // gets a uid of its own; a non-root run's sandboxes share the runner's uid with all it
      // runs (vitest's workers, other files' sandboxes, Redis), so a low limit stops them all.
      ...(ROOT ? { CHANT_SANDBOX_PROCESSES: "64" } : {}),
      CHANT_SANDBOX_MEMORY_MB: "256",
      CHANT_SANDBOX_FILE_MB: "8",
      CHANT_SANDBOX_TMP_MB: "4",
      CHANT_SANDBOX_UID: String(LIMITED_UID),
    },
    { workRoot },
  );
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

interface Job {
  dir: string;
  work: string;
  privateDir: string;
  run(network?: NetworkPolicy, extra?: Partial<SandboxRun>): SandboxRun;
}

/** <work root>/<job>/{work,sandbox}, as the worker lays a job out. */
function newJob(): Job {
  jobs += 1;
  const dir = join(workRoot, `job-${jobs}`);
  const work = join(dir, "work");
  const privateDir = join(dir, "sandbox");
  mkdirSync(work, { recursive: true });
  mkdirSync(privateDir);
  return {
    dir,
    work,
    privateDir,
    run: (network = { kind: "none" }, extra = {}) => ({
      cwd: work,
      writable: [work],
      privateDir,
      network,
      env: { PATH },
      ...extra,
    }),
  };
}

async function sh(
  script: string,
  options: { box?: Sandbox; job?: Job; run?: Partial<SandboxRun>; opts?: SandboxRunOptions } = {},
): Promise<SandboxResult & { job: Job }> {
  const job = options.job ?? newJob();
  const result = await (options.box ?? sandbox).run(
    ["sh", "-c", script],
    { ...job.run(), ...options.run },
    { timeoutMs: 15_000, ...options.opts },
  );
  return { ...result, job };
}

/** Host processes whose command line holds `marker`, zombies left out. */
function hostProcesses(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "latin1");
      const stat = readFileSync(`/proc/${entry}/stat`, "latin1");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (cmdline.includes(marker) && state !== "Z" && state !== "X") found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return condition();
}

/** A number no other process on the machine has in its command line. */
function marker(): string {
  return `${300 + Math.floor(Math.random() * 600)}.${process.pid}${jobs}`;
}

async function listenTcp(server: Server): Promise<number> {
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return (server.address() as AddressInfo).port;
}

describe("what the command sees", () => {
  it("sees only its own processes, with bubblewrap as PID 1", async () => {
    const result = await sh(
      `ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' '; echo; tr '\\0' ' ' < /proc/1/cmdline; echo; kill -0 ${process.pid} && echo sees-the-worker; hostname`,
    );
    expect(result.exitCode).toBe(0);
    const [pids, cmdline, ...rest] = result.stdout.split("\n");
    const numbers = pids!.trim().split(" ").map(Number);
    expect(numbers).toContain(1);
    expect(numbers.length).toBeLessThanOrEqual(6);
    expect(Math.max(...numbers)).toBeLessThan(20);
    expect(cmdline!.split(" ")[0]).toMatch(/(^|\/)bwrap$/);
    // (PID 1's command line holds the script: look at the lines after it.)
    expect(rest).toEqual(["chant-sandbox", ""]);
  });

  it("cannot read the host's files outside its binds", async () => {
    const result = await sh(
      [
        `cat ${outsideSecret} && echo READ-SECRET`,
        // The work root's parents exist (bubblewrap makes them to hold the binds), empty.
        `ls -A ${base} | grep -v '^work$' && echo LISTED-BASE`,
        "cat /etc/shadow && echo READ-SHADOW",
        "ls /root && echo LISTED-ROOT",
        `ls ${process.cwd()}/package.json && echo SEES-APP`,
        "ls /var/lib && echo SEES-VAR",
        "echo done",
      ].join("; "),
    );
    expect(result.stdout).toBe("done\n");
    expect(result.stderr).toContain(`${outsideSecret}: No such file or directory`);
  });

  it("cannot write outside its writable directories", async () => {
    const job = newJob();
    const sibling = join(job.dir, "sibling");
    const targets = [
      "/usr/chant-test",
      "/etc/chant-test",
      "/chant-test",
      "/dev/chant-test",
      join(job.dir, "chant-test"),
      join(sibling, "chant-test"),
      join(workRoot, "chant-test"),
      join(base, "chant-test"),
      outsideSecret,
    ];
    mkdirSync(sibling);
    const result = await sh(
      `${targets.map((t) => `echo x > ${t} && echo WROTE ${t}`).join("; ")}; echo > /dev/null && echo done`,
      { job },
    );
    expect(result.stdout).toBe("done\n");
    for (const target of targets) expect(result.stderr).toContain(target);
    expect(existsSync(join(job.dir, "chant-test"))).toBe(false);
    expect(existsSync(join(sibling, "chant-test"))).toBe(false);
    expect(existsSync(join(workRoot, "chant-test"))).toBe(false);
    expect(existsSync(join(base, "chant-test"))).toBe(false);
    expect(readFileSync(outsideSecret, "utf8")).toBe("host secret\n");
  });

  it("writes its writable directory, HOME, /tmp and /dev/shm; the first reaches the host", async () => {
    const result = await sh(
      `pwd; echo made > made.txt && echo home > "$HOME/h" && echo tmp > /tmp/t && echo shm > /dev/shm/s && cat made.txt "$HOME/h" /tmp/t /dev/shm/s`,
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`${result.job.work}\nmade\nhome\ntmp\nshm\n`);
    expect(readFileSync(join(result.job.work, "made.txt"), "utf8")).toBe("made\n");
    expect(readFileSync(join(result.job.privateDir, "home", "h"), "utf8")).toBe("home\n");
  });

  it("runs as uid 1000 without capabilities, privileges to gain or user namespaces", async () => {
    const result = await sh(
      "id -u; id -g; grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs):' /proc/self/status; unshare --user true && echo NEW-USERNS; echo $HOME",
    );
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toBe("1000");
    expect(lines[1]).toBe("1000");
    expect(result.stdout).toMatch(/^CapEff:\s+0000000000000000$/m);
    expect(result.stdout).toMatch(/^CapPrm:\s+0000000000000000$/m);
    expect(result.stdout).toMatch(/^CapBnd:\s+0000000000000000$/m);
    expect(result.stdout).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(result.stdout).not.toContain("NEW-USERNS");
    expect(lines.at(-1)).toBe(SANDBOX_HOME);
  });

  it("gets exactly the environment it was given, plus HOME, TMPDIR, USER, LOGNAME (and bubblewrap's PWD)", async () => {
    process.env.CHANT_TEST_WORKER_SECRET = "worker-only";
    try {
      const job = newJob();
      const result = await sandbox.run(["/usr/bin/env"], {
        ...job.run(),
        env: { PATH, FOO: "bar baz", HOME: "/root", USER: "root" },
      });
      expect(result.stdout.trim().split("\n").sort()).toEqual([
        "FOO=bar baz",
        `HOME=${SANDBOX_HOME}`,
        "LOGNAME=chant",
        `PATH=${PATH}`,
        `PWD=${job.work}`,
        "TMPDIR=/tmp",
        "USER=chant",
      ]);
    } finally {
      delete process.env.CHANT_TEST_WORKER_SECRET;
    }
  });

  it("hides a masked file and directory inside a read-only bound directory", async () => {
    const shared = join(base, "shared");
    mkdirSync(join(shared, "secrets"), { recursive: true });
    writeFileSync(join(shared, "public.txt"), "public\n");
    writeFileSync(join(shared, "key.pem"), "PRIVATE KEY\n");
    writeFileSync(join(shared, "secrets", "token"), "TOKEN\n");
    const masking = new BubblewrapSandbox({
      bwrap: (await findProgram("bwrap", process.env.PATH))!,
      prlimit: (await findProgram("prlimit", process.env.PATH))!,
      node: realpathSync(process.execPath),
      extraReadOnly: [shared],
      masked: [join(shared, "key.pem"), join(shared, "secrets"), outsideSecret],
      limits: DEFAULT_LIMITS,
      user: ROOT ? { uid: 65534, gid: 65534 } : undefined,
      disableUserns: true,
    });
    const result = await sh(
      `cat ${shared}/public.txt; echo "[$(cat ${shared}/key.pem)]"; ls -A ${shared}/secrets | wc -l; cat ${shared}/secrets/token; echo x > ${shared}/secrets/new && echo WROTE; echo x > ${shared}/new && echo WROTE; echo done`,
      { box: masking },
    );
    expect(result.stdout).toBe("public\n[]\n0\ndone\n");
    expect(readFileSync(join(shared, "key.pem"), "utf8")).toBe("PRIVATE KEY\n");
  });
});

describe("network", () => {
  let server: Server;
  let port: number;
  let connections = 0;

  beforeAll(async () => {
    server = createServer((socket) => {
      connections += 1;
      socket.end("hello from the host\n");
    });
    port = await listenTcp(server);
  });

  afterAll(async () => {
    await new Promise((done) => server.close(done));
  });

  const tryConnect = (target: number) =>
    `node -e 'require("net").connect(${target}, "127.0.0.1").on("connect", () => { console.log("CONNECTED"); process.exit(0) }).on("error", (e) => console.log(e.code))'`;

  it('has none with {kind: "none"}: the host\'s loopback is not its loopback', async () => {
    const before = connections;
    const result = await sh(
      `${tryConnect(port)}; ${tryConnect(6379)}; ls /sys/class/net 2>&1 | head -1`,
    );
    expect(result.stdout.split("\n").slice(0, 2)).toEqual(["ECONNREFUSED", "ECONNREFUSED"]);
    expect(connections).toBe(before);
  });

  it("goes out through the egress proxy only where the rules allow", async () => {
    const requests: string[] = [];
    const web = createHttpServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.end(`hello ${req.url}`);
    });
    const webPort = await listenTcp(web as unknown as Server);
    try {
      const script = `
        const http = require("http");
        const proxy = new URL(process.env.HTTP_PROXY);
        const get = (url) => new Promise((done) => {
          const req = http.request({ host: proxy.hostname, port: proxy.port, path: url }, (res) => {
            let body = "";
            res.on("data", (d) => (body += d));
            res.on("end", () => done(res.statusCode + " " + body.trim()));
          });
          req.on("error", (e) => done("error " + e.message));
          req.end();
        });
        const tunnel = (target) => new Promise((done) => {
          const req = http.request({ host: proxy.hostname, port: proxy.port, method: "CONNECT", path: target });
          req.on("connect", (res, socket) => { done(String(res.statusCode)); socket.destroy(); });
          req.on("error", (e) => done("error " + e.message));
          req.end();
        });
        const direct = (port) => new Promise((done) => {
          require("net").connect(port, "127.0.0.1").on("connect", () => done("CONNECTED")).on("error", (e) => done(e.code));
        });
        (async () => {
          console.log("GET " + (await get("http://127.0.0.1:${webPort}/x")));
          console.log("OTHER " + (await get("http://127.0.0.1:${port}/")));
          console.log("REDIS " + (await tunnel("127.0.0.1:6379")));
          console.log("DIRECT " + (await direct(${webPort})));
          console.log("PROXY " + process.env.HTTPS_PROXY + " " + process.env.http_proxy);
        })();
      `;
      const job = newJob();
      const result = await sandbox.run(
        ["node", "-e", script],
        job.run({ kind: "egress", allow: [{ host: "127.0.0.1", port: webPort }] }),
        { timeoutMs: 15_000 },
      );
      expect(result.stderr).toBe("");
      expect(result.stdout.trim().split("\n")).toEqual([
        "GET 200 hello /x",
        `OTHER 403 chant-bot sandbox: 127.0.0.1:${port} not on the allow-list`,
        "REDIS 403",
        "DIRECT ECONNREFUSED",
        "PROXY http://127.0.0.1:3128 http://127.0.0.1:3128",
      ]);
      expect(requests).toEqual(["GET /x"]);
      // The proxy is gone with the command.
      expect(existsSync(join(job.privateDir, "net", "egress.sock"))).toBe(false);
    } finally {
      await new Promise((done) => web.close(done));
    }
  });

  it('refuses the host\'s loopback with allow: "public"', async () => {
    const job = newJob();
    const result = await sandbox.run(
      [
        "node",
        "-e",
        `const http = require("http"); const p = new URL(process.env.HTTPS_PROXY);
         const t = (target) => new Promise((done) => { const r = http.request({ host: p.hostname, port: p.port, method: "CONNECT", path: target });
           r.on("connect", (res, s) => { done(res.statusCode); s.destroy(); }); r.on("error", (e) => done(e.message)); r.end(); });
         (async () => { for (const target of ["127.0.0.1:6379", "[::1]:6379", "[::ffff:7f00:1]:${port}", "169.254.169.254:80"]) console.log(target, await t(target)); })();`,
      ],
      job.run({ kind: "egress", allow: "public" }),
      { timeoutMs: 15_000 },
    );
    expect(result.stdout.trim().split("\n")).toEqual([
      "127.0.0.1:6379 403",
      "[::1]:6379 403",
      `[::ffff:7f00:1]:${port} 403`,
      "169.254.169.254:80 403",
    ]);
  });
});

describe("start errors", () => {
  it.each<[string, NetworkPolicy]>([
    ["without network", { kind: "none" }],
    ["through the egress bridge", { kind: "egress", allow: [] }],
  ])("a missing program is said as such %s", async (_, network) => {
    const job = newJob();
    const result = await sandbox.run(["chant-no-such-program"], job.run(network), {
      timeoutMs: 15_000,
    });
    expect(result.startError).toBe("command not found: chant-no-such-program");
    const absolute = await sandbox.run(["/nonexistent/chant-prog", "arg"], job.run(network));
    expect(absolute.startError).toBe("command not found: /nonexistent/chant-prog");
  });

  it("a command's own failure is not a start error", async () => {
    const result = await sh("echo 'it broke' >&2; exit 1");
    expect(result.exitCode).toBe(1);
    expect(result.startError).toBeUndefined();
    expect(result.stderr).toBe("it broke\n");
    const missing = await sh("chant-no-such-program");
    expect(missing.exitCode).toBe(127);
    expect(missing.startError).toBeUndefined();
  });

  it("a working directory bubblewrap cannot enter is a start error of bubblewrap", async () => {
    const elsewhere = join(base, "elsewhere");
    mkdirSync(elsewhere, { recursive: true, mode: 0o755 });
    const job = newJob();
    const result = await sandbox.run(["true"], { ...job.run(), cwd: elsewhere });
    expect(result.startError).toBe(
      `the sandbox (bubblewrap) could not start: Can't chdir to ${elsewhere}: No such file or directory`,
    );
  });
});

describe("who owns what", () => {
  it("files the command makes belong to the sandbox's user on the host", async () => {
    const result = await sh("mkdir sub && echo x > sub/file && echo y > top");
    expect(result.exitCode).toBe(0);
    const expected = ROOT ? 65534 : MY_UID;
    expect(statSync(join(result.job.work, "top")).uid).toBe(expected);
    expect(statSync(join(result.job.work, "sub", "file")).uid).toBe(expected);
    expect(statSync(result.job.work).uid).toBe(expected);
  });

  it("ownsWritable: false runs as the caller and chowns nothing", async () => {
    const job = newJob();
    writeFileSync(join(job.work, "theirs"), "a person's file\n");
    const result = await sandbox.run(
      ["sh", "-c", "cat theirs; echo mine > mine; id -u"],
      job.run({ kind: "none" }, { ownsWritable: false }),
    );
    expect(result.stdout).toBe("a person's file\n1000\n");
    expect(statSync(join(job.work, "mine")).uid).toBe(MY_UID);
    expect(statSync(join(job.work, "theirs")).uid).toBe(MY_UID);
    expect(statSync(job.work).uid).toBe(MY_UID);
  });
});

describe("limits", () => {
  // As a non-root user the fork bomb's limit is shared with the test run itself (see beforeAll).
  it.skipIf(!ROOT)("RLIMIT_NPROC holds a fork bomb", async () => {
    const script = `
      const { spawn } = require("child_process");
      let started = 0;
      let refused = 0;
      for (let i = 0; i < 128; i++) {
        const child = spawn("sleep", ["5"], { stdio: "ignore" });
        child.on("error", () => undefined);
        if (child.pid) started++; else refused++;
      }
      console.log(started + " " + refused);
      process.exit(0);
    `;
    const job = newJob();
    const result = await limited.run(["node", "-e", script], job.run(), { timeoutMs: 15_000 });
    const [started, refused] = result.stdout.trim().split(" ").map(Number) as [number, number];
    expect(started).toBeGreaterThan(0);
    expect(started).toBeLessThanOrEqual(64);
    expect(refused).toBeGreaterThanOrEqual(64);
    // Without the low limit all of them start.
    const free = await sandbox.run(["node", "-e", script], newJob().run(), { timeoutMs: 15_000 });
    expect(free.stdout.trim()).toBe("128 0");
  });

  it("RLIMIT_FSIZE stops a file at CHANT_SANDBOX_FILE_MB", async () => {
    const result = await sh("head -c 20000000 /dev/zero > big; echo status $?", { box: limited });
    expect(result.stdout).toMatch(/^status [1-9]\d*\n$/);
    expect(statSync(join(result.job.work, "big")).size).toBe(8 * 1024 * 1024);
  });

  it("/tmp and /dev/shm hold CHANT_SANDBOX_TMP_MB each", async () => {
    const result = await sh(
      "for d in /tmp /dev/shm; do head -c 3000000 /dev/zero > $d/a && echo fits $d; head -c 3000000 /dev/zero > $d/b || echo full $d; done",
      { box: limited },
    );
    expect(result.stdout).toBe("fits /tmp\nfull /tmp\nfits /dev/shm\nfull /dev/shm\n");
    expect(result.stderr).toMatch(/No space left on device/);
  });

  it("RLIMIT_DATA stops an allocation over CHANT_SANDBOX_MEMORY_MB", async () => {
    const alloc = (mb: number) =>
      `node -e 'try { const b = Buffer.alloc(${mb} * 1024 * 1024, 1); console.log("allocated ${mb}", b[b.length - 1]) } catch (e) { console.log("refused ${mb}: " + e.message) }'`;
    const result = await sh(`${alloc(64)}; ${alloc(512)}`, { box: limited });
    expect(result.stdout).toMatch(/^allocated 64 1\n/);
    expect(result.output).not.toContain("allocated 512");
    expect(result.output).toMatch(/refused 512|allocation failed|out of memory/i);
  });

  it("the disk watchdog stops a command when free space drops under the reserve", async () => {
    const job = newJob();
    const stat = statfsSync(job.work);
    const freeMb = Math.floor((stat.bavail * stat.bsize) / (1024 * 1024));
    const watched = new BubblewrapSandbox({
      bwrap: (await findProgram("bwrap", process.env.PATH))!,
      prlimit: (await findProgram("prlimit", process.env.PATH))!,
      node: realpathSync(process.execPath),
      extraReadOnly: [],
      masked: [],
      limits: { ...DEFAULT_LIMITS, diskReserveMb: freeMb - 50 },
      user: ROOT ? { uid: 65534, gid: 65534 } : undefined,
      disableUserns: true,
      diskPollMs: 50,
    });
    try {
      const result = await watched.run(
        ["sh", "-c", "head -c 209715200 /dev/zero > big; echo written; sync big; sleep 20"],
        job.run(),
        { timeoutMs: 15_000, killGraceMs: 1000 },
      );
      expect(result.limit).toBe(
        `the disk had less than ${freeMb - 50} MiB free (CHANT_SANDBOX_DISK_RESERVE_MB), so the command was stopped`,
      );
      expect(result.output).toContain(`[chant-bot sandbox: ${result.limit}]`);
      expect(result.cancelled).toBe(false);
      expect(result.timedOut).toBe(false);
      expect(result.durationMs).toBeLessThan(10_000);
    } finally {
      rmSync(join(job.work, "big"), { force: true });
    }
  });
});

describe("stopping", () => {
  it("the timeout kills the whole sandbox, background and setsid children too", async () => {
    const mark = marker();
    let seen = 0;
    const result = await sh(`sleep ${mark} & setsid sleep ${mark} & echo started; sleep ${mark}`, {
      opts: {
        timeoutMs: 2500,
        killGraceMs: 500,
        onStdout: (chunk) => {
          // The three sleeps, seen from the host while they run.
          if (chunk.includes("started")) {
            void waitFor(() => (seen = hostProcesses(`sleep\0${mark}`).length) >= 3, 2000);
          }
        },
      },
    });
    expect(result.timedOut).toBe(true);
    expect(seen).toBe(3);
    expect(await waitFor(() => hostProcesses(mark).length === 0, 3000)).toBe(true);
  });

  it("aborting the signal kills everything inside", async () => {
    const mark = marker();
    const controller = new AbortController();
    let seen = 0;
    const running = sh(`sleep ${mark} & (sleep ${mark} &) ; echo started; sleep ${mark}`, {
      opts: {
        signal: controller.signal,
        killGraceMs: 500,
        onStdout: (chunk) => {
          if (chunk.includes("started")) {
            void waitFor(() => (seen = hostProcesses(`sleep\0${mark}`).length) >= 3, 2000).then(
              () => controller.abort(),
            );
          }
        },
      },
    });
    const result = await running;
    expect(seen).toBe(3);
    expect(result.cancelled).toBe(true);
    expect(result.limit).toBeUndefined();
    expect(await waitFor(() => hostProcesses(mark).length === 0, 3000)).toBe(true);
  });
});
