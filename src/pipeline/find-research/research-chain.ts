import type { ParsedSpec } from "../../chant-format/parse-spec.js";
import { compareSpecIds } from "../../chant-format/spec-id.js";
import { isSafeRepoPath, normalizeRepoPath } from "../../util/repo-path.js";
import {
  isResearchPhase,
  issueOfDocumentName,
  issuesOfSpec,
  PHASE_ORDER,
  phaseSlot,
  specDocuments,
  specPhase,
  type Phase,
} from "./phases.js";
import { strongestRule, ruleStrength, type Rule } from "./rules.js";
import type { SpecReader } from "./spec-reader.js";

/** Specs one chain may hold: a chain is a handful of phases, not a graph of the repository. */
export const MAX_CHAIN_SPECS = 24;
/** `depends_on` and `informed_by` entries followed per spec (a hostile spec may list thousands). */
export const MAX_LINKS_PER_SPEC = 50;

export interface ChainMember {
  spec: ParsedSpec;
  phase: Phase;
}

/** Research specs linked to each other, found from one or more seeds. */
export interface Component {
  members: Map<string, ChainMember>;
  /** `before -> after` edges: `after` depends on or reads what `before` wrote. */
  edges: Map<string, Set<string>>;
  /** How its seeds were found. */
  rules: Set<Rule>;
  /** Implementation (and other non-research) specs linked to the chain: not part of it, said. */
  later: Map<string, ChainMember>;
  /** Linked specs left out: another issue's, cancelled, or past MAX_CHAIN_SPECS. */
  skipped: string[];
}

/** What links specs, built once over every spec read. */
export interface LinkIndex {
  /** Document -> specs that write it (`target_files`). */
  writers: Map<string, ParsedSpec[]>;
  /** Document -> specs that read it (`informed_by`). */
  readers: Map<string, ParsedSpec[]>;
  /** Spec path -> specs whose `depends_on` / `informed_by` name it. */
  dependents: Map<string, ParsedSpec[]>;
}

const phaseCache = new WeakMap<ParsedSpec, Phase>();
export function phaseOf(spec: ParsedSpec): Phase {
  let phase = phaseCache.get(spec);
  if (phase === undefined) {
    phase = specPhase(spec);
    phaseCache.set(spec, phase);
  }
  return phase;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) {
    if (!list.includes(value)) list.push(value);
  } else map.set(key, [value]);
}

/** A spec's `depends_on` and `informed_by` entries, bounded. */
function linksOf(spec: ParsedSpec): string[] {
  return [...(spec.frontmatter.depends_on ?? []), ...(spec.frontmatter.informed_by ?? [])]
    .slice(0, MAX_LINKS_PER_SPEC)
    .map(normalizeRepoPath);
}

function isSpecRef(ref: string): boolean {
  return /^\.chant\/(specs|archive)\/.+\.md$/i.test(ref) || !ref.includes("/");
}

export function buildLinkIndex(reader: SpecReader): LinkIndex {
  const index: LinkIndex = { writers: new Map(), readers: new Map(), dependents: new Map() };
  for (const spec of reader.all()) {
    for (const doc of specDocuments(spec).slice(0, MAX_LINKS_PER_SPEC))
      push(index.writers, doc, spec);
    for (const ref of linksOf(spec)) {
      if (isSpecRef(ref)) {
        const path = reader.resolve(ref);
        if (path !== undefined && path !== spec.path) push(index.dependents, path, spec);
      }
      if (ref.includes("/") && isSafeRepoPath(ref)) push(index.readers, ref, spec);
    }
  }
  return index;
}

/** Whether a spec says it is about another issue than `issue` (and not about `issue`). */
function aboutAnotherIssue(spec: ParsedSpec, issue: number | undefined): boolean {
  if (issue === undefined) return false;
  const { labels, title } = issuesOfSpec(spec);
  const named = [...labels, ...title];
  return named.length > 0 && !named.includes(issue);
}

/** Whether a chain member ties the chain to `issue` by a label, its title or a document name. */
export function namesIssue(spec: ParsedSpec, issue: number): boolean {
  const { labels, title } = issuesOfSpec(spec);
  return (
    labels.includes(issue) ||
    title.includes(issue) ||
    specDocuments(spec).some((d) => issueOfDocumentName(d) === issue)
  );
}

/**
 * Walk the chain from its seeds both ways: what each spec `depends_on` or is
 * `informed_by` (specs, and the specs that wrote the documents it reads), and
 * the specs that depend on it or read what it wrote. Bounded: visited specs
 * are never walked again (cycles), at most MAX_LINKS_PER_SPEC links per spec
 * and MAX_CHAIN_SPECS members; specs named by a link but not read yet are
 * read in one batch per step, within the reader's limit.
 */
export async function walkChain(
  reader: SpecReader,
  index: LinkIndex,
  seeds: ParsedSpec[],
  rule: Rule,
  issue: number | undefined,
): Promise<Component> {
  const component: Component = {
    members: new Map(),
    edges: new Map(),
    rules: new Set([rule]),
    later: new Map(),
    skipped: [],
  };
  const edge = (before: string, after: string) => {
    if (before === after) return;
    const set = component.edges.get(before) ?? new Set<string>();
    set.add(after);
    component.edges.set(before, set);
  };
  /** Whether `spec` may join; implementation specs are noted as `later`. */
  const admit = (spec: ParsedSpec, seed: boolean): boolean => {
    if (component.members.has(spec.path)) return false;
    const phase = phaseOf(spec);
    if (!seed) {
      if (!isResearchPhase(phase)) {
        component.later.set(spec.path, { spec, phase });
        return false;
      }
      if (spec.frontmatter.status === "cancelled" || aboutAnotherIssue(spec, issue)) {
        if (!component.skipped.includes(spec.path)) component.skipped.push(spec.path);
        return false;
      }
    }
    if (component.members.size >= MAX_CHAIN_SPECS) {
      if (!component.skipped.includes(spec.path)) component.skipped.push(spec.path);
      return false;
    }
    component.members.set(spec.path, { spec, phase });
    return true;
  };

  let frontier = seeds.filter((s) => admit(s, true));
  while (frontier.length > 0) {
    // Specs the frontier names that are not read yet: one batch.
    const named = new Map<ParsedSpec, string[]>();
    const unread: string[] = [];
    for (const spec of frontier) {
      const paths: string[] = [];
      for (const ref of linksOf(spec)) {
        if (!isSpecRef(ref)) continue;
        const path = reader.resolveAnywhere(ref);
        if (path === undefined || path === spec.path) continue;
        paths.push(path);
        if (!reader.wasRead(path)) unread.push(path);
      }
      named.set(spec, paths);
    }
    if (unread.length > 0) await reader.read(unread);

    const next: ParsedSpec[] = [];
    const visit = (other: ParsedSpec | undefined, before: string, after: string) => {
      if (!other) return;
      if (admit(other, false)) next.push(other);
      if (component.members.has(other.path)) edge(before, after);
    };
    for (const spec of frontier) {
      // What it depends on, and the specs that wrote the documents it reads.
      for (const path of named.get(spec) ?? []) visit(reader.get(path), path, spec.path);
      for (const ref of linksOf(spec)) {
        for (const writer of index.writers.get(ref) ?? [])
          if (writer !== spec) visit(writer, writer.path, spec.path);
      }
      // What depends on it, and the specs that read what it wrote.
      for (const dependent of index.dependents.get(spec.path) ?? [])
        visit(dependent, spec.path, dependent.path);
      for (const doc of specDocuments(spec)) {
        for (const later of index.readers.get(doc) ?? [])
          if (later !== spec) visit(later, spec.path, later.path);
      }
    }
    frontier = next;
  }
  return component;
}

/** Every member completed (cancelled ones never join). */
export function incompleteMembers(component: Component): ParsedSpec[] {
  return orderedMembers(component)
    .map((m) => m.spec)
    .filter((s) => s.frontmatter.status !== "completed");
}

export function newestId(component: Component): string {
  return [...component.members.values()]
    .map((m) => m.spec.id)
    .sort(compareSpecIds)
    .at(-1)!;
}

/**
 * The members in chain order: a spec after what it depends on or reads
 * (topological over the links), unlinked ones by phase (comprehension,
 * reproduction, root cause, impact map), then by id. Cycles are broken in
 * that same order.
 */
export function orderedMembers(component: Component): ChainMember[] {
  const members = [...component.members.values()];
  const byPriority = (a: ChainMember, b: ChainMember) =>
    PHASE_ORDER[a.phase] - PHASE_ORDER[b.phase] || compareSpecIds(a.spec.id, b.spec.id);
  const incoming = new Map(members.map((m) => [m.spec.path, 0]));
  for (const [before, afters] of component.edges) {
    if (!incoming.has(before)) continue;
    for (const after of afters)
      if (incoming.has(after)) incoming.set(after, incoming.get(after)! + 1);
  }
  const done = new Set<string>();
  const out: ChainMember[] = [];
  while (out.length < members.length) {
    const ready = members.filter((m) => !done.has(m.spec.path) && incoming.get(m.spec.path) === 0);
    // A cycle: take the first by priority as if it were free.
    const pick = (ready.length > 0 ? ready : members.filter((m) => !done.has(m.spec.path))).sort(
      byPriority,
    )[0]!;
    done.add(pick.spec.path);
    out.push(pick);
    for (const after of component.edges.get(pick.spec.path) ?? []) {
      if (incoming.has(after)) incoming.set(after, incoming.get(after)! - 1);
    }
  }
  return out;
}

/**
 * One research chain may be written as separate specs with no link between
 * them, each labelled `issue-N`: components of the same issue whose phases
 * do not overlap are one chain. Components that both hold a root-cause
 * analysis (or both an impact map ...) compete instead.
 */
export function mergeDisjoint(components: Component[], issue: number | undefined): Component[] {
  if (issue === undefined) return components;
  const merged: Component[] = [];
  const slots = (c: Component) => new Set([...c.members.values()].map((m) => phaseSlot(m.phase)));
  const tied = (c: Component) => [...c.members.values()].some((m) => namesIssue(m.spec, issue));
  for (const component of components) {
    const into = tied(component)
      ? merged.find((m) => {
          if (!tied(m)) return false;
          const taken = slots(m);
          return [...slots(component)].every((s) => !taken.has(s));
        })
      : undefined;
    if (!into) {
      merged.push(component);
      continue;
    }
    for (const [path, member] of component.members) {
      if (into.members.size >= MAX_CHAIN_SPECS) into.skipped.push(path);
      else into.members.set(path, member);
    }
    for (const [before, afters] of component.edges) {
      const set = into.edges.get(before) ?? new Set<string>();
      for (const after of afters) set.add(after);
      into.edges.set(before, set);
    }
    for (const rule of component.rules) into.rules.add(rule);
    for (const [path, member] of component.later) into.later.set(path, member);
    into.skipped.push(...component.skipped.filter((p) => !into.skipped.includes(p)));
  }
  return merged;
}

/** Competing chains, best first: completed, then the stronger rule, then the newest id. */
export function rankComponents(components: Component[]): Component[] {
  return [...components].sort(
    (a, b) =>
      Number(incompleteMembers(a).length > 0) - Number(incompleteMembers(b).length > 0) ||
      ruleStrength(strongestRule(a.rules)) - ruleStrength(strongestRule(b.rules)) ||
      compareSpecIds(newestId(b), newestId(a)),
  );
}
