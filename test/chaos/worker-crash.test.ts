import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { alive, ChaosStack, REPO, runningProcesses } from "../support/chaos-stack.js";

/**
 * `kill -9` of a real `chant-bot worker` process at each step of a job, then
 * a new worker: the job is taken up again (lock 2 s) and completes with
 * exactly one branch, one pull request, one status comment and one set of four
 * check runs. The new worker also stops what the dead one left running (its
 * agent, its check command, a git still waiting on the server) and removes
 * the dead one's clones. The scenarios run at once: each has its own stand-in,
 * queue prefix and worker, and most of a flow is spent in Probot's spacing of
 * writes (1 s, 3 s for comments and pull requests), not on the CPU.
 */
describe.concurrent("kill -9 of the worker, then a restart", { timeout: 240_000 }, () => {
  it("during the clone: the git request never answered", async () => {
    await withStack(async (stack) => {
      const clone = stack.fake.holdNext("/git/*");
      const worker = await stack.spawnWorker();
      const jobId = await stack.enqueue();
      await clone.reached;
      await stack.kill9(worker);
      await stack.spawnWorker();
      // Let the dead worker's request go: its git was stopped, nothing is served to it.
      clone.release();
      await stack.expectExactlyOnce(jobId);
      expectNoWorkspacesLeft(stack);
    });
  });

  it("during the agent: the orphaned agent and its child are killed, the job runs again", async () => {
    await withStack(async (stack) => {
      stack.holdAgent();
      const worker = await stack.spawnWorker();
      const jobId = await stack.enqueue();
      const orphan = await stack.agentStarted(1);
      await stack.kill9(worker);
      // The agent's sandbox dies with its worker (bubblewrap --die-with-parent, and its PID
      // namespace with it): nothing of it runs on.
      await stack.until(
        () => !alive(orphan.pid) && !alive(orphan.child),
        "the sandboxed agent to die with its worker",
      );
      await stack.spawnWorker();
      await stack.agentStarted(2);
      stack.releaseAgent();
      await stack.expectExactlyOnce(jobId);
      expectNoWorkspacesLeft(stack);
    });
  });

  it("during the push: the branch landed, the answer was lost", async () => {
    await withStack(async (stack) => {
      const push = stack.fake.holdNext("POST /git/acme/kv-store.git/git-receive-pack", {
        when: "response",
      });
      const worker = await stack.spawnWorker();
      const jobId = await stack.enqueue();
      await stack.until(
        async () => (await stack.fake.branches(REPO)).some((b) => b.name.startsWith("chant/")),
        "the pushed branch",
      );
      await stack.kill9(worker);
      push.release();
      await stack.spawnWorker();
      const { headSha } = await stack.expectExactlyOnce(jobId);
      // The second run found the finished branch and did not push another commit.
      expect(stack.fake.pushes.map((p) => p.after)).toEqual([headSha]);
      expectNoWorkspacesLeft(stack);
    });
  });

  it("during the pull request's creation: created, the answer was lost", async () => {
    await withStack(async (stack) => {
      const create = stack.fake.holdNext("POST /repos/{owner}/{repo}/pulls", { when: "response" });
      const worker = await stack.spawnWorker();
      const jobId = await stack.enqueue();
      await stack.until(
        async () => (await stack.fake.pulls(REPO)).length === 1,
        "the pull request",
      );
      await stack.kill9(worker);
      create.release();
      await stack.spawnWorker();
      await stack.expectExactlyOnce(jobId);
      expect(
        stack.fake.requests.filter((r) => r.method === "POST" && r.path.endsWith("/pulls")),
      ).toHaveLength(1);
      expectNoWorkspacesLeft(stack);
    });
  });

  it("during the checks: the orphaned check command is killed, the checks run again", async () => {
    await withStack(async (stack) => {
      await holdTheTestsCheck(stack);
      const worker = await stack.spawnWorker();
      const jobId = await stack.enqueue();
      // The whole implement flow comes first; five scenarios share the CPUs meanwhile.
      await stack.until(
        () => checksStarted(stack).length === 1,
        "the tests check to start",
        90_000,
      );
      const orphan = checksStarted(stack)[0]!;
      await stack.kill9(worker);
      // The check command's sandbox dies with its worker.
      await stack.until(() => !alive(orphan), "the sandboxed check command to die with its worker");
      await stack.spawnWorker();
      await stack.until(() => checksStarted(stack).length === 2, "the checks to run again", 60_000);
      rmSync(join(stack.holdDir, "hold-check"));
      await stack.expectExactlyOnce(jobId);
      expectNoWorkspacesLeft(stack);
    });
  });
});

async function withStack(test: (stack: ChaosStack) => Promise<void>): Promise<void> {
  const stack = await ChaosStack.start();
  try {
    await test(stack);
  } finally {
    await stack.stop();
  }
}

function expectNoWorkspacesLeft(stack: ChaosStack): void {
  expect(readdirSync(stack.workDir)).toEqual([]);
}

/**
 * The default branch's `checks.tests` first runs a script that waits while
 * `hold-check` exists in the hold directory (bound read-only into the sandbox;
 * check commands get a bounded environment, so the path is written into the
 * command). The test finds it by its command line.
 */
async function holdTheTestsCheck(stack: ChaosStack): Promise<void> {
  const script = join(stack.holdDir, "hold-check.mjs");
  writeFileSync(
    script,
    `import { existsSync } from "node:fs";
const dir = ${JSON.stringify(stack.holdDir)};
while (existsSync(dir + "/hold-check")) await new Promise((r) => setTimeout(r, 50));
`,
  );
  writeFileSync(join(stack.holdDir, "hold-check"), "");
  await stack.fake.commit(REPO, {
    branch: "main",
    message: "Hold the tests check (chaos test)",
    files: {
      ".github/chant.yml": `label: chant:implement
checks:
  reproduction: node --test {tests}
  tests: node ${script} && npm test
  lint: npm run lint --silent
  format: npm run format:check --silent
  timeout_minutes: 5
pr:
  draft: true
`,
    },
  });
}

const seenChecks = new WeakMap<ChaosStack, Set<number>>();

/** The held check commands seen running so far (host pids). */
function checksStarted(stack: ChaosStack): number[] {
  const seen = seenChecks.get(stack) ?? new Set<number>();
  seenChecks.set(stack, seen);
  const script = join(stack.holdDir, "hold-check.mjs");
  for (const p of runningProcesses()) {
    if (p.cmdline.startsWith(`node\0${script}`) || p.cmdline.includes(`/node\0${script}`))
      seen.add(p.pid);
  }
  return [...seen];
}
