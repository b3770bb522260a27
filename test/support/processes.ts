import { spawn } from "node:child_process";

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
