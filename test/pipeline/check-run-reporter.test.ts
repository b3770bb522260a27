import { describe, expect, it } from "vitest";
import type { CheckResult } from "../../src/checks/check-types.js";
import type { Forge } from "../../src/forge/forge.js";
import type { CheckName, CheckRunUpdate } from "../../src/domain/checks.js";
import { CheckRunReporter } from "../../src/pipeline/checks/check-run-reporter.js";

/** Only what the reporter calls: every write, in order. */
function recordingForge() {
  const writes: [CheckName, CheckRunUpdate["status"]][] = [];
  const forge = {
    async ensureCheckRun(_sha: string, name: CheckName, update: CheckRunUpdate) {
      await new Promise((r) => setTimeout(r, 5));
      writes.push([name, update.status]);
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
    await reporter.complete(result("chant/tests"));
    await reporter.complete(result("chant/lint"));
    reporter.stop();
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
    await reporter.complete(result("chant/reproduction"));
    await reporter.complete(result("chant/tests"));
    reporter.stop();
    expect(writes).toEqual([
      ["chant/reproduction", "in_progress"],
      ["chant/tests", "in_progress"],
      ["chant/reproduction", "completed"],
      ["chant/tests", "completed"],
    ]);
  });
});
