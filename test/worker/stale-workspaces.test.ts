import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeWorkspaceDir, OWNER_FILE } from "../../src/pipeline/workspace/workspace-dir.js";
import { removeStaleWorkspaces } from "../../src/worker/stale-workspaces.js";
import { alive } from "../support/chaos-stack.js";
import { deadPid, spawnSleeper } from "../support/processes.js";

const roots: string[] = [];
const sleepers: number[] = [];
afterEach(() => {
  for (const pid of sleepers.splice(0)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function workRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "chant-stale-"));
  roots.push(root);
  return root;
}

function ownedBy(root: string, name: string, owner: unknown): string {
  const dir = join(root, name);
  mkdirSync(join(dir, "repo"), { recursive: true });
  writeFileSync(join(dir, OWNER_FILE), JSON.stringify(owner));
  return dir;
}

describe("removeStaleWorkspaces: what a worker killed with SIGKILL left", () => {
  it("removes a dead owner's workspaces and kills the process groups still working in them", async () => {
    const root = workRoot();
    const dead = ownedBy(root, "chant-2026-01-01-001-abc-x", {
      pid: await deadPid(),
      instance: "old",
    });
    const orphan = spawnSleeper(join(dead, "repo"));
    sleepers.push(orphan);
    // This very pid, another life of the process (a container restarted as pid 1 again).
    const reborn = ownedBy(root, "chant-checks-y", { pid: process.pid, instance: "old" });

    const { removed, killedGroups } = await removeStaleWorkspaces(root);
    expect(removed.sort()).toEqual([dead, reborn].sort());
    expect(killedGroups).toEqual([orphan]);
    await expect.poll(() => alive(orphan)).toBe(false);
    expect(existsSync(dead)).toBe(false);
  });

  it("leaves live workers' workspaces, foreign directories and those that do not say whose they are", async () => {
    const root = workRoot();
    const mine = await makeWorkspaceDir(root, "chant-2026-01-01-002-def-");
    const otherWorker = spawnSleeper(root);
    sleepers.push(otherWorker);
    const theirs = ownedBy(root, "chant-checks-z", { pid: otherWorker, instance: "theirs" });
    const busy = spawnSleeper(theirs);
    sleepers.push(busy);
    mkdirSync(join(root, "chant-no-owner"));
    mkdirSync(join(root, "unrelated"));

    expect(await removeStaleWorkspaces(root)).toEqual({ removed: [], killedGroups: [] });
    for (const dir of [mine, theirs, join(root, "chant-no-owner"), join(root, "unrelated")])
      expect(existsSync(dir)).toBe(true);
    expect(alive(busy)).toBe(true);
  });

  it("is fine with a work directory that does not exist yet", async () => {
    expect(await removeStaleWorkspaces(join(workRoot(), "nope"))).toEqual({
      removed: [],
      killedGroups: [],
    });
  });
});
