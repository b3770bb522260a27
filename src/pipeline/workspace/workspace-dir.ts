import { randomUUID } from "node:crypto";
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Names the process that made a workspace directory (see makeWorkspaceDir). */
export const OWNER_FILE = ".chant-owner";

/** This process's life: a restarted process may get the same pid (pid 1 in a container). */
const INSTANCE = randomUUID();

export interface WorkspaceOwner {
  pid: number;
  instance: string;
}

/**
 * A fresh directory under `workRoot` for one job, with an owner file naming
 * this process, so that a worker started later can tell the directories of a
 * dead worker (which could not remove them) from those of a live one.
 */
export async function makeWorkspaceDir(workRoot: string, prefix: string): Promise<string> {
  await mkdir(workRoot, { recursive: true });
  const dir = await mkdtemp(join(workRoot, prefix));
  const owner: WorkspaceOwner = { pid: process.pid, instance: INSTANCE };
  await writeFile(join(dir, OWNER_FILE), JSON.stringify(owner));
  return dir;
}

/** Whether the process that made this directory is gone; undefined when it does not say. */
export async function ownerIsGone(dir: string): Promise<boolean | undefined> {
  let owner: Partial<WorkspaceOwner>;
  try {
    owner = JSON.parse(await readFile(join(dir, OWNER_FILE), "utf8")) as Partial<WorkspaceOwner>;
  } catch {
    return undefined;
  }
  if (owner.instance === INSTANCE) return false;
  if (typeof owner.pid !== "number" || !Number.isInteger(owner.pid) || owner.pid <= 0)
    return undefined;
  // Our pid, another life: this process was restarted with the same pid.
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    // EPERM: alive, someone else's.
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * Remove a job's directory, also where a sandboxed command left directories
 * it made unwritable (mode 0555 or 0000) so that a plain `rm -rf` fails for
 * a worker that is not root. Never follows symbolic links.
 */
export async function removeTree(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EACCES" && code !== "EPERM") throw error;
  }
  await makeRemovable(dir);
  await rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
}

async function makeRemovable(root: string): Promise<void> {
  const stack = [root];
  // Best effort on every entry: the rm that follows says what really could not be removed.
  /* eslint-disable no-restricted-syntax -- see above */
  while (stack.length > 0) {
    const path = stack.pop()!;
    const stat = await lstat(path).catch(() => undefined);
    if (!stat?.isDirectory()) continue;
    await chmod(path, 0o700).catch(() => undefined);
    const names = await readdir(path).catch(() => [] as string[]);
    for (const name of names) stack.push(join(path, name));
  }
  /* eslint-enable no-restricted-syntax */
}
