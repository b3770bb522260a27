import type { AgentResult } from "../../agents/agent.js";
import { plural } from "../../util/plural.js";
import type { AcceptanceCriterion } from "../../chant-format/acceptance-criteria.js";
import {
  demoteHeadings,
  balanceFences,
  sections,
  sectionText,
} from "../../chant-format/markdown.js";
import type { ParsedSpec } from "../../chant-format/parse-spec.js";
import { formatDuration } from "../../domain/status.js";

/** GitHub refuses pull request bodies over 65,536 characters. */
const MAX_BODY = 60_000;

export interface FixBodyInput {
  issueNumber: number;
  spec: ParsedSpec;
  research: ParsedSpec;
  rcaPaths: string[];
  /** Link base for files on the branch (`https://github.com/o/r/blob/chant/ID/`), when there is one. */
  blobUrl: string | undefined;
  agent: AgentResult | undefined;
  unticked: AcceptanceCriterion[];
  releaseNotesFilled: boolean;
  implementationNotes: string | undefined;
  reproductionTests: string[];
  changedFiles: string[];
}

function link(path: string, blobUrl: string | undefined): string {
  return blobUrl ? `[\`${path}\`](${blobUrl}${path})` : `\`${path}\``;
}

/** Text from the spec, under a `## ` heading of the description. */
function quoted(markdown: string): string {
  return balanceFences(demoteHeadings(markdown.trim(), 3));
}

/** The fix pull request's description: what it fixes, from which research, and what to check. */
export function fixPullRequestBody(input: FixBodyInput): string {
  const notes = sections(input.spec.body).find(
    (s) => s.level === 2 && /^release notes$/i.test(s.title.trim()),
  );
  const lines = [
    `Fixes #${input.issueNumber}`,
    "",
    `Implements ${link(input.spec.path, input.blobUrl)}, informed by the research spec ${link(input.research.path, input.blobUrl)}${input.rcaPaths.length ? ` and ${input.rcaPaths.map((p) => link(p, input.blobUrl)).join(", ")}` : ""}.`,
  ];
  if (input.reproductionTests.length > 0) {
    lines.push(
      "",
      `Reproduction test: ${input.reproductionTests.map((t) => `\`${t}\``).join(", ")} (see the \`chant/reproduction\` check).`,
    );
  }
  lines.push("", "## Release notes", "");
  lines.push(
    input.releaseNotesFilled && notes
      ? quoted(sectionText(notes))
      : "⚠️ The agent did not fill in the spec's Release Notes section; please add them before merging.",
  );
  if (input.unticked.length > 0) {
    lines.push(
      "",
      "## ⚠️ Acceptance criteria not ticked",
      "",
      "The agent did not tick these, so the spec is `needs_attention`, not `completed`:",
      "",
      ...input.unticked.map((c) => `- [ ] ${c.text}`),
    );
  }
  if (input.implementationNotes) {
    lines.push("", "## Implementation notes", "", quoted(input.implementationNotes));
  }
  lines.push(
    "",
    "## Changed files",
    "",
    ...input.changedFiles.slice(0, 100).map((p) => `- \`${p}\``),
  );
  if (input.changedFiles.length > 100) lines.push(`- …and ${input.changedFiles.length - 100} more`);
  const agent = input.agent;
  if (agent) {
    const stats = [
      agent.model ? `model \`${agent.model}\`` : undefined,
      `${formatDuration(agent.durationMs)}`,
      agent.turns === undefined ? undefined : plural(agent.turns, "turn"),
      agent.costUsd === undefined ? undefined : `$${agent.costUsd.toFixed(2)}`,
    ].filter(Boolean);
    lines.push("", `<sub>Opened by chant-bot · ${stats.join(" · ")}</sub>`);
  }
  return cut(lines.join("\n"));
}

export function reResearchPullRequestBody(input: {
  issueNumber: number;
  implSpecPath: string;
  research: ParsedSpec;
  oldResearch: ParsedSpec;
  notes: string;
  blobUrl: string | undefined;
}): string {
  return cut(
    [
      `Refs #${input.issueNumber}`,
      "",
      `The implementation of ${link(input.implSpecPath, input.blobUrl)} found that the approach recommended by ${link(input.oldResearch.path, input.blobUrl)} does not work, so no fix was pushed. This pull request holds:`,
      "",
      `- the implementation spec with its notes, marked \`needs_attention\`;`,
      `- a drafted follow-up research spec, ${link(input.research.path, input.blobUrl)}, informed by the old research and the notes.`,
      "",
      "## Implementation notes",
      "",
      quoted(input.notes),
      "",
      "Run the follow-up research, then label the issue again.",
    ].join("\n"),
  );
}

function cut(body: string): string {
  return body.length > MAX_BODY
    ? `${body.slice(0, MAX_BODY)}\n\n…(cut: the description was too long)`
    : body;
}
