import { describe, expect, it } from "vitest";
import type { CheckResult } from "../../src/checks/check-types.js";
import type { Forge } from "../../src/forge/forge.js";
import type { CheckName, CheckRunUpdate } from "../../src/domain/checks.js";
import { CheckRunReporter } from "../../src/pipeline/checks/check-run-reporter.js";

/** Only what the reporter calls: every write, in order, one at a time (as the throttle sends them). */
function recordingForge(writeMs = 5, fail?: CheckName) {
  const writes: [CheckName, CheckRunUpdate["status"]][] = [];
  let line = Promise.resolve();
  const forge = {
    ensureCheckRun(_sha: string, name: CheckName, update: CheckRunUpdate) {
      const write = line.then(async () => {
        await new Promise((r) => setTimeout(r, writeMs));
        if (name === fail) throw new Error(`GitHub refused ${name}`);
        writes.push([name, update.status]);
      });
      line = write.catch(() => undefined);
      return write;
    },
  } as Partial<Forge> as Forge;
  return { forge, writes };
}

function result(name: CheckName): CheckResult {
  return {
    name,
    conclusion: "success",
    title: "ok",
    summary: "ok",
    text: "",
    annotations: [],
    startedAt: new Date().toISOString(),
    completedAt: new Date().toISOString(),
    durationMs: 1,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("check runs in their first real state", () => {
  it("a quick check is created completed: one write, no queued or in_progress placeholder", async () => {
    const { forge, writes } = recordingForge();
    const reporter = new CheckRunReporter(forge, "f".repeat(40), undefined, 200);
    reporter.start("chant/tests", new Date().toISOString());
    reporter.complete(result("chant/tests"));
    reporter.complete(result("chant/lint"));
    await reporter.flush();
    await sleep(250);
    expect(writes).toEqual([
      ["chant/tests", "completed"],
      ["chant/lint", "completed"],
    ]);
  });

  it("a check still running after the delay is shown in_progress, then completed last; one that waits is not marked", async () => {
    const { forge, writes } = recordingForge();
    const reporter = new CheckRunReporter(forge, "f".repeat(40), undefined, 50);
    reporter.start("chant/reproduction", new Date().toISOString());
    await sleep(80); // reproduction runs past the delay; tests has not started
    reporter.complete(result("chant/reproduction"));
    reporter.start("chant/tests", new Date().toISOString());
    reporter.complete(result("chant/tests"));
    await reporter.flush();
    expect(writes).toEqual([
      ["chant/reproduction", "in_progress"],
      ["chant/reproduction", "completed"],
      ["chant/tests", "completed"],
    ]);
  });

  it("time before a check starts (clone, setup command) counts toward no check", async () => {
    const { forge, writes } = recordingForge();
    const reporter = new CheckRunReporter(forge, "f".repeat(40), undefined, 50);
    await sleep(120); // the setup: longer than the delay
    for (const name of ["chant/tests", "chant/lint"] as const) {
      reporter.start(name, new Date().toISOString());
      reporter.complete(result(name));
    }
    await reporter.flush();
    await sleep(80);
    expect(writes).toEqual([
      ["chant/tests", "completed"],
      ["chant/lint", "completed"],
    ]);
  });

  it("a failed in_progress mark is logged, and the completed write still goes", async () => {
    const { forge, writes } = recordingForge(5, "chant/tests");
    let completedFails = true;
    const flaky = {
      ensureCheckRun(sha: string, name: CheckName, update: CheckRunUpdate) {
        if (update.status === "in_progress") return forge.ensureCheckRun(sha, name, update);
        completedFails = false;
        writes.push([name, update.status]);
        return Promise.resolve();
      },
    } as Partial<Forge> as Forge;
    const warnings: string[] = [];
    const log = { warn: (_obj: unknown, msg: string) => warnings.push(msg) };
    const reporter = new CheckRunReporter(flaky, "f".repeat(40), log as never, 20);
    reporter.start("chant/tests", new Date().toISOString());
    await sleep(60);
    reporter.complete(result("chant/tests"));
    await reporter.flush();
    expect(completedFails).toBe(false);
    expect(writes).toEqual([["chant/tests", "completed"]]);
    expect(warnings).toEqual(["could not mark the check run in progress"]);
  });

  it("a slow write (the throttle spaces them a second apart) does not keep the next check waiting, nor make it look long-running", async () => {
    const { forge, writes } = recordingForge(80);
    const names: CheckName[] = ["chant/reproduction", "chant/tests", "chant/lint", "chant/format"];
    const reporter = new CheckRunReporter(forge, "f".repeat(40), undefined, 100);
    const began = Date.now();
    for (const name of names) {
      reporter.start(name, new Date().toISOString());
      reporter.complete(result(name));
    }
    // Every check is done at once; only the writes take time.
    expect(Date.now() - began).toBeLessThan(50);
    await reporter.flush();
    // The writes took 4 x 80 ms, past the 100 ms delay: no check was still running then.
    expect(Date.now() - began).toBeGreaterThan(300);
    await sleep(150);
    expect(writes.map(([, status]) => status)).toEqual([
      "completed",
      "completed",
      "completed",
      "completed",
    ]);
  });

  it("flush fails when a completed write failed (the job runs again); settle waits without failing", async () => {
    const { forge, writes } = recordingForge(5, "chant/lint");
    const reporter = new CheckRunReporter(forge, "f".repeat(40), undefined, 1000);
    reporter.complete(result("chant/tests"));
    reporter.complete(result("chant/lint"));
    await expect(reporter.flush()).rejects.toThrow("GitHub refused chant/lint");
    await expect(reporter.settle()).resolves.toBeUndefined();
    expect(writes).toEqual([["chant/tests", "completed"]]);
  });
});
