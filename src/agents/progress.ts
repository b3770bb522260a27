/**
 * Progress lines for the status comment ("turn 3", "Edit src/store.js",
 * "Bash npm test"): one short line of plain text each, paths relative to the
 * workspace, so that a reader sees what the agent is doing, not its JSON.
 */
import { isAbsolute, relative } from "node:path";
import { oneLine } from "../util/untrusted-text.js";

export const MAX_PROGRESS_CHARS = 100;

/** `path` relative to the first root it lies in; unchanged otherwise. */
export function workspacePath(path: string, roots: readonly (string | undefined)[]): string {
  if (!isAbsolute(path)) return path;
  for (const root of roots) {
    if (root === undefined || root === "") continue;
    const rel = relative(root, path);
    if (rel !== "" && !rel.startsWith("..") && !isAbsolute(rel)) return rel;
  }
  return path;
}

export function progressLine(text: string): string {
  return oneLine(text, MAX_PROGRESS_CHARS);
}

/** "Edit src/store.js", "Bash npm test", "Grep lostWrite": a tool call of Claude Code. */
export function describeToolUse(
  tool: string,
  input: Record<string, unknown> | undefined,
  roots: readonly (string | undefined)[],
): string {
  const name = oneLine(tool, 40) || "tool";
  const str = (key: string): string | undefined => {
    const value = input?.[key];
    return typeof value === "string" && value.trim() !== "" ? value : undefined;
  };
  const file = str("file_path") ?? str("notebook_path");
  if (file !== undefined) return `${name} ${workspacePath(file, roots)}`;
  const command = str("command");
  if (command !== undefined) return `${name} ${firstLine(command)}`;
  const pattern = str("pattern");
  if (pattern !== undefined) {
    const where = str("path");
    return `${name} ${pattern}${where !== undefined ? ` in ${workspacePath(where, roots)}` : ""}`;
  }
  const path = str("path");
  if (path !== undefined) return `${name} ${workspacePath(path, roots)}`;
  const target = str("url") ?? str("query") ?? str("description");
  return target !== undefined ? `${name} ${target}` : name;
}

/** Codex runs shell commands as `bash -lc '...'`: show the command itself. */
export function describeShellCommand(command: string): string {
  const match = /^(?:\/(?:usr\/)?bin\/)?(?:ba|z)?sh\s+-l?c\s+([\s\S]+)$/.exec(command.trim());
  let inner = match?.[1]?.trim() ?? command;
  if (
    inner.length >= 2 &&
    ((inner.startsWith("'") && inner.endsWith("'")) ||
      (inner.startsWith('"') && inner.endsWith('"')))
  ) {
    inner = inner.slice(1, -1);
  }
  return firstLine(inner);
}

function firstLine(text: string): string {
  const lines = text.trim().split("\n");
  return lines.length > 1 ? `${lines[0]} …` : (lines[0] ?? "");
}
