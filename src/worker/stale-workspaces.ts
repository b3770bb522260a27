import { readdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { ownerIsGone, removeTree } from "../pipeline/workspace/workspace-dir.js";
import { killProcessGroupsIn } from "../process/processes-in-dir.js";

/**
 * A worker killed with SIGKILL leaves its clones in the work directory and
 * its agent and check commands running (they have process groups of their
 * own). At start, a worker kills what still runs in the workspaces of dead
 * workers and removes those workspaces. Workspaces of live workers (several
 * may share one work directory) are left alone.
 */
export async function removeStaleWorkspaces(
  workRoot: string,
  log?: Logger,
): Promise<{ removed: string[]; killedGroups: number[] }> {
  const removed: string[] = [];
  const killedGroups: number[] = [];
  let entries: string[];
  try {
    entries = await readdir(workRoot);
  } catch {
    return { removed, killedGroups };
  }
  for (const entry of entries) {
    if (!entry.startsWith("chant-")) continue;
    const dir = join(workRoot, entry);
    if ((await ownerIsGone(dir)) !== true) continue;
    try {
      killedGroups.push(...killProcessGroupsIn(await realpath(dir)));
      // Killed processes may still be exiting: removeTree retries; a sandboxed command may
      // have left directories it made unwritable.
      await removeTree(dir);
      removed.push(dir);
    } catch (error) {
      log?.warn({ err: error, dir }, "could not remove a dead worker's workspace");
    }
  }
  if (removed.length > 0) {
    log?.info(
      { workspaces: removed.length, processGroups: killedGroups },
      "removed workspaces left by a dead worker (and stopped what still ran in them)",
    );
  }
  return { removed, killedGroups };
}
