/**
 * The default sandbox: bubblewrap (Debian's `bubblewrap` package).
 *
 * Each command gets new user, PID, IPC, UTS, cgroup and network namespaces,
 * `--die-with-parent`, `--new-session`, no capabilities and no further user
 * namespaces. Its filesystem is a fresh root holding only: the system
 * read-only (/usr, the /bin and /lib links, a short list of /etc entries,
 * Node's own prefix, and what the operator lists in CHANT_SANDBOX_READ), its
 * own /proc and /dev, a size-limited /tmp, a private HOME, and the job's
 * writable directories. The worker's processes, files, environment, key file,
 * `.env`, the app's checkout and other jobs' directories are not there.
 * Network: none, or only through the egress proxy (egress-proxy.ts).
 * Limits: processes, memory per process, file size, open files (prlimit), a
 * floor of free disk (watched while it runs), and the caller's timeout.
 *
 * A worker running as root starts the sandbox as an unprivileged user
 * (CHANT_SANDBOX_UID, default 65534): process limits count per user, and
 * root's files stay out of reach even if a mount were misconfigured.
 */
import {
  chmod,
  lchown,
  mkdir,
  readdir,
  readlink,
  realpath,
  statfs,
  writeFile,
} from "node:fs/promises";
import { dirname, join } from "node:path";
import { runProcess } from "../process/run-process.js";
import {
  BRIDGE_PATH,
  BRIDGE_PORT,
  BRIDGE_SOURCE,
  NOT_FOUND_MARK,
  PROXY_SOCKET_PATH,
} from "./egress-bridge.js";
import { startEgressProxy, type EgressProxy } from "./egress-proxy.js";
import type {
  Sandbox,
  SandboxLog,
  SandboxResult,
  SandboxRun,
  SandboxRunOptions,
} from "./sandbox.js";
import { lstatIfPresent } from "../process/file-status.js";
import { killProcessGroupsIn } from "../process/processes-in-dir.js";

/** Inside the sandbox the command runs as this user (not root: agents refuse some modes as root). */
export const SANDBOX_UID = 1000;
export const SANDBOX_HOME = "/home/chant";

export interface SandboxLimits {
  /** RLIMIT_NPROC: processes of the sandbox's user. */
  processes: number;
  /** RLIMIT_DATA per process, MiB (V8 and CPython fail cleanly at it; RLIMIT_AS would break wasm). */
  memoryMb: number;
  /** RLIMIT_FSIZE: the largest file a command may write, MiB. */
  fileMb: number;
  /** The command is stopped when the work directory's filesystem has less free than this, MiB. */
  diskReserveMb: number;
  /** Size of the in-memory /tmp, MiB. */
  tmpMb: number;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  processes: 1024,
  memoryMb: 4096,
  fileMb: 4096,
  diskReserveMb: 1024,
  tmpMb: 1024,
};

export interface BubblewrapOptions {
  bwrap: string;
  prlimit: string;
  /** The Node.js binary (the egress bridge runs on it). */
  node: string;
  /** Read-only binds besides the system's: Node's prefix, CHANT_SANDBOX_READ. */
  extraReadOnly: readonly string[];
  /** Files and directories never to be seen even where a bound directory holds them (the key, `.env`). */
  masked: readonly string[];
  limits: SandboxLimits;
  /** When the worker is root: who the sandbox runs as outside. */
  user?: { uid: number; gid: number } | undefined;
  /** bwrap supports --disable-userns (0.8+). */
  disableUserns: boolean;
  log?: SandboxLog | undefined;
  /** How often free disk is looked at while a command runs. */
  diskPollMs?: number;
}

/** Directories of the system a command needs, each bound read-only (or recreated as the link it is). */
const SYSTEM_PATHS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

/** /etc entries tools need (TLS roots, name service, time zone, linker, alternatives); nothing with secrets. */
const ETC_ENTRIES = [
  "alternatives",
  "ca-certificates",
  "ca-certificates.conf",
  "crypto-policies",
  "debian_version",
  "fonts",
  "gai.conf",
  "host.conf",
  "hosts",
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "localtime",
  "lsb-release",
  "magic",
  "mime.types",
  "nsswitch.conf",
  "os-release",
  "perl",
  "pki",
  "protocols",
  "resolv.conf",
  "services",
  "ssl",
  "timezone",
];
/** /etc entries by prefix: language runtimes keep their config there (java-17-openjdk, python3.11). */
const ETC_PREFIXES = ["java-", "python3", "node"];

export class BubblewrapSandbox implements Sandbox {
  readonly kind = "bubblewrap" as const;
  readonly description: string;
  private systemBinds: Promise<string[]> | undefined;
  /**
   * Directories already handed to the sandbox's user. The worker writes into a
   * job's directory only before its first sandboxed command (the clone, the
   * agent's copy, the base checkout with its tests), so one walk per directory
   * is enough: a 5,000-file clone costs ~125 ms per walk (BENCHMARKS.md).
   */
  private readonly handedOver = new Set<string>();

  constructor(private readonly options: BubblewrapOptions) {
    const l = options.limits;
    this.description =
      `bubblewrap: own user/PID/IPC/UTS/network namespaces, system read-only, only the job's directories writable; ` +
      `limits ${l.processes} processes, ${l.memoryMb} MiB per process, ${l.fileMb} MiB per file, ` +
      `${l.diskReserveMb} MiB of disk kept free` +
      (options.user ? `; runs as uid ${options.user.uid}` : "");
  }

  async run(
    argv: readonly string[],
    run: SandboxRun,
    options: SandboxRunOptions = {},
  ): Promise<SandboxResult> {
    const { limits } = this.options;
    const home = join(run.privateDir, "home");
    const etc = join(run.privateDir, "etc");
    const net = join(run.privateDir, "net");
    // recursive mkdir gives every directory it makes the same mode: the private directory first.
    await mkdir(run.privateDir, { recursive: true, mode: 0o711 });
    await mkdir(home, { recursive: true, mode: 0o700 });
    await mkdir(etc, { recursive: true, mode: 0o755 });
    await writeFile(
      join(etc, "passwd"),
      `root:x:0:0:root:/root:/usr/sbin/nologin\nchant:x:${SANDBOX_UID}:${SANDBOX_UID}:chant-bot sandbox:${SANDBOX_HOME}:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
    );
    await writeFile(join(etc, "group"), `root:x:0:\nchant:x:${SANDBOX_UID}:\nnogroup:x:65534:\n`);

    let proxy: EgressProxy | undefined;
    const env: Record<string, string> = {
      ...run.env,
      HOME: SANDBOX_HOME,
      USER: "chant",
      LOGNAME: "chant",
      TMPDIR: "/tmp",
    };
    let command = [...argv];
    const binds: string[] = [];
    if (run.network.kind === "egress") {
      await mkdir(net, { recursive: true });
      await writeFile(join(net, "egress-bridge.mjs"), BRIDGE_SOURCE);
      proxy = await startEgressProxy({
        socketPath: join(net, "egress.sock"),
        allow: run.network.allow,
        log: this.options.log,
      });
      binds.push("--ro-bind", join(net, "egress-bridge.mjs"), BRIDGE_PATH);
      binds.push("--bind", proxy.socketPath, PROXY_SOCKET_PATH);
      const proxyUrl = `http://127.0.0.1:${BRIDGE_PORT}`;
      for (const name of ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "ALL_PROXY"])
        env[name] = proxyUrl;
      command = [
        this.options.node,
        BRIDGE_PATH,
        String(BRIDGE_PORT),
        PROXY_SOCKET_PATH,
        "--",
        ...command,
      ];
    }

    // A person's checkout keeps its owner: then the sandbox runs as the worker's own user.
    const user = this.options.user && run.ownsWritable !== false ? this.options.user : undefined;
    try {
      if (user) {
        for (const dir of [...run.writable, home, ...(proxy ? [net] : [])]) {
          if (this.handedOver.has(dir)) continue;
          await chownTree(dir, user.uid, user.gid);
          this.handedOver.add(dir);
          // Job directories are unique (mkdtemp): remember the recent ones only.
          if (this.handedOver.size > 4096) {
            this.handedOver.delete(this.handedOver.values().next().value!);
          }
        }
        // The sandbox's user must get through the job's directories (and the work root above
        // them: privateDir is <work root>/<job>/<dir>) to reach its binds.
        const workRoot = dirname(dirname(run.privateDir));
        for (const path of [...run.writable, ...(run.readOnly ?? []), etc]) {
          await makeTraversable(dirname(path), workRoot);
        }
      }

      const args = [
        this.options.prlimit,
        `--nproc=${limits.processes}`,
        `--data=${limits.memoryMb * 1024 * 1024}`,
        `--fsize=${limits.fileMb * 1024 * 1024}`,
        "--nofile=4096",
        "--core=0",
        "--",
        this.options.bwrap,
        "--unshare-user",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-net",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        ...(this.options.disableUserns ? ["--disable-userns"] : []),
        "--uid",
        String(SANDBOX_UID),
        "--gid",
        String(SANDBOX_UID),
        "--hostname",
        "chant-sandbox",
        // /tmp first: what is bound below it later (an agent's file, the job) stays visible.
        "--size",
        String(limits.tmpMb * 1024 * 1024),
        "--tmpfs",
        "/tmp",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        // POSIX shared memory (Python's multiprocessing) gets its own size-limited tmpfs.
        "--size",
        String(limits.tmpMb * 1024 * 1024),
        "--tmpfs",
        "/dev/shm",
        ...(await this.systemArgs()),
        "--ro-bind",
        join(etc, "passwd"),
        "/etc/passwd",
        "--ro-bind",
        join(etc, "group"),
        "/etc/group",
        "--bind",
        home,
        SANDBOX_HOME,
        ...binds,
        ...run.writable.flatMap((dir) => ["--bind", dir, dir]),
        ...(run.readOnly ?? []).flatMap((path) => ["--ro-bind", path, path]),
        // bwrap's own root and /dev are tmpfs without a size limit that the command's user owns:
        // read-only, so that only the binds above, /tmp and /dev/shm can be written.
        "--remount-ro",
        "/dev",
        "--remount-ro",
        "/",
        "--chdir",
        run.cwd,
        "--",
        ...command,
      ];

      const watchdog = new AbortController();
      let limit: string | undefined;
      const stopFor = (reason: string) => {
        limit ??= reason;
        watchdog.abort(new Error(reason));
      };
      const signal = options.signal
        ? AbortSignal.any([options.signal, watchdog.signal])
        : watchdog.signal;
      const timer = setInterval(() => {
        void freeMb(run.cwd).then((free) => {
          if (free !== undefined && free < limits.diskReserveMb) {
            stopFor(
              `the disk had less than ${limits.diskReserveMb} MiB free (CHANT_SANDBOX_DISK_RESERVE_MB), so the command was stopped`,
            );
          }
        });
      }, this.options.diskPollMs ?? 2000);
      let result;
      try {
        result = await runProcess(args, {
          ...options,
          cwd: run.cwd,
          env,
          signal,
          ...(user ? { user } : {}),
        });
      } finally {
        clearInterval(timer);
        // What the command started must not outlive it. bwrap's init (pid 1 of the sandbox,
        // in a session of its own) was seen alive with the command's shell after a stop under
        // load: --die-with-parent did not take it down. Every process group still working in
        // the command's directory goes (a no-op when the sandbox ended by itself).
        killProcessGroupsIn(
          await realpath(run.cwd).catch((error: unknown) => {
            this.options.log?.warn({ err: error, cwd: run.cwd }, "sandbox: cwd not resolvable");
            return run.cwd;
          }),
        );
      }
      return this.interpret(result, command[0] ?? "", limit, options.signal);
    } finally {
      await proxy?.close();
    }
  }

  /** Start errors and limits said as such, not as the command's own failure. */
  private interpret(
    result: SandboxResult,
    program: string,
    limit: string | undefined,
    callerSignal: AbortSignal | undefined,
  ): SandboxResult {
    if (limit !== undefined && !callerSignal?.aborted) {
      return {
        ...result,
        cancelled: false,
        limit,
        output: `${result.output}\n[chant-bot sandbox: ${limit}]`,
      };
    }
    const stderr = result.stderr;
    if (result.exitCode === 127 && stderr.includes(NOT_FOUND_MARK)) {
      const name = stderr
        .slice(stderr.indexOf(NOT_FOUND_MARK) + NOT_FOUND_MARK.length)
        .split("\n")[0];
      return { ...result, startError: `command not found: ${name || program}` };
    }
    const bwrapError = /^bwrap: (.*)$/m.exec(stderr);
    if (result.exitCode === 1 && bwrapError && stderr.trim().split("\n").length <= 2) {
      const message = bwrapError[1]!;
      if (/^execvp .*: No such file or directory$/.test(message)) {
        return { ...result, startError: `command not found: ${program}` };
      }
      return { ...result, startError: `the sandbox (bubblewrap) could not start: ${message}` };
    }
    return result;
  }

  /** The system's read-only binds, looked up once. */
  private systemArgs(): Promise<string[]> {
    this.systemBinds ??= (async () => {
      const args: string[] = [];
      const add = async (path: string) => {
        const stat = await lstatIfPresent(path);
        if (!stat) return;
        if (stat.isSymbolicLink()) args.push("--symlink", await readlink(path), path);
        else args.push("--ro-bind", path, path);
      };
      for (const path of SYSTEM_PATHS) await add(path);
      // eslint-disable-next-line no-restricted-syntax -- an unreadable /etc has nothing to bind
      const etc = await readdir("/etc").catch(() => [] as string[]);
      for (const name of etc.sort()) {
        if (ETC_ENTRIES.includes(name) || ETC_PREFIXES.some((p) => name.startsWith(p))) {
          await add(`/etc/${name}`);
        }
      }
      for (const path of this.options.extraReadOnly) args.push("--ro-bind", path, path);
      // What must stay unseen inside what is bound: a file becomes empty, a directory an empty tmpfs.
      // args are triples: `--ro-bind SRC DEST` or `--symlink TARGET PATH`; the destinations.
      const bound = args.filter((_, i) => i % 3 === 2 && args[i - 2] === "--ro-bind");
      for (const path of this.options.masked) {
        if (!bound.some((dir) => path === dir || path.startsWith(`${dir}/`))) continue;
        const stat = await lstatIfPresent(path);
        if (stat?.isDirectory()) args.push("--tmpfs", path, "--remount-ro", path);
        else if (stat) args.push("--ro-bind", "/dev/null", path);
      }
      return args;
    })();
    return this.systemBinds;
  }
}

/** Free MiB on the filesystem of `path`, or undefined when it cannot be told. */
async function freeMb(path: string): Promise<number | undefined> {
  try {
    const s = await statfs(path);
    return (s.bavail * s.bsize) / (1024 * 1024);
  } catch {
    return undefined;
  }
}

/** chown -R without following symbolic links (lchown on the links themselves). */
async function chownTree(root: string, uid: number, gid: number): Promise<void> {
  const stack = [root];
  while (stack.length > 0) {
    const path = stack.pop()!;
    const stat = await lstatIfPresent(path);
    if (!stat) continue;
    if (stat.uid !== uid || stat.gid !== gid) await lchown(path, uid, gid);
    if (stat.isDirectory()) {
      for (const name of await readdir(path)) stack.push(join(path, name));
    }
  }
}

/**
 * o+x on `dir` and its parents up to `stop` (the work root), for directories
 * this process owns (the jobs' own; never the filesystem root). Traverse
 * only: nobody else can list them.
 */
async function makeTraversable(dir: string, stop: string): Promise<void> {
  const uid = process.getuid?.();
  let current = dir;
  while (current !== "/" && (current === stop || current.startsWith(`${stop}/`))) {
    const stat = await lstatIfPresent(current);
    if (stat?.isDirectory() && stat.uid === uid && (stat.mode & 0o001) === 0) {
      await chmod(current, (stat.mode & 0o7777) | 0o011);
    }
    if (current === stop) break;
    current = dirname(current);
  }
}
