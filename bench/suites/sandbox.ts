/**
 * What the sandbox costs, side by side in one run:
 *  A. start-up per check command: `runShellCommand` (the checks' own path:
 *     `sh -c <line>` in the job's clone, its `.git` read-only, a private dir
 *     shared by the job's commands) through the unsandboxed sandbox
 *     (CHANT_SANDBOX=off), bubblewrap with no network, and bubblewrap with the
 *     egress proxy + bridge (the bridge, a Node process, starts before the
 *     command). Job directories as the worker makes them (<work root>/
 *     chant-checks-XXXX/{head,sandbox}, `head` a `git clone` of the fixture
 *     kv-store, or of a 5,000-file tree). The variants are measured in turns,
 *     one run of each per round, so the machine's other work falls on all alike.
 *     A root worker hands a job's writable clone to the sandbox's user before
 *     the job's first command in it (a walk of the tree, an lchown of each
 *     entry; later commands skip it): the "first command" row pays it every
 *     run (a root-owned clone and a sandbox that has not seen it), the
 *     CHANT_SANDBOX_UID=0 row never.
 *  B. per implement flow: the no-op agent and trivial checks through the whole
 *     flow (bench/lib/implement-flow.ts), unsandboxed vs the default bubblewrap
 *     sandbox, the steps that start sandboxes (run_agent; verify_result, which
 *     computes the agent's patch inside the sandbox and applies it) and the
 *     checks job (5 sandboxed commands).
 *  C. the preflight: building the sandbox from the environment and
 *     `checkSandbox` (one command in it), on a fresh instance.
 */
import { cp, lchown, lstat, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { runShellCommand, type CommandContext } from "../../src/checks/run-command.js";
import { makeWorkspaceDir } from "../../src/pipeline/workspace/workspace-dir.js";
import { childEnv } from "../../src/process/command-line.js";
import { runProcess } from "../../src/process/run-process.js";
import { UnsandboxedSandbox } from "../../src/sandbox/direct.js";
import type { NetworkPolicy, Sandbox } from "../../src/sandbox/sandbox.js";
import { checkSandbox, sandboxFromEnv } from "../../src/sandbox/sandbox-from-env.js";
import { FIXTURE_REPOS } from "../../test/support/memory-files.js";
import {
  NOOP_AGENT,
  runImplementFlow,
  TRIVIAL_CHECKS_CONFIG,
  type FlowResult,
} from "../lib/implement-flow.js";
import { median, percentile, round } from "../lib/stats.js";
import type { Table } from "../lib/table.js";

export interface SandboxSettings {
  /** Timed runs of each command through each sandbox (after one warm-up run). */
  startRuns: number;
  /** Files in the bigger clone. */
  bigTreeFiles: number;
  /** Implement flows per sandbox (after one warm-up flow each). */
  flowRuns: number;
}

export type Variant = "off" | "none" | "egress";
export const VARIANTS: readonly Variant[] = ["off", "none", "egress"];

export interface Spread {
  medianMs: number;
  p90Ms: number;
  n: number;
}

export interface StartupRow {
  tree: string;
  /** Entries (files, directories, links) in the clone, `.git` included: what the uid drop walks. */
  entries: number;
  command: string;
  /** How the clone's ownership stood before each run. */
  mode: "owned" | "fresh" | "uid0";
  variants: Record<Variant, Spread>;
}

export interface FlowRow {
  label: string;
  off: Spread;
  bubblewrap: Spread;
}

export interface SandboxBenchResult {
  root: boolean;
  startup: StartupRow[];
  flow: FlowRow[];
  preflight: { label: string; firstMs: number; laterMedianMs: number; laterRuns: number }[];
}

/** Claude's default egress: what an agent with network gets. */
const EGRESS: NetworkPolicy = {
  kind: "egress",
  allow: [{ host: "api.anthropic.com", port: 443 }],
};
const NETWORK: Record<Variant, NetworkPolicy> = {
  off: { kind: "none" },
  none: { kind: "none" },
  egress: EGRESS,
};

const spread = (samples: number[]): Spread => ({
  medianMs: round(median(samples)),
  p90Ms: round(percentile(samples, 90)),
  n: samples.length,
});

export async function benchSandboxCost(settings: SandboxSettings): Promise<SandboxBenchResult> {
  const root = process.getuid?.() === 0;
  const workRoot = await mkdtemp(join(tmpdir(), "chant-bench-sandbox-"));
  try {
    const preflight = await measurePreflight(workRoot);
    const startup = await measureStartup(workRoot, settings, root);
    const flow = await measureFlows(settings.flowRuns);
    return { root, startup, flow, preflight };
  } finally {
    await rm(workRoot, { recursive: true, force: true });
  }
}

/** The production sandbox (bubblewrap), configured as a worker with this environment would be. */
function productionSandbox(workRoot: string, extra: NodeJS.ProcessEnv = {}): Promise<Sandbox> {
  return sandboxFromEnv({ PATH: process.env.PATH, ...extra }, { workRoot });
}

async function measurePreflight(workRoot: string): Promise<SandboxBenchResult["preflight"]> {
  const later = 5;
  const build: number[] = [];
  const check: number[] = [];
  for (let i = 0; i <= later; i++) {
    let t = performance.now();
    const sandbox = await productionSandbox(workRoot);
    build.push(performance.now() - t);
    t = performance.now();
    await checkSandbox(sandbox, { workRoot, programs: ["git", "node"] });
    check.push(performance.now() - t);
  }
  const row = (label: string, samples: number[]) => ({
    label,
    firstMs: round(samples[0]!),
    laterMedianMs: round(median(samples.slice(1))),
    laterRuns: later,
  });
  return [
    row("sandboxFromEnv: find bwrap and prlimit, `bwrap --help`", build),
    row("checkSandbox: one `sh` in the sandbox (git, node looked up)", check),
    row(
      "= preflight (openSandbox)",
      build.map((ms, i) => ms + check[i]!),
    ),
  ];
}

// ---- A. start-up per check command ----

async function git(args: string[], cwd: string): Promise<void> {
  const result = await runProcess(["git", ...args], {
    cwd,
    env: childEnv({ GIT_CONFIG_NOSYSTEM: "1" }),
    timeoutMs: 120_000,
  });
  if (result.exitCode !== 0) {
    throw new Error(`sandbox bench: git ${args[0]} failed: ${result.output.slice(-500)}`);
  }
}

/** A repository to clone from: what `fill` writes, committed once. */
async function sourceRepo(dir: string, fill: (dir: string) => Promise<void>): Promise<string> {
  await mkdir(dir, { recursive: true });
  await fill(dir);
  await git(["init", "--quiet", "--initial-branch=main"], dir);
  await git(["add", "--all"], dir);
  await git(
    [
      "-c",
      "user.name=bench",
      "-c",
      "user.email=bench@example.invalid",
      "commit",
      "--quiet",
      "-m",
      "fixture",
    ],
    dir,
  );
  return dir;
}

/** `count` small distinct files, 100 to a directory, 2 levels deep (a mid-sized repository). */
async function bigTree(dir: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const sub = join(dir, `pkg${Math.floor(i / 1000)}`, `mod${Math.floor(i / 100) % 10}`);
    if (i % 100 === 0) await mkdir(sub, { recursive: true });
    await writeFile(
      join(sub, `file${i}.js`),
      `// generated for the sandbox benchmark\nexport const value${i} = ${i};\n`,
    );
  }
}

async function countEntries(dir: string): Promise<number> {
  let count = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const path = stack.pop()!;
    for (const entry of await readdir(path, { withFileTypes: true })) {
      count++;
      if (entry.isDirectory()) stack.push(join(path, entry.name));
    }
  }
  return count;
}

/** Back to root: the clone as the worker's git left it (untimed). */
async function chownToRoot(dir: string): Promise<void> {
  const stack = [dir];
  while (stack.length > 0) {
    const path = stack.pop()!;
    const stat = await lstat(path);
    if (stat.uid !== 0 || stat.gid !== 0) await lchown(path, 0, 0);
    if (stat.isDirectory()) for (const name of await readdir(path)) stack.push(join(path, name));
  }
}

interface Cell {
  row: number;
  variant: Variant;
  sandbox: Sandbox;
  context: CommandContext;
  head: string;
  command: string;
  fresh: boolean;
  samples: number[];
}

async function measureStartup(
  workRoot: string,
  settings: SandboxSettings,
  root: boolean,
): Promise<StartupRow[]> {
  const sources = join(workRoot, "sources");
  const kvStore = await sourceRepo(join(sources, "kv-store"), (dir) =>
    cp(join(FIXTURE_REPOS, "kv-store"), dir, { recursive: true }),
  );
  const big = await sourceRepo(join(sources, "big"), (dir) => bigTree(dir, settings.bigTreeFiles));
  const bubblewrap = await productionSandbox(workRoot);
  const asRoot = root ? await productionSandbox(workRoot, { CHANT_SANDBOX_UID: "0" }) : undefined;
  const off = new UnsandboxedSandbox();

  const bigName = `${settings.bigTreeFiles.toLocaleString("en")}-file tree`;
  const shapes: {
    tree: string;
    source: string;
    command: string;
    mode: StartupRow["mode"];
  }[] = [
    { tree: "kv-store", source: kvStore, command: "true", mode: "owned" },
    { tree: "kv-store", source: kvStore, command: "node -e 0", mode: "owned" },
    { tree: bigName, source: big, command: "true", mode: "owned" },
    { tree: bigName, source: big, command: "node -e 0", mode: "owned" },
    ...(root
      ? [
          { tree: bigName, source: big, command: "true", mode: "fresh" as const },
          { tree: bigName, source: big, command: "true", mode: "uid0" as const },
        ]
      : []),
  ];

  // One job directory per row and sandbox, as the worker makes them.
  const cells: Cell[] = [];
  for (const [row, shape] of shapes.entries()) {
    for (const variant of VARIANTS) {
      const job = await makeWorkspaceDir(workRoot, "chant-checks-");
      const head = join(job, "head");
      await git(["clone", "--quiet", "--no-local", "--no-hardlinks", shape.source, head], job);
      const privateDir = join(job, "sandbox");
      await mkdir(privateDir);
      const sandbox = variant === "off" ? off : shape.mode === "uid0" ? asRoot! : bubblewrap;
      cells.push({
        row,
        variant,
        sandbox,
        head,
        command: shape.command,
        fresh: shape.mode === "fresh",
        samples: [],
        context: {
          sandbox,
          privateDir,
          ownsCheckouts: true,
          env: childEnv({ CI: "true" }),
          redact: (text) => text,
          timeoutMs: 60_000,
        },
      });
    }
  }
  const entries = new Map<string, number>();
  for (const shape of shapes) {
    if (!entries.has(shape.source)) {
      const cell = cells.find((c) => shapes[c.row]!.source === shape.source)!;
      entries.set(shape.source, await countEntries(cell.head));
    }
  }

  const once = async (cell: Cell): Promise<number> => {
    if (cell.fresh && cell.variant !== "off") {
      // A job's first command: its clone still the worker's, the sandbox new to it.
      await chownToRoot(cell.head);
      cell.context = { ...cell.context, sandbox: await productionSandbox(workRoot) };
    }
    const started = performance.now();
    const run = await runShellCommand(cell.context, cell.command, cell.head, NETWORK[cell.variant]);
    const ms = performance.now() - started;
    if (run.outcome !== "passed") {
      throw new Error(
        `sandbox bench: \`${cell.command}\` (${cell.variant}) ${run.outcome}: ${run.startError ?? run.output.slice(-500)}`,
      );
    }
    return ms;
  };
  for (const cell of cells) await once(cell); // warm-up: page cache, the first chown
  for (let i = 0; i < settings.startRuns; i++) {
    for (const cell of cells) cell.samples.push(await once(cell));
  }

  return shapes.map((shape, row) => {
    const of = (variant: Variant) =>
      spread(cells.find((c) => c.row === row && c.variant === variant)!.samples);
    return {
      tree: shape.tree,
      entries: entries.get(shape.source)!,
      command: shape.command,
      mode: shape.mode,
      variants: { off: of("off"), none: of("none"), egress: of("egress") },
    };
  });
}

// ---- B. per implement flow ----

async function measureFlows(runs: number): Promise<FlowRow[]> {
  const flow = async (sandboxed: boolean): Promise<FlowResult> => {
    const result = await runImplementFlow({
      agentScript: NOOP_AGENT,
      config: TRIVIAL_CHECKS_CONFIG,
      ...(sandboxed ? {} : { sandbox: new UnsandboxedSandbox() }),
    });
    if (result.outcome !== "succeeded" || result.prOpenedAt === undefined) {
      throw new Error(
        `sandbox bench: an implement flow (${sandboxed ? "bubblewrap" : "off"}) ended ${result.outcome}`,
      );
    }
    return result;
  };
  await flow(false); // warm-up: module loading, JIT, git's caches
  await flow(true);
  const off: FlowResult[] = [];
  const bubblewrap: FlowResult[] = [];
  for (let i = 0; i < runs; i++) {
    off.push(await flow(false));
    bubblewrap.push(await flow(true));
  }
  const step = (name: string) => (r: FlowResult) =>
    r.steps.find((s) => s.step === name)?.ms ?? Number.NaN;
  const row = (label: string, pick: (r: FlowResult) => number): FlowRow => ({
    label,
    off: spread(off.map(pick)),
    bubblewrap: spread(bubblewrap.map(pick)),
  });
  return [
    row("prepare_workspace (clone; no sandbox)", step("prepare_workspace")),
    row("run_agent (copy for the agent, the agent)", step("run_agent")),
    row(
      "verify_result (the agent's patch computed in the sandbox, applied)",
      step("verify_result"),
    ),
    row("job start -> PR opened", (r) => r.prOpenedAt! - r.job.startedAt),
    row(
      "PR opened -> 4 check runs completed (the checks job)",
      (r) => r.checksDoneAt - r.prOpenedAt!,
    ),
  ];
}

// ---- tables ----

const VARIANT_LABEL: Record<Variant, string> = {
  off: "off",
  none: "bwrap, no network",
  egress: "bwrap + egress",
};

const MODE_LABEL: Record<StartupRow["mode"], string> = {
  owned: "",
  fresh: ", a job's first command (the clone handed to uid 65534)",
  uid0: ", CHANT_SANDBOX_UID=0 (no uid drop)",
};

export function sandboxTables(result: SandboxBenchResult, settings: SandboxSettings): Table[] {
  const first = result.startup[0];
  const startupHeaders = [
    "job directory (clone)",
    "check command",
    ...VARIANTS.flatMap((v) => [`${VARIANT_LABEL[v]} p50`, "p90"]),
    "+ no network p50",
    "+ egress p50",
  ];
  return [
    {
      title: `Sandbox start-up per check command (runShellCommand), ms, ${first?.variants.off.n ?? 0} runs each in turns`,
      headers: startupHeaders,
      rows: result.startup.map((r) => [
        `${r.tree} (${r.entries.toLocaleString("en")} entries)${MODE_LABEL[r.mode]}`,
        `sh -c '${r.command}'`,
        ...VARIANTS.flatMap((v) => [r.variants[v].medianMs, r.variants[v].p90Ms]),
        round(r.variants.none.medianMs - r.variants.off.medianMs),
        round(r.variants.egress.medianMs - r.variants.off.medianMs),
      ]),
      notes: [
        "wall time around runShellCommand (the checks' own call: lstat of .git, sandbox.run, outcome), after one warm-up run per cell",
        "off = UnsandboxedSandbox (CHANT_SANDBOX=off); bwrap = the production BubblewrapSandbox (prlimit + bwrap, new namespaces, system read-only binds); egress = allow api.anthropic.com:443: a Unix-socket proxy started in the worker and the Node bridge started inside, before the command",
        result.root
          ? "the bench ran as root, like a root worker: the sandbox drops to uid 65534 and hands it the clone (a walk, an lchown of each entry) before the job's first command in it; rows without a note: a later command (no walk)"
          : "the bench did not run as root: no uid drop, so no chown walk (the root-only rows are left out)",
        `each clone is \`git clone --no-local\` of a committed tree (kv-store fixture, or ${settings.bigTreeFiles} generated files), in <work root>/chant-checks-XXXX/head with its private dir beside it`,
      ],
    },
    {
      title: `Sandbox cost per implement flow (no-op agent, trivial checks), ms, ${result.flow[0]?.off.n ?? 0} flows each in turns`,
      headers: ["", "off p50", "off p90", "bubblewrap p50", "bubblewrap p90", "+ p50"],
      rows: result.flow.map((r) => [
        r.label,
        r.off.medianMs,
        r.off.p90Ms,
        r.bubblewrap.medianMs,
        r.bubblewrap.p90Ms,
        round(r.bubblewrap.medianMs - r.off.medianMs),
      ]),
      notes: [
        "runImplementFlow (bench/lib/implement-flow.ts) with sandbox: new UnsandboxedSandbox() vs its default (benchSandbox: bubblewrap, the bench's agents readable); StepTiming from onStep",
        "the no-op `command` agent has no egress configured, so its sandbox has no network; an agent with network adds the egress row's difference above",
        `p50 = the median, p90 nearest-rank, over ${result.flow[0]?.off.n ?? 0} flows each (p90: rank ${Math.ceil(0.9 * (result.flow[0]?.off.n ?? 0))} of ${result.flow[0]?.off.n ?? 0}, fastest first)`,
      ],
    },
    {
      title: "Sandbox preflight (before a worker takes jobs), ms",
      headers: ["", "first (cold)", `median of the next ${result.preflight[0]?.laterRuns ?? 0}`],
      rows: result.preflight.map((p) => [p.label, p.firstMs, p.laterMedianMs]),
      notes: ["each on a fresh sandbox instance, as a starting process makes it"],
    },
  ];
}
