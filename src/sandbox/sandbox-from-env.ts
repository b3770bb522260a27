/**
 * The sandbox the environment asks for, checked before any job is taken:
 *
 * | variable                        | default        | meaning |
 * | ------------------------------- | -------------- | ------- |
 * | `CHANT_SANDBOX`                 | `bubblewrap`   | `bubblewrap`, `wrapper` (CHANT_AGENT_WRAPPER) or `off` |
 * | `CHANT_SANDBOX_READ`            | none           | more read-only paths (colon- or comma-separated, absolute) |
 * | `CHANT_SANDBOX_EGRESS`          | agent's API    | more hosts agents may reach (`host[:port]`, `*.domain`, or `public`) |
 * | `CHANT_SANDBOX_UID`             | 65534 as root  | the user a root worker starts sandboxes as (0: stay root) |
 * | `CHANT_SANDBOX_PROCESSES`       | 1024           | process limit |
 * | `CHANT_SANDBOX_MEMORY_MB`       | 4096           | memory per process |
 * | `CHANT_SANDBOX_FILE_MB`         | 4096           | largest file |
 * | `CHANT_SANDBOX_DISK_RESERVE_MB` | 1024           | free disk kept: the command is stopped below it |
 * | `CHANT_SANDBOX_TMP_MB`          | 1024           | size of /tmp (memory) |
 */
import { access, constants, lstat, mkdir, mkdtemp, realpath, rm, stat } from "node:fs/promises";
import { delimiter, dirname, isAbsolute, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { splitCommandLine } from "../process/command-line.js";
import { runProcess } from "../process/run-process.js";
import { BubblewrapSandbox, DEFAULT_LIMITS, type SandboxLimits } from "./bubblewrap.js";
import { UnsandboxedSandbox, WrapperSandbox } from "./direct.js";
import { parseEgressRules } from "./egress-rules.js";
import { SandboxConfigError, type EgressRule, type Sandbox, type SandboxLog } from "./sandbox.js";

/** The directory chant-bot itself is installed in (its `.env` lives there). */
export const APP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

const SYSTEM_ROOTS = ["/usr", "/bin", "/sbin", "/lib", "/lib64"];

export interface SandboxContext {
  /** Where jobs' directories are made: never visible as a whole. */
  workRoot: string;
  log?: SandboxLog | undefined;
}

export async function sandboxFromEnv(
  env: NodeJS.ProcessEnv,
  context: SandboxContext,
): Promise<Sandbox> {
  const wrapperLine = env.CHANT_AGENT_WRAPPER?.trim() ?? "";
  const chosen = env.CHANT_SANDBOX?.trim().toLowerCase() ?? "";
  if (wrapperLine && chosen === "") {
    // It used to wrap the agent only; now it isolates check commands too: say so, and stop.
    throw new SandboxConfigError(
      "CHANT_AGENT_WRAPPER is set but CHANT_SANDBOX is not: the wrapper now isolates the agent AND every check command; set CHANT_SANDBOX=wrapper to confirm, or unset CHANT_AGENT_WRAPPER to use bubblewrap",
    );
  }
  const kind = (chosen || "bubblewrap").replace(/^bwrap$/, "bubblewrap");
  switch (kind) {
    case "off":
      return new UnsandboxedSandbox();
    case "wrapper": {
      if (!wrapperLine) {
        throw new SandboxConfigError(
          "CHANT_SANDBOX is wrapper but CHANT_AGENT_WRAPPER is not set: set it to the command that isolates a command, e.g. a container runtime's `run` line",
        );
      }
      try {
        return new WrapperSandbox(splitCommandLine(wrapperLine));
      } catch (error) {
        throw new SandboxConfigError(
          `CHANT_AGENT_WRAPPER cannot be split into arguments: ${(error as Error).message}`,
        );
      }
    }
    case "bubblewrap":
      return bubblewrapFromEnv(env, context);
    default:
      throw new SandboxConfigError(
        `CHANT_SANDBOX is "${env.CHANT_SANDBOX}": it must be bubblewrap, wrapper or off`,
      );
  }
}

async function bubblewrapFromEnv(
  env: NodeJS.ProcessEnv,
  context: SandboxContext,
): Promise<BubblewrapSandbox> {
  const bwrap = await findProgram("bwrap", env.PATH);
  if (!bwrap) {
    throw new SandboxConfigError(
      "bubblewrap (bwrap) is not installed: install it (apt-get install bubblewrap), or set CHANT_SANDBOX=wrapper with CHANT_AGENT_WRAPPER, or CHANT_SANDBOX=off to run agents and checks without a sandbox (unsafe)",
    );
  }
  const prlimit = await findProgram("prlimit", env.PATH);
  if (!prlimit) {
    throw new SandboxConfigError(
      "prlimit (util-linux) is not installed: it sets the sandbox's limits (apt-get install util-linux)",
    );
  }
  const help = await runProcess([bwrap, "--help"], { cwd: "/", env: {}, timeoutMs: 10_000 });
  const node = await realpath(process.execPath);
  const forbidden = await forbiddenPaths(env, context.workRoot);
  const extra: string[] = [];
  // Node itself (the egress bridge, Node-based agents), where it is not a system path.
  const nodePrefix = dirname(dirname(node));
  if (!SYSTEM_ROOTS.some((root) => within(node, root))) extra.push(nodePrefix);
  for (const raw of (env.CHANT_SANDBOX_READ ?? "").split(/[,:]/)) {
    const path = raw.trim();
    if (path === "") continue;
    extra.push(await readablePath(path, forbidden));
  }
  const user = sandboxUser(env);
  return new BubblewrapSandbox({
    bwrap,
    prlimit,
    node,
    extraReadOnly: [...new Set(extra)],
    masked: forbidden.files,
    limits: limitsFromEnv(env),
    user,
    disableUserns: help.output.includes("--disable-userns"),
    log: context.log,
  });
}

/** What no read-only path may be or contain, and the files to hide where a bound path holds them. */
async function forbiddenPaths(
  env: NodeJS.ProcessEnv,
  workRoot: string,
): Promise<{ dirs: string[]; files: string[] }> {
  const files: string[] = [];
  const real = async (path: string) => realpath(path).catch(() => resolve(path));
  if (env.PRIVATE_KEY_PATH) files.push(await real(env.PRIVATE_KEY_PATH));
  for (const dir of new Set([APP_DIR, process.cwd()])) files.push(join(await real(dir), ".env"));
  return { dirs: [await real(APP_DIR), await real(workRoot)], files };
}

async function readablePath(
  path: string,
  forbidden: { dirs: string[]; files: string[] },
): Promise<string> {
  if (!isAbsolute(path)) {
    throw new SandboxConfigError(`CHANT_SANDBOX_READ: "${path}" is not an absolute path`);
  }
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new SandboxConfigError(`CHANT_SANDBOX_READ: ${path} does not exist`);
  }
  for (const secret of [...forbidden.dirs, ...forbidden.files]) {
    if (within(secret, real)) {
      throw new SandboxConfigError(
        `CHANT_SANDBOX_READ: ${path} holds ${secret} (the app's key, .env, its own directory or the jobs' directories), which a sandbox must never see`,
      );
    }
  }
  const workRoot = forbidden.dirs[1]!;
  if (within(real, workRoot)) {
    throw new SandboxConfigError(
      `CHANT_SANDBOX_READ: ${path} is inside the work directory, where other jobs' clones live`,
    );
  }
  return real;
}

function sandboxUser(env: NodeJS.ProcessEnv): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const raw = env.CHANT_SANDBOX_UID?.trim() || "65534";
  const uid = Number(raw);
  if (!Number.isInteger(uid) || uid < 0 || uid > 4_294_967_294) {
    throw new SandboxConfigError(`CHANT_SANDBOX_UID "${raw}" is not a user id`);
  }
  if (uid === 0) return undefined;
  return { uid, gid: uid };
}

function limitsFromEnv(env: NodeJS.ProcessEnv): SandboxLimits {
  const read = (name: string, fallback: number, min: number, max: number) => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new SandboxConfigError(`${name} "${raw}" must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
  return {
    processes: read("CHANT_SANDBOX_PROCESSES", DEFAULT_LIMITS.processes, 16, 1_000_000),
    memoryMb: read("CHANT_SANDBOX_MEMORY_MB", DEFAULT_LIMITS.memoryMb, 64, 1_048_576),
    fileMb: read("CHANT_SANDBOX_FILE_MB", DEFAULT_LIMITS.fileMb, 1, 1_048_576),
    diskReserveMb: read(
      "CHANT_SANDBOX_DISK_RESERVE_MB",
      DEFAULT_LIMITS.diskReserveMb,
      0,
      1_048_576,
    ),
    tmpMb: read("CHANT_SANDBOX_TMP_MB", DEFAULT_LIMITS.tmpMb, 1, 1_048_576),
  };
}

/** Extra hosts every agent may reach (CHANT_SANDBOX_EGRESS); `public` for any public address. */
export function egressFromEnv(env: NodeJS.ProcessEnv): EgressRule[] | "public" {
  const list = env.CHANT_SANDBOX_EGRESS?.trim() ?? "";
  if (list.toLowerCase() === "public") return "public";
  if (list.split(/[\s,]+/).some((entry) => entry.toLowerCase() === "public")) {
    throw new SandboxConfigError(
      'CHANT_SANDBOX_EGRESS: "public" (any public address) stands alone; it cannot be listed with hosts',
    );
  }
  return parseEgressRules(list, "CHANT_SANDBOX_EGRESS");
}

/**
 * The work directory (CHANT_WORK_DIR) is made if missing, and must be this
 * user's own: whoever owns it can rename, replace or read what the worker
 * makes in it (the clones, the sandboxes' homes, the agent's patch). Another
 * user's directory is refused, including one under /tmp made before the
 * worker started (by another user's run, or on purpose); a root-owned one
 * (a volume's mount point) only where this user can write in it. Says what to
 * set in one line instead of an EACCES at the first job.
 */
async function checkWorkRoot(workRoot: string): Promise<void> {
  const fix = "set CHANT_WORK_DIR to a directory of this user's own";
  try {
    await mkdir(workRoot, { recursive: true });
  } catch (error) {
    throw new SandboxConfigError(
      `cannot make the work directory ${workRoot} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): ${fix}`,
    );
  }
  const uid = process.getuid?.();
  if (uid === undefined) return;
  const found = await stat(workRoot);
  if (!found.isDirectory()) {
    throw new SandboxConfigError(`the work directory ${workRoot} is not a directory: ${fix}`);
  }
  if (found.uid !== uid && found.uid !== 0) {
    throw new SandboxConfigError(
      `the work directory ${workRoot} belongs to uid ${found.uid}, not to this user (uid ${uid}), who could change the clones made in it: ${fix}`,
    );
  }
  const writable = await access(workRoot, constants.W_OK | constants.X_OK).then(
    () => true,
    () => false,
  );
  if (!writable) {
    throw new SandboxConfigError(
      `this user (uid ${uid}) cannot write in the work directory ${workRoot} (uid ${found.uid}'s, mode ${(found.mode & 0o7777).toString(8)}): ${fix}`,
    );
  }
}

/**
 * Start a command in the sandbox once, the way jobs will, and say in one
 * line why it does not work: bubblewrap missing or refused (user namespaces
 * disabled), the agent's program not visible inside.
 */
export async function checkSandbox(
  sandbox: Sandbox,
  options: { workRoot: string; programs?: readonly string[] },
): Promise<void> {
  await checkWorkRoot(options.workRoot);
  const scratch = await mkdtemp(join(options.workRoot, "chant-preflight-"));
  try {
    const dir = join(scratch, "work");
    const privateDir = join(scratch, "sandbox");
    await mkdir(dir);
    await mkdir(privateDir);
    const programs = options.programs ?? [];
    // Each program: found on PATH (a bare name) or present (a path).
    const script =
      'for p in "$@"; do case "$p" in */*) [ -e "$p" ] || { echo "missing $p"; exit 3; };; *) command -v "$p" >/dev/null || { echo "missing $p"; exit 3; };; esac; done; echo chant-sandbox-ok';
    const result = await sandbox.run(
      ["sh", "-c", script, "sh", ...programs],
      {
        cwd: dir,
        writable: [dir],
        privateDir,
        network: { kind: "none" },
        env: { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin" },
      },
      { timeoutMs: 30_000 },
    );
    if (result.startError !== undefined) {
      throw new SandboxConfigError(explainStartError(result.startError, sandbox));
    }
    const missing = /^missing (.*)$/m.exec(result.output)?.[1];
    if (result.exitCode === 3 && missing !== undefined) {
      const onHost = missing.includes("/")
        ? await access(missing).then(
            () => true,
            () => false,
          )
        : (await findProgram(missing, process.env.PATH)) !== undefined;
      throw new SandboxConfigError(
        onHost
          ? `${missing} is not visible inside the sandbox (${sandbox.kind}): install it under /usr, or add its directory to CHANT_SANDBOX_READ`
          : `${missing} is not installed: it is not ${missing.includes("/") ? "there" : `on PATH (${process.env.PATH ?? ""})`}`,
      );
    }
    if (result.exitCode !== 0 || !result.output.includes("chant-sandbox-ok")) {
      const said = result.output.trim().split("\n").slice(-3).join(" ");
      throw new SandboxConfigError(
        `the sandbox (${sandbox.kind}) cannot run a command: ${said || `exit ${result.exitCode ?? result.signal}`}`,
      );
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function explainStartError(error: string, sandbox: Sandbox): string {
  if (/uid map|user namespace|Operation not permitted|No permissions to create/i.test(error)) {
    return `${error}: unprivileged user namespaces are not allowed here (sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces > 0; in Kubernetes, a pod without seccomp/AppArmor profiles that block unshare), or run with CHANT_SANDBOX=wrapper`;
  }
  if (/Permission denied/.test(error)) {
    return `${error}: the sandbox's user (CHANT_SANDBOX_UID, 65534 for a root worker) cannot reach the work directory; make CHANT_WORK_DIR and its parents traversable (chmod o+x), or set CHANT_SANDBOX_UID=0`;
  }
  return `${error} (sandbox: ${sandbox.kind})`;
}

/** The first executable `name` on PATH. */
export async function findProgram(
  name: string,
  path: string | undefined,
): Promise<string | undefined> {
  for (const dir of (path ?? "/usr/local/bin:/usr/bin:/bin").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      if ((await lstat(candidate)).isDirectory()) continue;
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Whether `path` is `dir` or inside it. */
function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/**
 * The sandbox of a process that will run agents or checks: configured from
 * the environment and tried once (checkSandbox). `off` is said loudly, once
 * per start, where the operator reads the logs.
 */
export async function openSandbox(
  env: NodeJS.ProcessEnv,
  options: { workRoot: string; log?: SandboxLog | undefined; programs?: readonly string[] },
): Promise<Sandbox> {
  const sandbox = await sandboxFromEnv(env, options);
  if (sandbox.kind === "off") {
    options.log?.error(
      "CHANT_SANDBOX=off: agents and check commands run WITHOUT a sandbox, as this process's user, and can read its environment and files, the GitHub App's private key included. Use only where nothing worth taking is reachable.",
    );
    return sandbox;
  }
  await checkSandbox(sandbox, { workRoot: options.workRoot, programs: options.programs ?? [] });
  options.log?.info(`sandbox: ${sandbox.description}`);
  return sandbox;
}
