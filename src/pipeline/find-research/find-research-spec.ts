import type { RepoFiles } from "../../domain/repo-files.js";
import { sections } from "../../chant-format/markdown.js";
import type { ParsedSpec } from "../../chant-format/parse-spec.js";
import { isSafeSpecId, SPEC_ID_PATTERN } from "../../chant-format/spec-id.js";
import { isSafeRepoPath, isTestPath, normalizeRepoPath } from "../../util/repo-path.js";
import { oneLine, visibleText } from "../../util/untrusted-text.js";
import {
  documentPhaseFromName,
  isResearchPhase,
  issueOfDocumentName,
  issuesOfSpec,
  PHASE_WORDS,
  specDocuments,
  type Phase,
} from "./phases.js";
import {
  buildLinkIndex,
  incompleteMembers,
  MAX_CHAIN_SPECS,
  mergeDisjoint,
  orderedMembers,
  phaseOf,
  rankComponents,
  walkChain,
  type ChainMember,
  type Component,
} from "./research-chain.js";
import { RULE_WORDS, ruleStrength, strongestRule, type Rule } from "./rules.js";
import { ARCHIVE_DIR, SpecReader, SPECS_DIR } from "./spec-reader.js";

export { ARCHIVE_DIR, SPECS_DIR } from "./spec-reader.js";
export type { Rule } from "./rules.js";
export type { ChainMember } from "./research-chain.js";
export const SPEC_DIRS = [SPECS_DIR, ARCHIVE_DIR] as const;
/** Where agents write research documents (a naming convention of chant's: `issue-N-<phase>.md`). */
export const DOCUMENT_DIRS = [".chant/research", ".chant/triage"] as const;

/**
 * Bounds on one job's work in a repository that may be hostile or simply
 * huge: at most this many spec files of the listing are considered (active
 * specs first, then the archive, newest ids first within each) ...
 */
export const MAX_SPEC_FILES_LISTED = 5000;
/**
 * ... and at most this many are read and parsed (each is up to 1 MiB and a
 * GitHub API read), whatever asks for them: the rules, and the walk along a
 * chain's links. What a limit left out is said in the outcome's notes (and
 * so in the status comment), never dropped silently; a spec named in the
 * command is found whatever the limits.
 */
export const MAX_SPEC_FILES_READ = 500;
/** Research documents of one chain read (one batch). */
export const MAX_CHAIN_DOCUMENTS = 24;

/** Who reads the outcome: a comment on GitHub, or a person at the `chant-bot` command line. */
export type Audience = "comment" | "cli";

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
  /** How notes name a spec or `--force`: `/chant implement ID --force` or `--spec ID --force`. */
  audience?: Audience | undefined;
}

export interface ResearchDocument {
  path: string;
  text: string;
  phase: Phase;
}

/** (The fields after `rejectedTests` are the whole chain's; a chain built by hand may leave them out.) */
export interface ResearchChain {
  /** The root-cause phase's documents (its `target_files`), with their text. */
  rcaDocuments: { path: string; text: string }[];
  /** RCA documents listed but not readable (missing, binary, too large). */
  missingRca: string[];
  reproductionSpecs: ParsedSpec[];
  /** Test files among the root cause's informed_by and the reproduction specs' target_files. */
  reproductionTests: string[];
  /** Entries there that look like test files but are not plain repository paths: not run. */
  rejectedTests?: string[];
  /** The chain's specs in order (what each depends on or reads first), with their phases. */
  members?: ChainMember[];
  /** The chain's last research spec: the implementation `depends_on` it. */
  lastResearch?: ParsedSpec;
  /**
   * Every research document the implementation is informed by, readable
   * ones only: the root cause's first, then the impact map's and any other
   * research's (comprehension and reproduction are summed up by them).
   */
  documents?: ResearchDocument[];
  /** The impact map's documents among them. */
  impactDocuments?: { path: string; text: string }[];
  /** Documents the chain's specs list in `target_files` that could not be read (RCA ones excepted). */
  missingDocuments?: string[];
}

interface Chosen {
  /** The chain's root-cause research (or the spec named in the command, when it is not research). */
  research: ParsedSpec;
  /** The strongest rule that found the chosen chain. */
  rule: Rule;
  /** The chosen research first, then the research of every competing chain. */
  candidates: ParsedSpec[];
  /** Why this one, in a sentence (when there were several). */
  reason: string;
  issueNumber: number | undefined;
  /** The chosen chain, in order. */
  members?: ChainMember[];
  /** Members not completed (the reason a chain is refused). */
  incomplete?: ParsedSpec[];
}

export type ResearchOutcome = (
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
  | { kind: "invalid"; message: string; notes: string[] }
) & { audience?: Audience };

/** How the outcome's reader names a research spec: a comment's argument or the CLI's flag. */
export function specHint(audience: Audience | undefined, id = "<spec-id>", force = false): string {
  return audience === "cli"
    ? `\`--spec ${id}${force ? " --force" : ""}\``
    : `\`/chant implement ${id}${force ? " --force" : ""}\``;
}

/**
 * Find the research chain for an issue or pull request (ARCHITECTURE.md,
 * "Finding the research chain"): the spec named in the command; else every chain that
 * a rule finds (a spec mentioned in the issue or PR body, research labelled
 * `issue-N`, research a same-repo PR changes, research whose title names the
 * issue, research whose documents are named `issue-N-*.md`), each walked
 * along its `depends_on` / `informed_by` links both ways. Between competing
 * chains: completed first, then the stronger rule, then the newest id.
 * Reads: one listing, the spec files (bounded), then the chain's documents
 * in one batch.
 */
export async function findResearchSpec(
  files: RepoFiles,
  request: ResearchRequest,
): Promise<ResearchOutcome> {
  const notes: string[] = [];
  const listing = (await files.list([...SPEC_DIRS, ...DOCUMENT_DIRS])).filter((f) =>
    /\.md$/i.test(f.path),
  );
  const inDirs = (dirs: readonly string[]) => (f: { path: string }) =>
    dirs.some((d) => f.path.startsWith(`${d}/`));
  const specs = new SpecReader(
    files,
    listing.filter(inDirs(SPEC_DIRS)),
    notes,
    { listed: MAX_SPEC_FILES_LISTED, read: MAX_SPEC_FILES_READ },
    specHint(request.audience),
  );
  const documents = listing.filter(inDirs(DOCUMENT_DIRS)).map((f) => f.path);
  const outcome: ResearchOutcome = await search(files, request, specs, documents, notes);
  const limits = specs.limitNotes();
  if (limits.length > 0) {
    // First, so that a maintainer reads why a spec may have been missed before anything else.
    outcome.notes.unshift(...limits);
    if (outcome.kind === "not_found") outcome.limited = true;
  }
  if (request.audience) outcome.audience = request.audience;
  return outcome;
}

async function search(
  files: RepoFiles,
  request: ResearchRequest,
  specs: SpecReader,
  documents: string[],
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
    if (!isResearchPhase(phaseOf(spec))) {
      notes.push(
        `\`${spec.id}\` does not look like a research spec (no \`prompt: research\`, \`type: research\`, \`research\` or phase label, or phase in its title); using it because it was named explicitly.`,
      );
      const single: Component = {
        members: new Map([[spec.path, { spec, phase: phaseOf(spec) }]]),
        edges: new Map(),
        rules: new Set(["explicit"]),
        later: new Map(),
        skipped: [],
      };
      return choose(files, specs, request, [single], notes, spec);
    }
    const issue = request.issueNumber ?? issueOfSpec(spec);
    // What the spec names is read first (a walk forward), then every spec for the links back.
    await walkChain(specs, buildLinkIndex(specs), [spec], "explicit", issue);
    await specs.readAll();
    const chain = await walkChain(specs, buildLinkIndex(specs), [spec], "explicit", issue);
    return choose(files, specs, request, [chain], notes, spec);
  }

  // Specs a rule names are read first, so the read limit cannot leave them out.
  const mentioned = await specs.read(mentionedSpecPaths(request.texts, specs, notes));
  const pr = request.pullRequest;
  let changed: ParsedSpec[] = [];
  if (pr?.fromFork) {
    notes.push(
      `Pull request #${pr.number} comes from a fork: the specs it changes are not read (specs and config are read from the base repository's default branch).`,
    );
  } else if (pr) {
    changed = await specs.read(pr.changedFiles.filter((p) => specs.has(p)));
  }
  const all = await specs.readAll();
  const index = buildLinkIndex(specs);
  // A cancelled spec is a discarded tangent, never the research to implement.
  const research = (s: ParsedSpec) =>
    isResearchPhase(phaseOf(s)) && s.frontmatter.status !== "cancelled";
  const issue = request.issueNumber;

  const searched: string[] = [];
  const seeds: [Rule, ParsedSpec[]][] = [["mentioned", mentioned.filter(research)]];
  if (issue !== undefined) {
    searched.push(
      `research specs labelled \`issue-${issue}\` in \`${SPECS_DIR}/\` and \`${ARCHIVE_DIR}/\``,
    );
    seeds.push(["label", all.filter((s) => research(s) && issuesOfSpec(s).labels.includes(issue))]);
  }
  if (pr && !pr.fromFork) {
    searched.push(`research specs that pull request #${pr.number} adds or changes`);
    seeds.push(["pull_request", changed.filter(research)]);
  }
  if (issue !== undefined) {
    searched.push(`research specs whose title names issue #${issue}`);
    seeds.push([
      "title",
      all.filter((s) => {
        if (!research(s)) return false;
        const named = issuesOfSpec(s);
        return named.title.includes(issue) && named.labels.every((n) => n === issue);
      }),
    ]);
    searched.push(
      `research documents named \`issue-${issue}-*.md\` in ${DOCUMENT_DIRS.map((d) => `\`${d}/\``).join(" and ")} and the specs that write them`,
    );
    const named = documents.filter((d) => issueOfDocumentName(d) === issue);
    const writers = named.flatMap((d) => (index.writers.get(d) ?? []).filter(research));
    const readers = named.flatMap((d) => (index.readers.get(d) ?? []).filter(research));
    seeds.push(["documents", writers.length > 0 ? writers : readers]);
    if (named.length > 0 && writers.length === 0 && readers.length === 0) {
      notes.push(
        `Found ${named.map(code).join(", ")}, but no spec writes or reads ${named.length > 1 ? "them" : "it"}: add the research spec that wrote ${named.length > 1 ? "them" : "it"} (its \`target_files\` naming ${named.length > 1 ? "them" : "it"}).`,
      );
    }
  }

  const components: Component[] = [];
  for (const [rule, found] of seeds) {
    for (const seed of found) {
      const existing = components.find((c) => c.members.has(seed.path));
      if (existing) {
        existing.rules.add(rule);
        continue;
      }
      components.push(await walkChain(specs, index, [seed], rule, issue ?? issueOfSpec(seed)));
    }
  }
  // A chain of comprehension and reproduction only has no research to implement yet.
  const chains = mergeDisjoint(components, issue).filter((chain) => {
    const members = orderedMembers(chain);
    if (members.some((m) => ANALYSIS_PHASES.includes(m.phase))) return true;
    notes.push(
      `Found ${members.map((m) => `\`${m.spec.id}\` (${m.phase.replace(/_/g, " ")})`).join(", ")}, but no research that analyses the cause yet: add the root-cause research spec (chant's \`research\` prompt) to this chain.`,
    );
    return false;
  });
  if (chains.length === 0) {
    return { kind: "not_found", issueNumber: issue, notes, searched };
  }
  return choose(files, specs, request, chains, notes);
}

/** Phases that analyse the bug: a chain needs one of them to be implemented from. */
const ANALYSIS_PHASES: Phase[] = ["root_cause", "investigation", "research", "impact_map"];

function issueOfSpec(spec: ParsedSpec): number | undefined {
  const { labels, title } = issuesOfSpec(spec);
  return (
    labels[0] ??
    title[0] ??
    specDocuments(spec)
      .map(issueOfDocumentName)
      .find((n) => n !== undefined)
  );
}

/** The root-cause research of a chain (members in order), as far as its specs tell. */
function rootCauseOf(members: ChainMember[]): ChainMember | undefined {
  const last = (phases: Phase[]) => members.filter((m) => phases.includes(m.phase)).at(-1);
  return last(["root_cause"]) ?? last(["investigation"]) ?? last(["research"]);
}

async function choose(
  files: RepoFiles,
  specs: SpecReader,
  request: ResearchRequest,
  chains: Component[],
  notes: string[],
  named?: ParsedSpec,
): Promise<ResearchOutcome> {
  const ranked = rankComponents(chains);
  const best = ranked[0]!;
  const members = orderedMembers(best);
  const representative = (c: Component) => {
    const ordered = orderedMembers(c);
    return (
      rootCauseOf(ordered) ??
      ordered.filter((m) => m.phase !== "reproduction").at(-1) ??
      ordered.at(-1)!
    ).spec;
  };
  const incomplete = incompleteMembers(best);
  const completedChains = ranked.filter((c) => incompleteMembers(c).length === 0);
  const rule = strongestRule(best.rules);
  let research = named && !isResearchPhase(phaseOf(named)) ? named : representative(best);
  const id = () => code(research.id);
  const reason = () => {
    if (ranked.length === 1) return "";
    const next = ranked[1]!;
    const stronger = ruleStrength(rule) < ruleStrength(strongestRule(next.rules));
    if (incomplete.length === 0) {
      if (completedChains.length === 1) return `${id()} is the only completed one`;
      if (stronger && incompleteMembers(next).length === 0)
        return `${id()} was found by a stronger rule (${RULE_WORDS[rule]}) than the other completed ones`;
      return `${id()} is the newest of ${completedChains.length} completed research chains`;
    }
    return stronger
      ? `${id()} was found by the strongest rule (${RULE_WORDS[rule]}); none is completed`
      : `${id()} is the newest (none is completed)`;
  };
  const issueNumber =
    request.issueNumber ??
    issueOfSpec(research) ??
    members.map((m) => issueOfSpec(m.spec)).find((n) => n !== undefined);
  const candidates = () => [research, ...ranked.slice(1).map(representative)];

  if (incomplete.length > 0 && !request.force) {
    return {
      kind: "not_completed",
      notes,
      research,
      rule,
      candidates: candidates(),
      reason: reason(),
      issueNumber,
      members,
      incomplete,
    };
  }
  const assembled = await assemble(
    files,
    members,
    research,
    named !== undefined && research === named,
  );
  research = assembled.research;
  if (incomplete.length > 0) {
    notes.push(
      `Not completed: ${incomplete.map((s) => `${code(s.id)} (\`${s.frontmatter.status}\`)`).join(", ")}; going ahead because of \`--force\`.`,
    );
  }
  notes.push(...assembled.notes, ...chainNotes(best, specs));
  return {
    kind: ranked.length > 1 ? "ambiguous" : "found",
    chain: assembled.chain,
    notes,
    research,
    rule,
    candidates: candidates(),
    reason: reason(),
    issueNumber,
    members,
    ...(incomplete.length > 0 ? { incomplete } : {}),
  };
}

/** What the walk left out or found hanging off the chain, in words. */
function chainNotes(component: Component, specs: SpecReader): string[] {
  const notes: string[] = [];
  for (const { spec, phase } of component.later.values()) {
    if (phase !== "implementation") continue;
    notes.push(
      `${code(spec.id)} (${PHASE_WORDS[phase]}, \`${spec.frontmatter.status}\`) builds on this research already: check that the issue is not fixed by it.`,
    );
  }
  if (component.skipped.length > 0) {
    notes.push(
      `Linked but not part of the chain (cancelled, about another issue, or past ${MAX_CHAIN_SPECS} specs): ${component.skipped
        .slice(0, 10)
        .map((p) => code(specs.get(p)?.id ?? p))
        .join(
          ", ",
        )}${component.skipped.length > 10 ? ` and ${component.skipped.length - 10} more` : ""}.`,
    );
  }
  return notes;
}

const ROOT_CAUSE_HEADING = /\broot[- ]cause\b/i;

/**
 * The chain's documents (one batch read) and what the implementation takes
 * from each phase: the RCA from the root cause, the reproduction test from
 * the reproduction, the impact map's documents, the last research spec.
 */
async function assemble(
  files: RepoFiles,
  members: ChainMember[],
  chosen: ParsedSpec,
  keepChosen: boolean,
): Promise<{ research: ParsedSpec; chain: ResearchChain; notes: string[] }> {
  const notes: string[] = [];
  const owners = new Map<string, ChainMember>();
  // Comprehension documents only matter when no spec says which one is the root cause.
  const skip: Phase[] = rootCauseOf(members) ? ["reproduction", "comprehension"] : ["reproduction"];
  for (const member of members) {
    if (skip.includes(member.phase)) continue;
    for (const doc of specDocuments(member.spec)) {
      if (owners.size >= MAX_CHAIN_DOCUMENTS) break;
      if (!owners.has(doc)) owners.set(doc, member);
    }
  }
  const safe = [...owners.keys()].filter(isSafeRepoPath);
  const reads = safe.length > 0 ? await files.read(safe) : new Map();
  const text = (path: string) => {
    const read = reads.get(path);
    return read?.kind === "text" ? read.text : undefined;
  };
  const docPhase = (path: string, owner: ChainMember): Phase =>
    documentPhaseFromName(path) ?? owner.phase;

  let research = chosen;
  if (!keepChosen && rootCauseOf(members) === undefined) {
    // No spec says it is the root cause: a document that has a Root Cause section does.
    const byHeading = [...owners].find(
      ([path, owner]) =>
        owner.phase !== "impact_map" &&
        sections(text(path) ?? "").some((s) => ROOT_CAUSE_HEADING.test(s.title)),
    );
    if (byHeading) research = byHeading[1].spec;
    if (members.length > 1 || research !== chosen) {
      notes.push(
        `No spec of the chain is marked as the root-cause phase (a \`root-cause\` label, \`root-cause\` in its title or file name); its analysis is taken from ${code(research.id)}${byHeading ? `, whose ${code(byHeading[0])} has a Root Cause section` : ""}.`,
      );
    }
  }

  const rcaDocuments: { path: string; text: string }[] = [];
  const missingRca: string[] = [];
  const documents: ResearchDocument[] = [];
  const impactDocuments: { path: string; text: string }[] = [];
  const missingDocuments: string[] = [];
  for (const [path, owner] of owners) {
    const phase = docPhase(path, owner);
    const content = isSafeRepoPath(path) ? text(path) : undefined;
    const ofResearch =
      owner.spec === research && phase !== "impact_map" && phase !== "comprehension";
    if (content === undefined) {
      (ofResearch ? missingRca : missingDocuments).push(path);
      continue;
    }
    if (ofResearch) rcaDocuments.push({ path, text: content });
    if (phase === "impact_map") impactDocuments.push({ path, text: content });
  }
  // The root cause first, then the impact map, then any other research (not comprehension).
  for (const doc of rcaDocuments) documents.push({ ...doc, phase: "root_cause" });
  for (const doc of impactDocuments) documents.push({ ...doc, phase: "impact_map" });
  for (const [path, owner] of owners) {
    const phase = docPhase(path, owner);
    const content = text(path);
    if (content === undefined || documents.some((d) => d.path === path)) continue;
    if (phase === "comprehension" || phase === "reproduction") continue;
    documents.push({ path, text: content, phase });
  }

  const reproductionSpecs = members.filter((m) => m.phase === "reproduction").map((m) => m.spec);
  // A single-spec investigation writes its failing test itself.
  const investigations = members.filter((m) => m.phase === "investigation").map((m) => m.spec);
  const named = [
    ...(research.frontmatter.informed_by ?? []),
    ...[...reproductionSpecs, ...investigations].flatMap((s) => s.frontmatter.target_files ?? []),
  ].map(normalizeRepoPath);
  const tests = named.filter((p) => !/[*?[\]{}]/.test(p) && isSafeRepoPath(p) && isTestPath(p));
  // Said, not silently dropped: the maintainer wonders why the test did not run.
  const rejectedTests = named.filter((p) => isTestPath(p) && !tests.includes(p));
  const ordered = members.length > 0 ? members : [{ spec: research, phase: phaseOf(research) }];
  return {
    research,
    notes,
    chain: {
      rcaDocuments,
      missingRca,
      reproductionSpecs,
      reproductionTests: [...new Set(tests)],
      rejectedTests: [...new Set(rejectedTests)],
      members: ordered,
      lastResearch: ordered.at(-1)!.spec,
      documents,
      impactDocuments,
      missingDocuments,
    },
  };
}

/** The chain (RCA documents, reproduction specs and tests, ...) of a research spec already in hand. */
export async function researchChainFor(
  files: RepoFiles,
  research: ParsedSpec,
): Promise<ResearchChain> {
  const listing = (await files.list(SPEC_DIRS)).filter((f) => /\.md$/i.test(f.path));
  const specs = new SpecReader(files, listing, [], {
    listed: MAX_SPEC_FILES_LISTED,
    read: MAX_SPEC_FILES_READ,
  });
  await specs.readAll();
  const walked = await walkChain(
    specs,
    buildLinkIndex(specs),
    [specs.get(research.path) ?? research],
    "explicit",
    issueOfSpec(research),
  );
  const members = orderedMembers(walked);
  const root = rootCauseOf(members)?.spec ?? research;
  return (await assemble(files, members, root, true)).chain;
}

export function isResearch(spec: ParsedSpec): boolean {
  const fm = spec.frontmatter;
  return (
    fm.type === "research" ||
    (fm.prompt ?? "").startsWith("research") ||
    (fm.labels ?? []).includes("research") ||
    isResearchPhase(phaseOf(spec))
  );
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

/** A spec id or path from the repository (any file name), in a code span on one line. */
function code(text: string): string {
  return `\`${oneLine(text, 120).replace(/`/g, "'")}\``;
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
