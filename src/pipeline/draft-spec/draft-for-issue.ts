import { posix } from "node:path";
import { bundledPrompt } from "../../agents/render-prompt.js";
import type { RepoFiles } from "../../domain/repo-files.js";
import { nextSpecId } from "../../chant-format/spec-id.js";
import { isSafeRepoPath, normalizeRepoPath } from "../../util/repo-path.js";
import { SPEC_DIRS, type ResearchOutcome } from "../find-research/find-research-spec.js";
import {
  draftImplementationSpec,
  type CompanionFile,
  type DraftedSpec,
} from "./draft-implementation-spec.js";
import { type DraftStatus } from "../../domain/repo-config.js";

export type FoundResearch = Extract<ResearchOutcome, { kind: "found" | "ambiguous" }>;

export interface DraftOptions {
  /** Keep this id (a job run again keeps its spec and branch); else the next free one. */
  id?: string | undefined;
  issueNumber: number;
  issueTitle?: string | undefined;
  status: DraftStatus;
  now?: Date;
}

/** Where chant looks for the prompt a spec's `prompt: implement` names. */
export const IMPLEMENT_PROMPT_PATH = ".chant/prompts/implement.md";
/** Paths named by the research checked against the repository's tree, at most. */
const MAX_PATHS_CHECKED = 200;
/** Top-level files among them looked up (a read each, in one batch), at most. */
const MAX_TOP_LEVEL_CHECKED = 20;

/**
 * Draft the implementation spec for found research, with the next free spec
 * id of the repository; the paths the research names are checked against
 * the repository's tree, and when the repository has no
 * `.chant/prompts/implement.md` the draft brings chant-bot's (chant runs a
 * spec only with its prompt file: `chant work` says "Prompt not found").
 */
export async function draftForIssue(
  files: RepoFiles,
  found: FoundResearch,
  options: DraftOptions,
): Promise<DraftedSpec> {
  const id =
    options.id ??
    nextSpecId(
      (await files.list(SPEC_DIRS)).map((f) => f.path),
      options.now,
    );
  const existing = await existingPaths(files, found);
  const companionFiles: CompanionFile[] = [];
  if (
    (await files.list([posix.dirname(IMPLEMENT_PROMPT_PATH)])).every(
      (f) => f.path !== IMPLEMENT_PROMPT_PATH,
    )
  ) {
    companionFiles.push({
      path: IMPLEMENT_PROMPT_PATH,
      content: await bundledPrompt("implement"),
      reason: `The repository has no \`${IMPLEMENT_PROMPT_PATH}\`, which \`chant work\` needs for \`prompt: implement\`: chant-bot's implement prompt is added with the spec.`,
    });
  }
  return draftImplementationSpec({
    id,
    issueNumber: options.issueNumber,
    issueTitle: options.issueTitle,
    research: found.research,
    chain: found.chain,
    status: options.status,
    exists: (path) => existing.has(path),
    companionFiles,
  });
}

/**
 * Which of the paths the chain's documents name are files of the
 * repository: their directories are listed (a GitHub forge answers from the
 * tree listing it made already); a file at the top level is looked up by a
 * read (one batch), since a listing starts at a directory.
 */
async function existingPaths(files: RepoFiles, found: FoundResearch): Promise<Set<string>> {
  const texts = [
    ...found.chain.rcaDocuments.map((d) => d.text),
    ...(found.chain.documents ?? []).map((d) => d.text),
    found.research.body,
  ];
  const named = new Set<string>();
  for (const text of texts) {
    for (const match of text.matchAll(/[\p{L}\p{N}._@+/=~-]+\.[A-Za-z][A-Za-z0-9]{0,7}\b/gu)) {
      if (named.size >= MAX_PATHS_CHECKED) break;
      const path = normalizeRepoPath(match[0]);
      if (isSafeRepoPath(path)) named.add(path);
    }
  }
  const dirs = [...new Set([...named].map((p) => posix.dirname(p)).filter((d) => d !== "."))];
  const listed = dirs.length > 0 ? await files.list(dirs) : [];
  const existing = new Set(listed.map((f) => f.path));
  // Only names that read like files (`Cargo.toml`, `README.md`), not `Store.set`: each one that
  // exists costs a read.
  const topLevel = [...named]
    .filter(
      (p) =>
        !p.includes("/") &&
        /^[\w.-]+\.(md|json|toml|ya?ml|txt|lock|cfg|ini|py|js|mjs|cjs|ts|rs|go|rb|java|kt|c|h|cc|cpp|cs|php|sh)$/i.test(
          p,
        ),
    )
    .slice(0, MAX_TOP_LEVEL_CHECKED);
  if (topLevel.length > 0) {
    for (const [path, read] of await files.read(topLevel)) {
      if (read.kind !== "missing") existing.add(path);
    }
  }
  return existing;
}
