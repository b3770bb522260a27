/**
 * Files the worker writes into its clone go through git's object database
 * and index, never through a path of the working tree: a repository (or an
 * agent's patch) may have made any part of that path a symbolic link, and a
 * write through it would land outside the clone.
 */

type LocalGit = (
  args: readonly string[],
  options?: { input?: string; maxOutputBytes?: number },
) => Promise<string>;

/** `content` as the regular file `path` in the index (the working tree is not touched). */
export async function stageFile(git: LocalGit, path: string, content: string): Promise<void> {
  const blob = (await git(["hash-object", "-w", "--stdin"], { input: content })).trim();
  await git(["update-index", "--add", "--cacheinfo", `100644,${blob},${path}`]);
}

/** Stage `content` as `path` and commit the index (hooks off, as every worker commit). */
export async function commitFileFromIndex(
  git: LocalGit,
  path: string,
  content: string,
  message: string,
): Promise<void> {
  await stageFile(git, path, content);
  await git(["commit", "--no-verify", "--allow-empty", "-m", message]);
}

/** The blob of `path` in the index (`:path`) or a commit (`HEAD:path`), when it is a regular file. */
export async function readRegularFile(
  git: LocalGit,
  ref: "" | string,
  path: string,
): Promise<string | undefined> {
  const listing =
    ref === ""
      ? await git(["ls-files", "-s", "-z", "--", path])
      : await git(["ls-tree", "-z", ref, "--", path]);
  const entry = listing.split("\0").find((e) => e.endsWith(`\t${path}`));
  const mode = entry?.split(" ")[0];
  if (mode !== "100644" && mode !== "100755") return undefined;
  return git(["cat-file", "blob", `${ref}:${path}`], { maxOutputBytes: 8 * 1024 * 1024 });
}
