import type { FileRead, RepoFileEntry, RepoFiles } from "../../forge/repo-files.js";
import { MAX_SPEC_BYTES, parseSpec, type ParsedSpec } from "../../spec/parse-spec.js";
import { isSpecError } from "../../spec/spec-error.js";
import {
  compareSpecIds,
  isSafeSpecId,
  parseSpecId,
  SPEC_ID_PATTERN,
  specIdFromPath,
} from "../../spec/spec-id.js";
import { isSafeRepoPath, isTestPath, normalizeRepoPath } from "../../util/repo-path.js";
import { visibleText } from "../../util/untrusted-text.js";

export const SPECS_DIR = ".chant/specs";
export const ARCHIVE_DIR = ".chant/archive";
export const SPEC_DIRS = [SPECS_DIR, ARCHIVE_DIR] as const;

/**
 * Bounds on one job's work in a repository that may be hostile or simply
 * huge: at most this many spec files of the listing are considered (active
 * specs first, then the archive, newest ids first within each) ...
 */
export const MAX_SPEC_FILES_LISTED = 5000;
/**
 * ... and at most this many are read and parsed (each is up to 1 MiB and a
 * GitHub API read). What a limit left out is said in the outcome's notes (and
 * so in the status comment), never dropped silently; a spec named in the
 * command is found whatever the limits.
 */
export const MAX_SPEC_FILES_READ = 500;

export interface ResearchRequest {
  /** The issue to fix, when known (on a pull request: the issue it links, if any). */
  issueNumber: number | undefined;
  /** Issue and PR bodies, searched for spec ids and `.chant/specs/...` paths. */
  texts: readonly string[];
  /** `/chant implement <SPEC>`: an id or a path. */
  explicit?: string | undefined;
  /** When triggered on a pull request. */
  pullRequest?: { number: number; changedFiles: readonly string[]; fromFork: boolean } | undefined;
  /** `--force`: go ahead with research that is not completed. */
  force?: boolean | undefined;
}

export type Rule = "explicit" | "mentioned" | "label" | "pull_request";

export interface ResearchChain {
  /** RCA documents the research spec lists in target_files, with their text. */
  rcaDocuments: { path: string; text: string }[];
  /** RCA documents listed but not readable (missing, binary, too large). */
  missingRca: string[];
  reproductionSpecs: ParsedSpec[];
  /** Test files among the research's informed_by and the reproduction specs' target_files. */
  reproductionTests: string[];
  /** Entries there that look like test files but are not plain repository paths: not run. */
  rejectedTests?: string[];
}

interface Chosen {
  research: ParsedSpec;
  rule: Rule;
  /** Every candidate the winning rule found, the chosen one first. */
  candidates: ParsedSpec[];
  /** Why this one, in a sentence (when there were several). */
  reason: string;
  issueNumber: number | undefined;
}

export type ResearchOutcome =
  | ({ kind: "found" | "ambiguous"; chain: ResearchChain; notes: string[] } & Chosen)
  | ({ kind: "not_completed"; notes: string[] } & Chosen)
  | {
      kind: "not_found";
      issueNumber: number | undefined;
      notes: string[];
      searched: string[];
      /** A limit (MAX_SPEC_FILES_LISTED / _READ) left spec files unsearched: the notes say which. */
      limited?: boolean;
    }
  | { kind: "invalid"; message: string; notes: string[] };

/**
 * Find the research spec for an issue or pull request (DESIGN.md, "Finding
 * the research spec"), first rule that yields a candidate wins:
 * 1. an explicit argument; 2. a spec id or path mentioned in the issue/PR body;
 * 3. research specs labelled `issue-N`; 4. research specs a same-repo PR changes.
 * Then follow the chain to the RCA documents and the reproduction test.
 * Reads: one listing, then only the files a rule needs, in batches.
 */
export async function findResearchSpec(
  files: RepoFiles,
  request: ResearchRequest,
): Promise<ResearchOutcome> {
  const notes: string[] = [];
  const listing = (await files.list(SPEC_DIRS)).filter((f) => /\.md$/i.test(f.path));
  const specs = new SpecReader(files, listing, notes);
  const outcome = await search(files, request, specs, notes);
  const limits = specs.limitNotes();
  if (limits.length > 0) {
    // First, so that a maintainer reads why a spec may have been missed before anything else.
    outcome.notes.unshift(...limits);
    if (outcome.kind === "not_found") outcome.limited = true;
  }
  return outcome;
}

async function search(
  files: RepoFiles,
  request: ResearchRequest,
  specs: SpecReader,
  notes: string[],
): Promise<ResearchOutcome> {
  const explicit = request.explicit?.trim();
  if (explicit) {
    const path = resolveExplicit(explicit, specs);
    if (typeof path !== "string") return { kind: "invalid", message: path.error, notes };
    const spec = (await specs.read([path]))[0];
    if (!spec) {
      return { kind: "invalid", message: `\`${path}\` could not be read: ${notes.pop()}`, notes };
    }
    if (!isResearch(spec)) {
      notes.push(
        `\`${spec.id}\` does not look like a research spec (no \`prompt: research\`, \`type: research\` or \`research\` label); using it because it was named explicitly.`,
      );
    }
    return choose(files, specs, request, "explicit", [spec], notes);
  }

  const mentioned = mentionedSpecPaths(request.texts, specs, notes);
  const mentionedResearch = (await specs.read(mentioned)).filter(isResearch);
  if (mentionedResearch.length > 0) {
    return choose(files, specs, request, "mentioned", mentionedResearch, notes);
  }

  const searched: string[] = [];
  if (request.issueNumber !== undefined) {
    const label = `issue-${request.issueNumber}`;
    searched.push(
      `research specs labelled \`${label}\` in \`${SPECS_DIR}/\` and \`${ARCHIVE_DIR}/\``,
    );
    const labelled = (await specs.readAll()).filter(
      (spec) => isResearch(spec) && (spec.frontmatter.labels ?? []).includes(label),
    );
    if (labelled.length > 0) return choose(files, specs, request, "label", labelled, notes);
  }

  const pr = request.pullRequest;
  if (pr) {
    if (pr.fromFork) {
      notes.push(
        `Pull request #${pr.number} comes from a fork: the specs it changes are not read (specs and config are read from the base repository's default branch).`,
      );
    } else {
      searched.push(`research specs that pull request #${pr.number} adds or changes`);
      const changed = pr.changedFiles.filter((p) => specs.has(p));
      const changedResearch = (await specs.read(changed)).filter(isResearch);
      if (changedResearch.length > 0) {
        return choose(files, specs, request, "pull_request", changedResearch, notes);
      }
    }
  }
  return { kind: "not_found", issueNumber: request.issueNumber, notes, searched };
}

export function isResearch(spec: ParsedSpec): boolean {
  const fm = spec.frontmatter;
  return (
    fm.type === "research" ||
    (fm.prompt ?? "").startsWith("research") ||
    (fm.labels ?? []).includes("research")
  );
}

function isReproduction(spec: ParsedSpec): boolean {
  const fm = spec.frontmatter;
  return /^reproduc/.test(fm.prompt ?? "") || (fm.labels ?? []).some((l) => /^reproduc/.test(l));
}

async function choose(
  files: RepoFiles,
  specs: SpecReader,
  request: ResearchRequest,
  rule: Rule,
  found: ParsedSpec[],
  notes: string[],
): Promise<ResearchOutcome> {
  const unique = [...new Map(found.map((s) => [s.path, s])).values()];
  const candidates = unique.sort(
    (a, b) =>
      Number(b.frontmatter.status === "completed") - Number(a.frontmatter.status === "completed") ||
      compareSpecIds(b.id, a.id),
  );
  const research = candidates[0]!;
  const completed = candidates.filter((c) => c.frontmatter.status === "completed");
  const reason =
    candidates.length === 1
      ? ""
      : completed.length === 1 && research.frontmatter.status === "completed"
        ? `\`${research.id}\` is the only completed one`
        : completed.length > 1
          ? `\`${research.id}\` is the newest of ${completed.length} completed research specs`
          : `\`${research.id}\` is the newest (none is completed)`;
  const chosen: Chosen = {
    research,
    rule,
    candidates,
    reason,
    issueNumber: request.issueNumber ?? issueFromLabels(research),
  };
  if (research.frontmatter.status !== "completed") {
    if (!request.force) return { kind: "not_completed", notes, ...chosen };
    notes.push(
      `Research spec \`${research.id}\` is \`${research.frontmatter.status}\`, not completed; going ahead because of \`--force\`.`,
    );
  }
  const chain = await followChain(files, specs, research);
  return { kind: candidates.length > 1 ? "ambiguous" : "found", chain, notes, ...chosen };
}

/** The chain (RCA documents, reproduction specs and tests) of a research spec already in hand. */
export async function researchChainFor(
  files: RepoFiles,
  research: ParsedSpec,
): Promise<ResearchChain> {
  const listing = (await files.list(SPEC_DIRS)).filter((f) => /\.md$/i.test(f.path));
  return followChain(files, new SpecReader(files, listing, []), research);
}

function issueFromLabels(spec: ParsedSpec): number | undefined {
  for (const label of spec.frontmatter.labels ?? []) {
    const match = /^issue-(\d{1,9})$/.exec(label);
    if (match) return Number(match[1]);
  }
  return undefined;
}

async function followChain(
  files: RepoFiles,
  specs: SpecReader,
  research: ParsedSpec,
): Promise<ResearchChain> {
  const fm = research.frontmatter;
  const rcaPaths = (fm.target_files ?? [])
    .map(normalizeRepoPath)
    .filter(
      (p) =>
        isSafeRepoPath(p) && /\.md$/i.test(p) && !/^\.chant\/(specs|archive|prompts)\//.test(p),
    );
  const linked = specs.withinBudget([
    ...new Set(
      [...(fm.informed_by ?? []), ...(fm.depends_on ?? [])]
        .map((ref) => specs.resolve(ref))
        .filter((p): p is string => p !== undefined && p !== research.path),
    ),
  ]);

  // One batched read for the RCA documents and the linked specs.
  const reads = await files.read([...new Set([...rcaPaths, ...linked])]);
  const rcaDocuments: ResearchChain["rcaDocuments"] = [];
  const missingRca: string[] = [];
  for (const path of rcaPaths) {
    const read = reads.get(path);
    if (read?.kind === "text") rcaDocuments.push({ path, text: read.text });
    else missingRca.push(path);
  }
  const reproductionSpecs = specs.parseReads(linked, reads).filter(isReproduction);
  const named = [
    ...(fm.informed_by ?? []),
    ...reproductionSpecs.flatMap((s) => s.frontmatter.target_files ?? []),
  ].map(normalizeRepoPath);
  const tests = named.filter((p) => !/[*?[\]{}]/.test(p) && isSafeRepoPath(p) && isTestPath(p));
  // Said, not silently dropped: the maintainer wonders why the test did not run.
  const rejectedTests = named.filter((p) => isTestPath(p) && !tests.includes(p));
  return {
    rcaDocuments,
    missingRca,
    reproductionSpecs,
    reproductionTests: [...new Set(tests)],
    rejectedTests: [...new Set(rejectedTests)],
  };
}

function resolveExplicit(arg: string, specs: SpecReader): string | { error: string } {
  const asPath = normalizeRepoPath(arg);
  if (asPath.includes("/")) {
    if (!isSafeRepoPath(asPath) || !/^\.chant\/(specs|archive)\/.+\.md$/.test(asPath)) {
      return {
        error: `\`${shown(arg)}\` is not a spec path: give an id such as \`2026-01-29-003-ghi\` or a path under \`${SPECS_DIR}/\`.`,
      };
    }
    return (
      specs.resolveAnywhere(asPath) ?? { error: `There is no \`${asPath}\` in ${specs.label}.` }
    );
  }
  const id = asPath.replace(/\.md$/i, "");
  if (!isSafeSpecId(id)) {
    return { error: `\`${shown(arg)}\` is not a spec id: ids look like \`2026-01-29-003-ghi\`.` };
  }
  return (
    specs.resolveAnywhere(id) ?? {
      error: `There is no spec \`${id}\` in \`${SPECS_DIR}/\` or \`${ARCHIVE_DIR}/\` of ${specs.label}.`,
    }
  );
}

/** A user's string, shown back to them safely inside backticks. */
function shown(text: string): string {
  return visibleText(text).replace(/[`\n]/g, "").slice(0, 80);
}

function mentionedSpecPaths(
  texts: readonly string[],
  specs: SpecReader,
  notes: string[],
): string[] {
  const found: string[] = [];
  const pattern = new RegExp(
    `\\.chant/(?:specs|archive)/[^\\s\`'"()<>\\[\\]]+?\\.md|\\b${SPEC_ID_PATTERN.source}\\b`,
    "g",
  );
  for (const text of texts) {
    for (const match of visibleText(text).matchAll(pattern)) {
      const path = specs.resolve(match[0]);
      if (path) found.push(path);
      else if (isSafeRepoPath(match[0]) || isSafeSpecId(match[0])) {
        notes.push(`\`${match[0]}\` is mentioned, but there is no such spec in ${specs.label}.`);
      }
    }
  }
  return [...new Set(found)];
}

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

/**
 * The spec files of one listing, read at most once each, parsed leniently;
 * every file it cannot use becomes a note (file and line) instead of an error.
 */
class SpecReader {
  private readonly byPath = new Map<string, RepoFileEntry>();
  private readonly byId = new Map<string, string>();
  private readonly parsed = new Map<string, ParsedSpec | undefined>();
  /** Listed spec files past MAX_SPEC_FILES_LISTED: only a spec named in the command is looked up here. */
  private readonly unlisted: RepoFileEntry[];
  private readonly listed: number;
  /** Spec files read so far, against MAX_SPEC_FILES_READ. */
  private readCount = 0;
  /** Spec files a rule wanted but the read limit left unread. */
  private unread = 0;

  constructor(
    private readonly files: RepoFiles,
    listing: RepoFileEntry[],
    private readonly notes: string[],
    private readonly limits = { listed: MAX_SPEC_FILES_LISTED, read: MAX_SPEC_FILES_READ },
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
        `**Not every spec was searched**: \`${SPECS_DIR}/\` and \`${ARCHIVE_DIR}/\` hold ${fmt(this.listed)} spec files, and chant-bot considers at most ${fmt(this.limits.listed)} per job (active specs first, then the newest ids), so ${fmt(this.unlisted.length)} were not searched. Name the research spec to use one of them: \`/chant implement <spec-id>\`.`,
      );
    }
    if (this.unread > 0) {
      notes.push(
        `**Not every spec was read**: chant-bot reads at most ${fmt(this.limits.read)} spec files per job (the newest first), so ${fmt(this.unread)} more that could hold the research were not read. Name the research spec to use one of them: \`/chant implement <spec-id>\`.`,
      );
    }
    return notes;
  }

  /** The first of `paths` that the read limit still allows (the rest are counted as unread). */
  withinBudget(paths: readonly string[]): string[] {
    const fresh = paths.filter((p) => !this.parsed.has(p));
    const allowed = new Set(fresh.slice(0, Math.max(0, this.limits.read - this.readCount)));
    this.unread += fresh.length - allowed.size;
    this.readCount += allowed.size;
    return paths.filter((p) => this.parsed.has(p) || allowed.has(p));
  }

  /** Like resolve, and past MAX_SPEC_FILES_LISTED too: for the one spec a command names. */
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

  get label(): string {
    return this.files.label;
  }

  has(path: string): boolean {
    return this.byPath.has(path);
  }

  /** An id, a `.chant/...` path or a file name, to the path of a listed spec. */
  resolve(ref: string): string | undefined {
    const path = normalizeRepoPath(ref);
    if (this.byPath.has(path)) return path;
    return this.byId.get(specIdFromPath(path));
  }

  async read(paths: readonly string[]): Promise<ParsedSpec[]> {
    // The limit keeps the first paths (newest first); they are read in listing order, so
    // notes come in the order of the files.
    const wanted = this.withinBudget(paths)
      .filter((p) => !this.parsed.has(p))
      .sort(
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
    return this.read([...this.byPath.keys()]);
  }

  parseReads(paths: readonly string[], reads: Map<string, FileRead>): ParsedSpec[] {
    for (const path of paths) {
      if (this.parsed.has(path)) continue;
      const read = reads.get(path);
      this.parsed.set(path, read ? this.parseRead(read) : undefined);
    }
    return paths.map((p) => this.parsed.get(p)).filter((s): s is ParsedSpec => s !== undefined);
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
