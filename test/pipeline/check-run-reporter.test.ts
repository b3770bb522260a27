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
    const reporter = new CheckRunReporter(
      forge,
      "f".repeat(40),
      ["chant/tests", "chant/lint"],
      undefined,
      200,
    );
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

  it("checks still running after the delay are shown in_progress, then completed last", async () => {
    const { forge, writes } = recordingForge();
    const reporter = new CheckRunReporter(
      forge,
      "f".repeat(40),
      ["chant/reproduction", "chant/tests"],
      undefined,
      50,
    );
    reporter.start("chant/reproduction", new Date().toISOString());
    await sleep(60); // the delay passes: both are marked in_progress (the first write is under way)
    reporter.complete(result("chant/reproduction"));
    reporter.complete(result("chant/tests"));
    await reporter.flush();
    expect(writes).toEqual([
      ["chant/reproduction", "in_progress"],
      ["chant/tests", "in_progress"],
      ["chant/reproduction", "completed"],
      ["chant/tests", "completed"],
    ]);
  });

  it("a slow write (the throttle spaces them a second apart) does not keep the next check waiting, nor make it look long-running", async () => {
    const { forge, writes } = recordingForge(80);
    const names: CheckName[] = ["chant/reproduction", "chant/tests", "chant/lint", "chant/format"];
    const reporter = new CheckRunReporter(forge, "f".repeat(40), names, undefined, 100);
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
    const reporter = new CheckRunReporter(
      forge,
      "f".repeat(40),
      ["chant/tests", "chant/lint"],
      undefined,
      1000,
    );
    reporter.complete(result("chant/tests"));
    reporter.complete(result("chant/lint"));
    await expect(reporter.flush()).rejects.toThrow("GitHub refused chant/lint");
    await expect(reporter.settle()).resolves.toBeUndefined();
    expect(writes).toEqual([["chant/tests", "completed"]]);
  });
});
