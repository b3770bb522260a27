import type { Workspace } from "../workspace/prepare-workspace.js";

/** What the scan reads at most; a push bigger than this is refused, not checked. */
const MAX_SCANNED_BYTES = 256 * 1024 * 1024;
/** Bound on the list of new objects (an id and a path a line). */
const MAX_LISTED_BYTES = 64 * 1024 * 1024;

/**
 * Objects as they are stored, whatever the clone's refs/replace (the worker's
 * git sets GIT_NO_REPLACE_OBJECTS too) or a commit-graph file say: the
 * parents written in the commits themselves.
 */
const RAW = ["--no-replace-objects", "-c", "core.commitGraph=false"];

const TOO_LARGE = `the changes (more than ${MAX_SCANNED_BYTES / 1024 / 1024} MiB: too large to check)`;
const UNREADABLE = "the changes (git's list of them could not be read, so they were not checked)";

interface NewObject {
  id: string;
  /** Where the object first shows up (trees and blobs); undefined for a commit. */
  path: string | undefined;
  /** The commit it first shows up in (its own id for a commit). */
  commit: string;
  type?: string;
  size?: number;
}

/**
 * Where the commits about to be pushed (base..HEAD: every commit, not only
 * the end result, since history is pushed too) hold a secret of the worker
 * or a GitHub token: in a commit (message, author, headers), a file or
 * directory name, or a file's content. What a push sends is read as raw
 * objects (`rev-list --objects`, then one `cat-file --batch`), never as a
 * diff: a textconv or diff driver set in `.gitattributes` and the clone's
 * config changes what `git log --patch` shows, not the objects. A file the
 * base already had is judged by what the changes added to it (lines holding a
 * secret that the base's version of the file had are left out), a name by
 * whether the base had that path. Returns short descriptions ("the message
 * of commit 1a2b3c4", "`src/a.js` in commit 1a2b3c4", naming the first commit
 * that has it), never the secret.
 */
export async function secretsInChanges(workspace: Workspace): Promise<string[]> {
  const range = `${workspace.baseSha}..HEAD`;
  // Oldest commit first, each followed by the trees and blobs it is the first to have.
  const listing = await workspace.git(
    [...RAW, "rev-list", "--objects", "--in-commit-order", "--reverse", range],
    { maxOutputBytes: MAX_LISTED_BYTES + 1 },
  );
  if (Buffer.byteLength(listing) > MAX_LISTED_BYTES) return [TOO_LARGE];
  const objects: NewObject[] = [];
  let commit = "";
  for (const line of listing.split("\n")) {
    if (line === "") continue;
    const match = /^([0-9a-f]{40}|[0-9a-f]{64})(?: (.*))?$/.exec(line);
    if (!match) return [UNREADABLE];
    const id = match[1]!;
    // Commits are listed alone; trees and blobs with a path (the root tree's is empty).
    if (match[2] === undefined) commit = id;
    objects.push({ id, path: match[2], commit });
  }
  if (objects.length === 0) return [];

  const ids = `${objects.map((o) => o.id).join("\n")}\n`;
  const sizes = await workspace.git([...RAW, "cat-file", "--batch-check"], {
    input: ids,
    maxOutputBytes: objects.length * 100 + 1024,
  });
  const sizeLines = sizes.split("\n");
  let total = 0;
  for (const [i, object] of objects.entries()) {
    const match = /^([0-9a-f]+) ([a-z]+) (\d+)$/.exec(sizeLines[i] ?? "");
    if (!match || match[1] !== object.id) return [UNREADABLE];
    object.type = match[2]!;
    object.size = Number(match[3]);
    total += object.size;
    if (total > MAX_SCANNED_BYTES) return [TOO_LARGE];
  }

  // One byte one character: the sizes in the headers count bytes.
  const raw = await workspace.git([...RAW, "cat-file", "--batch"], {
    input: ids,
    encoding: "latin1",
    maxOutputBytes: total + objects.length * 100 + 1024,
  });
  const contents = readBatch(raw, objects);
  if (contents === undefined) return [UNREADABLE];

  const short = await shortCommitIds(workspace, range);
  const where = (object: NewObject) => short.get(object.commit) ?? object.commit.slice(0, 7);
  // In the order of the listing: the oldest commit first.
  const found: Suspect[] = [];
  const names = new Set<string>();
  const holds = workspace.holdsSecret;
  for (const [i, object] of objects.entries()) {
    const content = contents[i]!;
    if (object.type === "commit") {
      const split = content.indexOf("\n\n");
      const header = split < 0 ? content : content.slice(0, split);
      const message = split < 0 ? "" : content.slice(split + 2);
      if (holds(asText(message))) {
        found.push({ place: `the message of commit ${where(object)}` });
      } else if (holds(asText(header))) {
        found.push({ place: `the author or headers of commit ${where(object)}` });
      }
    } else if (object.type === "tree") {
      // Every new tree lists all the names in its directory: each path once.
      // Each name on its own: a directory's name is not counted again in each path under it.
      for (const name of treeNames(content, object.id.length / 2)) {
        const path = object.path ? `${object.path}/${name}` : name;
        if (names.has(path) || !holds(name)) continue;
        names.add(path);
        found.push({ path, place: place(path, where(object), holds) });
      }
    } else {
      const text = asText(content);
      if (holds(text)) {
        const path = object.path ?? object.id;
        found.push({ path, place: place(path, where(object), holds), text });
      }
    }
  }
  const inBase = await alreadyInBase(workspace, found);
  return [...new Set(found.filter((s) => !inBase.has(s)).map((s) => s.place))];
}

interface Suspect {
  place: string;
  /** Absent for a commit. */
  path?: string;
  /** A file's content (absent: the name itself holds a secret). */
  text?: string;
}

/** Where a secret is, said without repeating it: a path that holds one is not named. */
function place(path: string, commit: string, holds: (text: string) => boolean): string {
  if (holds(path)) return `a file whose name holds a secret, in commit ${commit}`;
  return `\`${path.replace(/[`\n]/g, "'").slice(0, 200)}\` in commit ${commit}`;
}

/** The contents of `cat-file --batch` output, object by object, or undefined if it is not what was asked for. */
function readBatch(raw: string, objects: readonly NewObject[]): string[] | undefined {
  const contents: string[] = [];
  let at = 0;
  for (const object of objects) {
    const end = raw.indexOf("\n", at);
    if (end < 0) return undefined;
    const header = raw.slice(at, end);
    if (header !== `${object.id} ${object.type} ${object.size}`) return undefined;
    const start = end + 1;
    const stop = start + object.size!;
    if (raw.charCodeAt(stop) !== 10) return undefined;
    contents.push(raw.slice(start, stop));
    at = stop + 1;
  }
  return contents;
}

/**
 * The names in a raw tree object: entries of `<mode> <name>\0<id bytes>`
 * (decoded like file contents).
 */
function treeNames(tree: string, idBytes: number): string[] {
  const names: string[] = [];
  let at = 0;
  while (at < tree.length) {
    const space = tree.indexOf(" ", at);
    const nul = tree.indexOf("\0", space + 1);
    if (space < 0 || nul < 0) {
      // Not a tree as git writes them: judge the whole rest as a name.
      names.push(asText(tree.slice(at)));
      break;
    }
    names.push(asText(tree.slice(space + 1, nul)));
    at = nul + 1 + idBytes;
  }
  return names;
}

/**
 * Bytes (one character each) as the text they hold: UTF-8 where there are
 * bytes above 0x7f (ASCII survives either way, also inside binary files).
 */
function asText(bytes: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(bytes) ? Buffer.from(bytes, "latin1").toString("utf8") : bytes;
}

/**
 * The suspects whose secret the base already had: a name if the base has
 * that path; a file's content if what is left of it holds no secret once the
 * lines of the base's version that hold one are taken out.
 */
async function alreadyInBase(
  workspace: Workspace,
  suspects: readonly Suspect[],
): Promise<Set<Suspect>> {
  const known = new Set<Suspect>();
  // Paths with a line break cannot be asked for: they count as new.
  const asked = suspects.filter(
    (s): s is Suspect & { path: string } => s.path !== undefined && !/[\n\r]/.test(s.path),
  );
  if (asked.length === 0) return known;
  let raw: string;
  try {
    raw = await workspace.git([...RAW, "cat-file", "--batch"], {
      input: `${asked.map((s) => `${workspace.baseSha}:${s.path}`).join("\n")}\n`,
      encoding: "latin1",
      maxOutputBytes: MAX_SCANNED_BYTES,
    });
  } catch {
    return known; // the base could not be read: everything counts as new
  }
  // Cut short (one character a byte): the sizes no longer say where an object ends.
  if (raw.length >= MAX_SCANNED_BYTES) return known;
  const holds = workspace.holdsSecret;
  let at = 0;
  for (const suspect of asked) {
    const end = raw.indexOf("\n", at);
    if (end < 0) break;
    const match = /^[0-9a-f]{40,64} ([a-z]+) (\d+)$/.exec(raw.slice(at, end));
    if (!match) {
      at = end + 1; // "<name> missing": a new path
      continue;
    }
    const size = Number(match[2]);
    const old = raw.slice(end + 1, end + 1 + size);
    at = end + 1 + size + 1;
    if (suspect.text === undefined) {
      known.add(suspect);
      continue;
    }
    if (match[1] !== "blob") continue;
    const oldLines = new Set(
      asText(old)
        .split("\n")
        .filter((line) => holds(line)),
    );
    if (oldLines.size === 0) continue;
    const added = suspect.text
      .split("\n")
      .filter((line) => !oldLines.has(line))
      .join("\n");
    if (!holds(added)) known.add(suspect);
  }
  return known;
}

/** Each commit's id as `git log` abbreviates it. */
async function shortCommitIds(workspace: Workspace, range: string): Promise<Map<string, string>> {
  const log = await workspace.git([...RAW, "log", "--no-show-signature", "--format=%H %h", range], {
    maxOutputBytes: MAX_LISTED_BYTES,
  });
  const ids = new Map<string, string>();
  for (const line of log.split("\n")) {
    const [full, abbreviated] = line.split(" ");
    if (full && abbreviated) ids.set(full, abbreviated);
  }
  return ids;
}
