import { readFileSync } from "node:fs";
import { availableParallelism, loadavg, totalmem } from "node:os";
import { Redis } from "ioredis";

export interface Machine {
  nproc: number;
  cpuModel: string;
  ramGiB: number;
  node: string;
  redis: string;
  platform: string;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  loadAverage: number;
}

/** What the figures were measured on: they mean little without it. */
export async function describeMachine(redisUrl: string): Promise<Machine> {
  let cpuModel = "unknown";
  try {
    cpuModel =
      /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ??
      cpuModel;
  } catch {
    // Not Linux: the model stays unknown.
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let version = "unknown";
  try {
    await redis.connect();
    version = /redis_version:(\S+)/.exec(await redis.info("server"))?.[1] ?? version;
  } finally {
    redis.disconnect();
  }
  return {
    // nproc honours CPU affinity; availableParallelism() does too.
    nproc: availableParallelism(),
    cpuModel,
    ramGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    redis: version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: Math.round(loadavg()[0]! * 100) / 100,
  };
}
