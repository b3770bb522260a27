import {
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { readStatusState } from "../../src/domain/status.js";
import { shellQuote } from "../../src/process/command-line.js";
import type { ChantQueues } from "../../src/queue/chant-queues.js";
import type { QueueSettings } from "../../src/queue/connection.js";
import { enqueueImplement } from "../../src/queue/enqueue.js";
import { AGENTS, drained, finished } from "./e2e-stack.js";
import { FakeGitHub, type RepoHandle } from "./fake-github/index.js";
import { FIXTURE_REPOS } from "./memory-files.js";
import { deleteKeys, openTestQueues, testQueueSettings, TEST_REDIS_URL } from "./redis.js";
import { SANDBOX_TEST_ENV } from "./sandbox.js";
import { cliEnv, spawnCli, type CliProcess } from "./spawn-cli.js";
import { newDeliveryId } from "./webhooks.js";

export const HOLD_AGENT = join(AGENTS, "hold-then-fix.mjs");
export const REPO = "acme/kv-store";

export interface ServingProcess extends CliProcess {
  /** http://127.0.0.1:PORT of its health, metrics (and, for web, webhooks). */
  url: string;
}

export interface AgentStarted {
  /** Process ids as this machine sees them (the agent runs in a PID namespace of its own). */
  pid: number;
  child: number;
  cwd: string;
}

/**
 * The chaos tests' world: the GitHub stand-in with kv-store (issue #42, alice
 * an admin), a queue prefix of its own on a real Redis, and `chant-bot web` /
 * `chant-bot worker` as real processes (small lock and grace: 2 s) that a test
 * may kill at any moment. The scripted agent waits while `holdAgent()` is on.
 */
export class ChaosStack {
  readonly processes: CliProcess[] = [];
  readonly holdDir = mkdtempSync(join(tmpdir(), "chant-chaos-hold-"));
  readonly workDir = mkdtempSync(join(tmpdir(), "chant-chaos-work-"));
  /** Every held agent seen running, by pid (they are found through /proc). */
  private readonly seen = new Map<number, AgentStarted>();

  private constructor(
    readonly fake: FakeGitHub,
    readonly repo: RepoHandle,
    readonly queues: ChantQueues,
    readonly settings: QueueSettings,
    private readonly cleanupQueues: () => Promise<void>,
  ) {}

  static async start(options: { redisUrl?: string } = {}): Promise<ChaosStack> {
    const fake = new FakeGitHub();
    await fake.start();
    const repo = await fake.addRepo({
      owner: "acme",
      name: "kv-store",
      dir: join(FIXTURE_REPOS, "kv-store"),
    });
    fake.addUser("alice", { permission: "admin" });
    fake.addUser("reporter", { permission: "read" });
    fake.addIssue(REPO, {
      number: 42,
      title: "Values disappear when two writes happen at once",
      body: "Updating email and phone at the same moment keeps only one of them.",
      user: "reporter",
    });
    const settings = { ...testQueueSettings(), redisUrl: options.redisUrl ?? TEST_REDIS_URL };
    const { queues, cleanup } = await openTestQueues(settings);
    const ownRedis = settings.redisUrl !== TEST_REDIS_URL;
    const stack = new ChaosStack(fake, repo, queues, settings, async () => {
      // An own Redis goes with its directory; the shared one keeps other tests' keys.
      if (ownRedis) await queues.close();
      else await cleanup();
    });
    // The sandboxed agent reads the hold directory (bound read-only) as an unprivileged user.
    chmodSync(stack.holdDir, 0o755);
    chmodSync(stack.workDir, 0o755);
    return stack;
  }

  /** The environment of a chant-bot process of this stack. */
  env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    return cliEnv({
      ...this.fake.env(),
      PORT: "0",
      CHANT_REDIS_URL: this.settings.redisUrl,
      CHANT_QUEUE_PREFIX: this.settings.prefix,
      CHANT_AGENT: "command",
      CHANT_AGENT_COMMAND: `${shellQuote(process.execPath)} ${shellQuote(HOLD_AGENT)}`,
      CHANT_AGENT_ENV: "CHAOS_HOLD_DIR",
      CHAOS_HOLD_DIR: this.holdDir,
      CHANT_SANDBOX_READ: `${SANDBOX_TEST_ENV.CHANT_SANDBOX_READ}:${this.holdDir}`,
      CHANT_WORK_DIR: this.workDir,
      CHANT_JOB_LOCK_SECONDS: "2",
      CHANT_SHUTDOWN_GRACE_SECONDS: "2",
      ...extra,
    });
  }

  /** `chant-bot worker`, once it takes jobs. */
  spawnWorker(extra: Record<string, string | undefined> = {}): Promise<ServingProcess> {
    return this.spawnServing("worker", /worker: taking jobs/, extra);
  }

  /** `chant-bot web`, once it listens. */
  spawnWeb(extra: Record<string, string | undefined> = {}): Promise<ServingProcess> {
    return this.spawnServing("web", /web: listening on port/, extra);
  }

  private async spawnServing(
    role: "web" | "worker",
    ready: RegExp,
    extra: Record<string, string | undefined>,
  ): Promise<ServingProcess> {
    const p = spawnCli([role], this.env(extra));
    this.processes.push(p);
    await p.waitFor(ready, 60_000);
    const port = /on port (\d+)/.exec(p.output())?.[1];
    if (!port) throw new Error(`no port in the output of chant-bot ${role}:\n${p.output()}`);
    return Object.assign(p, { url: `http://127.0.0.1:${port}` });
  }

  /** `kill -9`: no shutdown code runs, nothing is returned to the queue. */
  async kill9(p: CliProcess): Promise<void> {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    p.child.kill("SIGKILL");
    await p.exited;
  }

  /** Implement issue #42, as the web process would on the label. */
  async enqueue(): Promise<string> {
    const { jobId } = await enqueueImplement(this.queues, {
      installationId: this.fake.installationId,
      repo: { id: this.repo.id, owner: "acme", name: "kv-store" },
      target: 42,
      issueNumber: 42,
      force: false,
      requestedBy: "alice",
      trigger: "label",
      deliveryId: newDeliveryId(),
    });
    return jobId;
  }

  /** From now on the scripted agent waits (until releaseAgent). */
  holdAgent(): void {
    writeFileSync(join(this.holdDir, "hold-agent"), "");
  }

  releaseAgent(): void {
    rmSync(join(this.holdDir, "hold-agent"), { force: true });
  }

  /** Every held agent seen running so far (found by its command line, with its child). */
  agentsStarted(): AgentStarted[] {
    const processes = runningProcesses();
    for (const agent of processes.filter((p) => p.cmdline.includes(HOLD_AGENT))) {
      if (this.seen.has(agent.pid)) continue;
      // Several stacks run at once: this one's agents are those told about its hold directory.
      let environ: string;
      try {
        environ = readFileSync(`/proc/${agent.pid}/environ`, "latin1");
      } catch {
        continue;
      }
      if (!environ.split("\0").includes(`CHAOS_HOLD_DIR=${this.holdDir}`)) continue;
      const child = processes.find(
        (p) => p.ppid === agent.pid && p.cmdline.includes("held-agent-child"),
      );
      if (!child) continue;
      let cwd: string;
      try {
        cwd = readlinkSync(`/proc/${agent.pid}/cwd`);
      } catch {
        continue;
      }
      this.seen.set(agent.pid, { pid: agent.pid, child: child.pid, cwd });
    }
    return [...this.seen.values()];
  }

  /** Wait until the `n`th held agent runs. */
  async agentStarted(n = 1, timeoutMs = 30_000): Promise<AgentStarted> {
    await this.until(() => this.agentsStarted().length >= n, `agent #${n} to start`, timeoutMs);
    return this.agentsStarted().at(-1)!;
  }

  /** Poll `condition` every 50 ms; on time-out, fail with the processes' output. */
  async until(
    condition: () => boolean | Promise<boolean>,
    what: string,
    timeoutMs = 30_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${this.logs()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The tail of every process's output, for a failure message. */
  logs(): string {
    return this.processes
      .map((p, i) => `--- process ${i} (${p.child.pid}):\n${p.output().slice(-6000)}`)
      .join("\n");
  }

  async finished(jobId: string, timeoutMs = 90_000) {
    try {
      return await finished(this.queues.implement, jobId, timeoutMs);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${this.logs()}`, { cause: error });
    }
  }

  /**
   * The job succeeded, and GitHub holds exactly one of everything: one
   * `chant/` branch, one pull request from it, one status comment (saying
   * succeeded), one set of four completed check runs (on the head, none
   * anywhere else).
   */
  async expectExactlyOnce(jobId: string): Promise<{ headSha: string; branch: string }> {
    const job = await this.finished(jobId);
    expect(job.returnvalue, this.logs()).toMatchObject({ kind: "succeeded" });
    const { headSha, branch } = job.returnvalue as unknown as { headSha: string; branch: string };
    await drained(this.queues.checks, 60_000);
    await this.until(
      () => this.fake.checkRuns(REPO, headSha).filter((r) => r.status === "completed").length >= 4,
      "four completed check runs",
    );

    const branches = (await this.fake.branches(REPO)).filter((b) => b.name.startsWith("chant/"));
    expect(branches).toEqual([{ name: branch, sha: headSha }]);
    const pulls = await this.fake.pulls(REPO);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({ head: { ref: branch, sha: headSha }, state: "open" });
    const comments = this.fake.comments(REPO, 42);
    expect(comments).toHaveLength(1);
    expect(readStatusState(comments[0]!.body)?.phase).toBe("succeeded");
    const runs = this.fake.checkRuns(REPO);
    expect(runs.map((r) => [r.name, r.head_sha, r.status, r.conclusion]).sort()).toEqual(
      ["chant/format", "chant/lint", "chant/reproduction", "chant/tests"].map((name) => [
        name,
        headSha,
        "completed",
        "success",
      ]),
    );
    return { headSha, branch };
  }

  async stop(): Promise<void> {
    this.releaseAgent();
    for (const p of this.processes.splice(0)) await this.kill9(p);
    // Agents a killed worker left behind (when the test did not expect them cleaned up).
    for (const agent of this.agentsStarted()) {
      for (const pid of [agent.pid, agent.child]) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone already
        }
      }
    }
    await this.cleanupQueues().catch(() => undefined);
    await this.fake.stop();
    for (const dir of [this.holdDir, this.workDir]) rmSync(dir, { recursive: true, force: true });
    if (this.settings.redisUrl === TEST_REDIS_URL) await deleteKeys(this.settings.prefix);
  }
}

export { isAlive as alive } from "./processes.js";

/**
 * The processes of this machine with their parent and command line. Agents and
 * check commands run in a sandbox (their own PID namespace, nothing outside their
 * clone writable), so the tests find them here rather than through files they write.
 */
export function runningProcesses(): { pid: number; ppid: number; cmdline: string }[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, "latin1");
        return {
          pid: Number(d),
          ppid: Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]),
          cmdline: readFileSync(`/proc/${d}/cmdline`, "latin1"),
        };
      } catch {
        return undefined;
      }
    })
    .filter((p) => p !== undefined);
}
