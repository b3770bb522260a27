import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runProcess } from "../../src/process/run-process.js";
import { FIXTURE_REPOS } from "./memory-files.js";

/** git in `cwd` with no user or system config; its stdout, trimmed; throws with the output on failure. */
export async function gitIn(cwd: string, ...args: string[]): Promise<string> {
  const result = await runProcess(["git", ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: cwd, GIT_CONFIG_NOSYSTEM: "1" },
    timeoutMs: 20_000,
  });
  if (result.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${result.output}`);
  return result.stdout.trim();
}

/** The kv-store fixture as a real git repository with one commit on main, in a new temp dir (pushed to `dirs` for removal). */
export async function kvStoreRepo(prefix: string, dirs: string[], message = "kv"): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  cpSync(join(FIXTURE_REPOS, "kv-store"), dir, { recursive: true });
  await gitIn(dir, "init", "--quiet", "--initial-branch=main");
  await gitIn(dir, "add", "--all");
  await gitIn(dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message);
  return dir;
}
