import type { RepoFiles } from "../../domain/repo-files.js";
import { acceptanceCriteria } from "../../chant-format/acceptance-criteria.js";
import { parseSpec, type ParsedSpec } from "../../chant-format/parse-spec.js";
import { isSafeRepoPath, isTestPath, normalizeRepoPath } from "../../util/repo-path.js";
import { isResearch, researchChainFor } from "./find-research-spec.js";

/**
 * Specs of `informed_by` followed (each is a read and, for research, a listing
 * and its chain): an implementation spec is informed by a few; a spec from a
 * pull request's head may list thousands.
 */
export const MAX_LINKED_SPECS = 20;

/**
 * The reproduction tests of an implementation spec (ARCHITECTURE.md, "Finding the research chain"): those of the
 * research it is informed by (test files among the research's informed_by and
 * the reproduction spec's target_files), else backticked test paths in an
 * acceptance criterion that mentions reproduction.
 */
export async function findReproductionTests(files: RepoFiles, spec: ParsedSpec): Promise<string[]> {
  const tests = new Set<string>();
  const informedBy = (spec.frontmatter.informed_by ?? [])
    .map(normalizeRepoPath)
    .filter(isSafeRepoPath);
  const reads = await files.read(
    informedBy
      .filter((p) => /^\.chant\/(specs|archive)\/.+\.md$/.test(p))
      .slice(0, MAX_LINKED_SPECS),
  );
  for (const read of reads.values()) {
    if (read.kind !== "text") continue;
    let linked: ParsedSpec;
    try {
      linked = parseSpec(read.path, read.text);
    } catch {
      continue;
    }
    if (!isResearch(linked)) continue;
    // One walk finds the whole chain (every research spec of it links to the others).
    for (const test of (await researchChainFor(files, linked)).reproductionTests) tests.add(test);
    if (tests.size > 0) break;
  }
  for (const path of informedBy) if (isTestPath(path)) tests.add(path);
  if (tests.size === 0) {
    for (const criterion of acceptanceCriteria(spec.body)) {
      if (!/reproduc/i.test(criterion.text)) continue;
      for (const match of criterion.text.matchAll(/`([^`]+)`/g)) {
        const path = normalizeRepoPath(match[1]!);
        if (isSafeRepoPath(path) && isTestPath(path)) tests.add(path);
      }
    }
  }
  return [...tests];
}
