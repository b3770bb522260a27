import type { Stats } from "node:fs";
import { lstat, stat } from "node:fs/promises";

/** The errors that mean "nothing is at this path": a missing entry, or a file where a directory was expected. */
const ABSENT = new Set(["ENOENT", "ENOTDIR"]);

function isAbsence(error: unknown): boolean {
  return ABSENT.has((error as NodeJS.ErrnoException)?.code ?? "");
}

/**
 * lstat (a symbolic link is reported as one, never followed), or undefined
 * when nothing is there. Any other failure (EACCES, EIO, ELOOP) is thrown: it
 * is not an answer to "is something there?".
 */
export async function lstatIfPresent(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if (isAbsence(error)) return undefined;
    throw error;
  }
}

/** Whether `path` is a directory (following links); false when nothing is there. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    if (isAbsence(error)) return false;
    throw error;
  }
}
