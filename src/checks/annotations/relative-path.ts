import { posix } from "node:path";

// Control characters, line/paragraph separators and bidi overrides never belong
// in a path we would show on GitHub (a bidi override can disguise one).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
// Half of a surrogate pair: not text, so not a file GitHub could match.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MAX_PATH_LENGTH = 4096;

/**
 * The path of a file of the repository as a tool printed it, made relative to
 * `repoRoot` with forward slashes; undefined when it is not a file inside the
 * repository (an absolute path elsewhere, `..` escaping it, the root itself).
 * Relative paths are taken as relative to the root: the checks run there.
 */
export function repositoryPath(printed: string, repoRoot: string): string | undefined {
  let path = printed.trim();
  if (path === "" || path.length > MAX_PATH_LENGTH) return undefined;
  if (CONTROL.test(path) || LONE_SURROGATE.test(path)) return undefined;
  if (path.startsWith("file://")) path = path.slice("file://".length);
  path = path.replace(/\\/g, "/");
  let relative: string;
  if (isAbsolute(path)) {
    const root = normalizeRoot(repoRoot);
    const absolute = posix.normalize(path);
    const inside = sameDrive(absolute, root)
      ? absolute.slice(0, root.length).toLowerCase() === root.toLowerCase() &&
        absolute[root.length] === "/"
      : absolute.startsWith(root === "/" ? "/" : `${root}/`);
    if (!inside) return undefined;
    relative = absolute.slice(root === "/" ? 1 : root.length + 1);
  } else {
    relative = posix.normalize(path);
  }
  if (relative.endsWith("/")) return undefined;
  if (relative === "" || relative === "." || relative === ".." || relative.startsWith("../")) {
    return undefined;
  }
  return relative;
}

function isAbsolute(path: string): boolean {
  return path.startsWith("/") || /^[A-Za-z]:\//.test(path);
}

function normalizeRoot(repoRoot: string): string {
  const root = posix.normalize(repoRoot.replace(/\\/g, "/"));
  return root.length > 1 && root.endsWith("/") ? root.slice(0, -1) : root;
}

// Windows drive letters compare without case (C:/repo and c:/repo).
function sameDrive(path: string, root: string): boolean {
  return /^[A-Za-z]:\//.test(path) && /^[A-Za-z]:\//.test(root);
}
