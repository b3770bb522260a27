import type { FileRead, RepoFileEntry, RepoFiles } from "../../domain/repo-files.js";
import { MAX_SPEC_BYTES, parseSpec, type ParsedSpec } from "../../chant-format/parse-spec.js";
import { isSpecError } from "../../chant-format/spec-error.js";
import { parseSpecId, specIdFromPath } from "../../chant-format/spec-id.js";
import { normalizeRepoPath } from "../../util/repo-path.js";

export const SPECS_DIR = ".chant/specs";
export const ARCHIVE_DIR = ".chant/archive";

/**
 * A spec file's place in the order the limits keep, as a string that sorts
 * ascending: active before archived, then newest first (date, sequence and
 * group member, as compareSpecIds orders ids), files not named by an id last.
 */
function priorityKey(path: string): string {
  const archived = path.startsWith(`${ARCHIVE_DIR}/`) ? "1" : "0";
  const id = specIdFromPath(path);
  const parts = parseSpecId(id);
  if (!parts) return `${archived}1${id}`;
  // Complements turn "newest first" into an ascending order.
  const date = parts.date.replace(/\d/g, (d) => String(9 - Number(d)));
  const sequence = String(
    Number.MAX_SAFE_INTEGER - Math.min(parts.sequence, Number.MAX_SAFE_INTEGER),
  ).padStart(16, "0");
  const member = String(999_999 - Math.min(parts.member ?? 0, 999_999)).padStart(6, "0");
  return `${archived}0${date}${sequence}${member}${id}`;
}

export interface SpecReaderLimits {
  /** Spec files of the listing considered at all. */
  listed: number;
  /** Spec files read and parsed, whatever asks for them. */
  read: number;
}

/**
 * The spec files of one listing, read at most once each, parsed leniently;
 * every file it cannot use becomes a note (file and line) instead of an error.
 */
export class SpecReader {
  private readonly byPath = new Map<string, RepoFileEntry>();
  private readonly byId = new Map<string, string>();
  private readonly parsed = new Map<string, ParsedSpec | undefined>();
  /** Listed spec files past the listing limit: only a spec named by id or path is looked up here. */
  private readonly unlisted: RepoFileEntry[];
  private readonly listed: number;
  /** Spec files read so far, against the read limit. */
  private readCount = 0;
  /** Spec files a rule wanted but the read limit left unread. */
  private unread = 0;

  constructor(
    private readonly files: RepoFiles,
    listing: RepoFileEntry[],
    private readonly notes: string[],
    private readonly limits: SpecReaderLimits,
    /** How the reader of the notes names a spec: `/chant implement <spec-id>` or `--spec <spec-id>`. */
    private readonly nameHint = "`/chant implement <spec-id>`",
  ) {
    // Active specs win over archived ones with the same id; within each, newest ids first
    // (what the limits keep). Keys are made once: a listing may hold 100,000 files.
    const ordered = listing
      .map((entry) => ({ entry, key: priorityKey(entry.path) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map(({ entry }) => entry);
    this.listed = ordered.length;
    this.unlisted = ordered.slice(this.limits.listed);
    for (const entry of ordered.slice(0, this.limits.listed)) this.index(entry);
  }

  private index(entry: RepoFileEntry): void {
    this.byPath.set(entry.path, entry);
    const id = specIdFromPath(entry.path);
    if (!this.byId.has(id)) this.byId.set(id, entry.path);
  }

  /** What the limits left out, for the outcome's notes (empty when nothing was). */
  limitNotes(): string[] {
    const notes: string[] = [];
    const fmt = (n: number) => n.toLocaleString("en-US");
    if (this.unlisted.length > 0) {
      notes.push(
        `**Not every spec was searched**: \`${SPECS_DIR}/\` and \`${ARCHIVE_DIR}/\` hold ${fmt(this.listed)} spec files, and chant-bot considers at most ${fmt(this.limits.listed)} per job (active specs first, then the newest ids), so ${fmt(this.unlisted.length)} were not searched. Name the research spec to use one of them: ${this.nameHint}.`,
      );
    }
    if (this.unread > 0) {
      notes.push(
        `**Not every spec was read**: chant-bot reads at most ${fmt(this.limits.read)} spec files per job (the newest first), so ${fmt(this.unread)} more that could hold the research or a phase of its chain were not read. Name the research spec to use one of them: ${this.nameHint}.`,
      );
    }
    return notes;
  }

  /** The first of `paths` that the read limit still allows (the rest are counted as unread). */
  withinBudget(paths: readonly string[]): string[] {
    const fresh = [...new Set(paths.filter((p) => !this.parsed.has(p)))];
    const allowed = new Set(fresh.slice(0, Math.max(0, this.limits.read - this.readCount)));
    this.unread += fresh.length - allowed.size;
    this.readCount += allowed.size;
    return paths.filter((p) => this.parsed.has(p) || allowed.has(p));
  }

  get label(): string {
    return this.files.label;
  }

  has(path: string): boolean {
    return this.byPath.has(path);
  }

  /** Every listed spec path (within the listing limit), newest first. */
  paths(): string[] {
    return [...this.byPath.keys()];
  }

  /**
   * An id, a `.chant/...` path or a file name, to the path of a listed spec.
   * A short id (`005-k9w`, as chant's guide writes `depends_on`) names the one
   * spec whose id ends with it; when several do, none is chosen.
   */
  resolve(ref: string): string | undefined {
    const path = normalizeRepoPath(ref);
    if (this.byPath.has(path)) return path;
    const id = specIdFromPath(path);
    const exact = this.byId.get(id);
    if (exact !== undefined || id.length < 3 || path.includes("/") || id.includes(":"))
      return exact;
    let found: string | undefined;
    for (const [other, otherPath] of this.byId) {
      if (!other.endsWith(`-${id}`)) continue;
      if (found !== undefined) return undefined;
      found = otherPath;
    }
    return found;
  }

  /** Like resolve, and past the listing limit too: for a spec named by id or path. */
  resolveAnywhere(ref: string): string | undefined {
    const found = this.resolve(ref);
    if (found !== undefined) return found;
    const path = normalizeRepoPath(ref);
    const id = specIdFromPath(path);
    const entry =
      this.unlisted.find((e) => e.path === path) ??
      this.unlisted.find((e) => specIdFromPath(e.path) === id);
    if (!entry) return undefined;
    this.index(entry);
    return entry.path;
  }

  /** A spec already read (undefined when not read, or unusable). */
  get(path: string): ParsedSpec | undefined {
    return this.parsed.get(path);
  }

  /** Whether `path` was read (usable or not). */
  wasRead(path: string): boolean {
    return this.parsed.has(path);
  }

  /** Every spec read so far that could be parsed. */
  all(): ParsedSpec[] {
    return [...this.parsed.values()].filter((s): s is ParsedSpec => s !== undefined);
  }

  async read(paths: readonly string[]): Promise<ParsedSpec[]> {
    // The limit keeps the first paths (newest first); they are read in listing order, so
    // notes come in the order of the files.
    const wanted = [...new Set(this.withinBudget(paths).filter((p) => !this.parsed.has(p)))].sort(
      (a, b) =>
        Number(a.startsWith(`${ARCHIVE_DIR}/`)) - Number(b.startsWith(`${ARCHIVE_DIR}/`)) ||
        (a < b ? -1 : a > b ? 1 : 0),
    );
    const readable: string[] = [];
    for (const path of wanted) {
      const size = this.byPath.get(path)?.size ?? 0;
      if (size > MAX_SPEC_BYTES) {
        this.parsed.set(path, undefined);
        this.notes.push(
          `\`${path}\` was skipped: ${Math.round(size / 1024)} KiB is too large for a spec.`,
        );
      } else {
        readable.push(path);
      }
    }
    if (readable.length > 0) this.parseReads(readable, await this.files.read(readable));
    return paths.map((p) => this.parsed.get(p)).filter((s): s is ParsedSpec => s !== undefined);
  }

  async readAll(): Promise<ParsedSpec[]> {
    return this.read(this.paths());
  }

  private parseReads(paths: readonly string[], reads: Map<string, FileRead>): void {
    for (const path of paths) {
      if (this.parsed.has(path)) continue;
      const read = reads.get(path);
      this.parsed.set(path, read ? this.parseRead(read) : undefined);
    }
  }

  private parseRead(read: FileRead): ParsedSpec | undefined {
    switch (read.kind) {
      case "missing":
        this.notes.push(`\`${read.path}\` is listed but could not be read.`);
        return undefined;
      case "binary":
        this.notes.push(`\`${read.path}\` was skipped: it is a binary file, not a markdown spec.`);
        return undefined;
      case "too_large":
        this.notes.push(
          `\`${read.path}\` was skipped: ${Math.round(read.size / 1024)} KiB is too large for a spec.`,
        );
        return undefined;
      case "text":
        try {
          return parseSpec(read.path, read.text);
        } catch (error) {
          if (!isSpecError(error)) throw error;
          this.notes.push(
            `\`${error.file}${error.line ? `:${error.line}` : ""}\`: ${error.detail}`,
          );
          return undefined;
        }
    }
  }
}
