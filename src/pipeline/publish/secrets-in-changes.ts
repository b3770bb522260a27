import { randomBytes } from "node:crypto";
import type { Workspace } from "../workspace/prepare-workspace.js";

/** What the scan reads at most; a push bigger than this is refused, not checked. */
const MAX_SCANNED_BYTES = 256 * 1024 * 1024;

/**
 * Where the commits about to be pushed (base..HEAD: every commit, not only
 * the end result, since history is pushed too) hold a secret of the worker
 * or a GitHub token: in a commit message, a file name or a line a commit
 * adds. The agent runs as the worker's user and can read what the worker
 * can (`/proc/<worker>/environ`, its files); whatever it writes into the
 * clone is published by the push, where no redaction can reach it.
 * Returns short descriptions ("the message of commit 1a2b3c4",
 * "`src/a.js` in commit 1a2b3c4"), never the secret.
 */
export async function secretsInChanges(workspace: Workspace): Promise<string[]> {
  // Between commits: a line no file or message holds by chance (binary files can hold NULs).
  const marker = `--chant-commit-${randomBytes(12).toString("hex")}--`;
  const log = await workspace.git(
    [
      "log",
      "--reverse",
      `--format=${marker}%h%n%B`,
      "--patch",
      "--text",
      "--no-color",
      "--no-ext-diff",
      "--no-renames",
      // A merge's own changes count too (by default git shows no diff for a merge).
      "--diff-merges=first-parent",
      "--unified=0",
      `${workspace.baseSha}..HEAD`,
    ],
    { maxOutputBytes: MAX_SCANNED_BYTES + 1 },
  );
  if (Buffer.byteLength(log) > MAX_SCANNED_BYTES) {
    return [`the changes (more than ${MAX_SCANNED_BYTES / 1024 / 1024} MiB: too large to check)`];
  }
  const found: string[] = [];
  for (const entry of log.split(marker).slice(1)) {
    const sha = entry.slice(0, entry.indexOf("\n"));
    const start = entry.search(/^diff --git /m);
    const message = start < 0 ? entry : entry.slice(0, start);
    if (workspace.holdsSecret(message)) found.push(`the message of commit ${sha}`);
    if (start < 0) continue;
    for (const diff of entry.slice(start).split(/^(?=diff --git )/m)) {
      const lines = diff.split("\n");
      const header = lines[0] ?? "";
      const added = lines
        .filter((l) => l.startsWith("+") && !l.startsWith("+++ "))
        .map((l) => l.slice(1))
        .join("\n");
      if (workspace.holdsSecret(header) || workspace.holdsSecret(added)) {
        const path = /^diff --git a\/.* b\/(.*)$/.exec(header)?.[1] ?? header;
        found.push(`\`${path.replace(/`/g, "'").slice(0, 200)}\` in commit ${sha}`);
      }
    }
  }
  return found;
}
