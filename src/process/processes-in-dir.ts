import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { sep } from "node:path";

/**
 * Kill (SIGKILL) the process group of every process whose working directory
 * is `dir` or below it. Used on what a dead worker left running: agents and
 * check commands run in their own process groups, in the job's clone, and
 * outlive a worker killed with SIGKILL. Linux only (reads /proc); elsewhere
 * nothing is killed. Returns the process groups signalled.
 */
export function killProcessGroupsIn(dir: string): number[] {
  if (process.platform !== "linux") return [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const own = processGroupOf("self");
  const groups = new Set<number>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cwd: string;
    try {
      cwd = readlinkSync(`/proc/${entry}/cwd`);
    } catch {
      continue; // gone meanwhile, or not ours to look at
    }
    if (cwd !== dir && !cwd.startsWith(dir + sep)) continue;
    const group = processGroupOf(entry);
    // Never our own group, nor init's.
    if (group !== undefined && group > 1 && group !== own) groups.add(group);
  }
  for (const group of groups) {
    try {
      process.kill(-group, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return [...groups];
}

function processGroupOf(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses.
    const group = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    return Number.isInteger(group) ? group : undefined;
  } catch {
    return undefined;
  }
}
