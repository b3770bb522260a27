import type { AgentResult } from "../../agents/agent.js";
import type { RepoConfig } from "../../domain/repo-config.js";
import {
  uncheckedCriteria,
  type AcceptanceCriterion,
} from "../../chant-format/acceptance-criteria.js";
import { sections, sectionText } from "../../chant-format/markdown.js";
import { parseSpec, type ParsedSpec } from "../../chant-format/parse-spec.js";
import { isSpecError } from "../../chant-format/spec-error.js";
import { releaseNotesFilled } from "../draft-spec/draft-implementation-spec.js";
import { PipelineStop } from "../pipeline-stop.js";
import { readRegularFile } from "../workspace/index-files.js";
import type { Workspace } from "../workspace/prepare-workspace.js";

export interface VerifiedResult {
  /** Files the agent changed (committed or not), the spec left out. */
  changedFiles: string[];
  /** The spec as the agent left it. */
  spec: ParsedSpec;
  unticked: AcceptanceCriterion[];
  releaseNotesFilled: boolean;
  /** The spec's `## Implementation Notes`, if the agent wrote some. */
  implementationNotes: string | undefined;
  /** The research's approach does not work: send the issue back to research instead of publishing. */
  needsResearch: boolean;
}

/**
 * Step 5: did the agent do the work? Something changed besides the spec; no
 * workflow file changed unless allowed; the spec still parses; which criteria
 * are ticked; whether the release notes are filled. An agent that wrote
 * Implementation Notes and changed no code (or exited "needs research") is
 * saying the research was wrong.
 */
export async function verifyResult(
  workspace: Workspace,
  agent: AgentResult,
  config: RepoConfig,
): Promise<VerifiedResult> {
  // The agent's changes are in the index (takeAgentChanges): read them from there, never from
  // the working tree, where a path may be a link the agent made.
  const changedFiles = (
    await workspace.git([
      "diff",
      "--cached",
      "--name-only",
      "-z",
      "--no-renames",
      workspace.draftCommit,
    ])
  )
    .split("\0")
    .filter((p) => p !== "" && p !== workspace.specPath)
    .sort();

  const text = await readRegularFile(workspace.git, "", workspace.specPath);
  if (text === undefined) {
    throw new PipelineStop("spec_unreadable", "the agent deleted the spec", [
      `\`${workspace.specPath}\` is gone (or is no longer a regular file).`,
    ]);
  }
  let spec: ParsedSpec;
  try {
    spec = parseSpec(workspace.specPath, text);
  } catch (error) {
    if (!isSpecError(error)) throw error;
    throw new PipelineStop("spec_unreadable", "the agent left the spec unreadable", [
      `\`${error.message}\``,
    ]);
  }
  const read = readSpecResult(spec);
  const { implementationNotes } = read;
  const needsResearch =
    agent.outcome === "needs_research" ||
    (implementationNotes !== undefined && changedFiles.length === 0);

  if (!needsResearch && changedFiles.length === 0) {
    throw new PipelineStop(
      "nothing_changed",
      "the agent finished without changing any file besides the spec",
      [agent.summary ? `Its last words: ${agent.summary.slice(0, 1500)}` : ""],
    );
  }
  const workflows = changedFiles.filter((p) => p.startsWith(".github/workflows/"));
  if (workflows.length > 0 && !config.pr.allow_workflow_changes && !needsResearch) {
    throw new PipelineStop(
      "workflow_changes_refused",
      "the agent changed GitHub Actions workflows, so nothing was pushed",
      [
        `Changed: ${workflows.map((p) => `\`${p}\``).join(", ")}.`,
        "A fix pushed by a bot must not change what CI runs with the repository's secrets. Set `pr.allow_workflow_changes: true` in `.github/chant.yml` to allow it.",
      ],
    );
  }
  return { changedFiles, spec, ...read, needsResearch };
}

/** What the agent left in the spec: unticked criteria, release notes, implementation notes. */
export function readSpecResult(
  spec: ParsedSpec,
): Pick<VerifiedResult, "unticked" | "releaseNotesFilled" | "implementationNotes"> {
  const all = sections(spec.body);
  const section = (title: RegExp) => all.find((s) => s.level === 2 && title.test(s.title.trim()));
  const notes = section(/^implementation notes$/i);
  const release = section(/^release notes$/i);
  return {
    unticked: uncheckedCriteria(spec.body),
    releaseNotesFilled: release ? releaseNotesFilled(sectionText(release)) : false,
    implementationNotes: notes ? sectionText(notes) || undefined : undefined,
  };
}
