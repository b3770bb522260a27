/**
 * A path we accept from a spec, an RCA or a comment before it goes into
 * target_files, a git argument or a check command: relative, inside the
 * repository, printable, no segment that could read as an option.
 */
export function isSafeRepoPath(path: string): boolean {
  if (path.length === 0 || path.length > 400) return false;
  if (path.startsWith("/") || path.includes("\\") || path.includes("//")) return false;
  if (/[\p{Cc}\p{Cf}]/u.test(path)) return false;
  if (!/^[\p{L}\p{N}._@+/ ,=~-]+$/u.test(path)) return false;
  return path
    .split("/")
    .every(
      (segment) =>
        segment !== "" && segment !== "." && segment !== ".." && !segment.startsWith("-"),
    );
}

/** `./src/a.ts` -> `src/a.ts`. */
export function normalizeRepoPath(path: string): string {
  return path.trim().replace(/^(\.\/)+/, "");
}

const TEST_FILE =
  /(^|\/)(tests?|__tests__|spec|specs|testing|regression)\/|(^|\/)(test_[^/]+|[^/]+_test\.[^/]+|[^/]+\.(test|spec)\.[^/]+|[^/]+_spec\.[^/]+|[^/]+Test\.(java|kt|scala|cs)|[^/]+Tests?\.swift)$/;

/** Whether a path names a test file by the usual conventions of most languages. */
export function isTestPath(path: string): boolean {
  if (path.startsWith(".chant/")) return false;
  if (/\.(md|markdown|txt|json|ya?ml|toml|lock)$/i.test(path)) return false;
  return TEST_FILE.test(path);
}
