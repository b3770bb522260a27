import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/** A process that sleeps in `cwd`, in a process group of its own (as agents and checks run). */
export function spawnSleeper(cwd: string): number {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], {
    cwd,
    detached: true,
    stdio: "ignore",
  });
  child.unref();
  return child.pid!;
}

/** The pid of a process that has exited (and was reaped). */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

/** Whether a process is still running: not gone, not a zombie waiting for init to reap it. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return true;
  }
}
