import type { SpecFrontmatter } from "./frontmatter.js";
import type { SpecDocument } from "./serialize-spec.js";

/**
 * chant's approval gate, as `chant approve` / `chant reject` write it
 * (src/cmd/spec/approve.rs): the frontmatter's `approval` becomes
 * `{required, status, by, at}` (`at` is `%Y-%m-%dT%H:%M:%SZ` in UTC) and a
 * line is appended to the body's `## Approval Discussion` section:
 * `**<by>** - <%Y-%m-%d %H:%M> - APPROVED`, or `- REJECTED` with the reason on
 * the next line. chant takes the discussion's time from the local clock; here
 * it is UTC (what a server's clock says, and what readers in several time
 * zones can compare).
 */

export const APPROVAL_DISCUSSION_HEADER = "## Approval Discussion";

export type ApprovalState = "pending" | "approved" | "rejected";
export type Approval = NonNullable<SpecFrontmatter["approval"]>;

export interface DiscussionEntry {
  by: string;
  /** As written: `YYYY-MM-DD HH:MM`. */
  at: string;
  decision: "APPROVED" | "REJECTED";
  /** The rejection's reason (the lines after the entry's first line). */
  reason: string | undefined;
}

/** `2026-01-28T14:30:45Z`: chant's `approval.at`. */
export function approvalTimestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** `2026-01-28 14:30`: the time of a discussion line. */
export function discussionTimestamp(now: Date): string {
  return now.toISOString().slice(0, 16).replace("T", " ");
}

/** Whether chant's `chant work` would refuse this spec until someone approves it. */
export function awaitsApproval(frontmatter: Pick<SpecFrontmatter, "approval">): boolean {
  const approval = frontmatter.approval;
  return approval !== undefined && approval.required && approval.status !== "approved";
}

/** The frontmatter of a spec that waits for approval (chant's `chant add --needs-approval`). */
export function pendingApproval(): Approval {
  return { required: true, status: "pending" };
}

/**
 * `chant approve`: status approved, `by`, `at`, and the discussion line. A
 * spec already approved is returned as it is (chant says "already approved"
 * and changes nothing); `required` is kept (false when the spec had no
 * `approval`, as chant's default has it).
 */
export function recordApproval<T extends SpecDocument>(
  spec: T,
  by: string,
  now: Date,
): { spec: T; changed: boolean } {
  if (spec.frontmatter.approval?.status === "approved") return { spec, changed: false };
  return {
    spec: withDecision(
      spec,
      by,
      now,
      "approved",
      `**${by}** - ${discussionTimestamp(now)} - APPROVED`,
    ),
    changed: true,
  };
}

/** `chant reject`: status rejected, `by`, `at`, and the discussion line with the reason under it. */
export function recordRejection<T extends SpecDocument>(
  spec: T,
  by: string,
  reason: string,
  now: Date,
): T {
  return withDecision(
    spec,
    by,
    now,
    "rejected",
    `**${by}** - ${discussionTimestamp(now)} - REJECTED\n${reason}`,
  );
}

function withDecision<T extends SpecDocument>(
  spec: T,
  by: string,
  now: Date,
  status: ApprovalState,
  line: string,
): T {
  const approval: Approval = {
    required: spec.frontmatter.approval?.required ?? false,
    status,
    by,
    at: approvalTimestamp(now),
  };
  return {
    ...spec,
    frontmatter: { ...spec.frontmatter, approval },
    body: appendToApprovalDiscussion(spec.body, line),
  };
}

/**
 * chant's `append_to_approval_discussion`, byte for byte: the message goes at
 * the end of the section (before the next `## ` heading, after the section's
 * text with trailing whitespace trimmed and one empty line), or a new section
 * at the end of the body. chant reads a file trimmed and writes the body back
 * without a final newline; a body that ended with a newline keeps one here
 * (the same file to chant, and to git no "no newline at end of file").
 */
export function appendToApprovalDiscussion(body: string, message: string): string {
  const finalNewline = /\n$/.test(body) ? "\n" : "";
  const header = APPROVAL_DISCUSSION_HEADER;
  const pos = body.indexOf(header);
  if (pos === -1) {
    return `${body.trimEnd()}\n\n${header}\n\n${message}${finalNewline}`;
  }
  const insertPos = pos + header.length;
  const rest = body.slice(insertPos);
  const next = rest.indexOf("\n## ");
  const insertAt = insertPos + (next === -1 ? rest.length : next);
  const after = body.slice(insertAt);
  return `${body.slice(0, insertAt).trimEnd()}\n\n${message}${after === "" ? finalNewline : after}`;
}

const ENTRY = /^\*\*(.+?)\*\* - (\d{4}-\d\d-\d\d \d\d:\d\d) - (APPROVED|REJECTED)\s*$/;

/** The decisions of the `## Approval Discussion` section, oldest first. */
export function approvalDiscussion(body: string): DiscussionEntry[] {
  const pos = body.indexOf(APPROVAL_DISCUSSION_HEADER);
  if (pos === -1) return [];
  const rest = body.slice(pos + APPROVAL_DISCUSSION_HEADER.length);
  const next = rest.indexOf("\n## ");
  const section = next === -1 ? rest : rest.slice(0, next);
  const entries: DiscussionEntry[] = [];
  let current: DiscussionEntry | undefined;
  const reasonLines: string[] = [];
  const close = () => {
    if (!current) return;
    const reason = reasonLines.join("\n").trim();
    entries.push({ ...current, reason: reason === "" ? undefined : reason });
    reasonLines.length = 0;
  };
  for (const line of section.split("\n")) {
    const match = ENTRY.exec(line);
    if (match) {
      close();
      current = {
        by: match[1]!,
        at: match[2]!,
        decision: match[3] as "APPROVED" | "REJECTED",
        reason: undefined,
      };
    } else if (current) {
      reasonLines.push(line);
    }
  }
  close();
  return entries;
}

/** The `## Approval Discussion` section as written: its header up to the next `## ` heading (or the end). */
export function approvalDiscussionSection(body: string): string | undefined {
  const pos = body.indexOf(APPROVAL_DISCUSSION_HEADER);
  if (pos === -1) return undefined;
  const next = body.indexOf("\n## ", pos + APPROVAL_DISCUSSION_HEADER.length);
  return body.slice(pos, next === -1 ? body.length : next).trimEnd();
}

/**
 * The approval record of `approved` (its `approval` field and its discussion
 * section) carried onto `finished`, whatever the agent did to them: the
 * record of who approved what is the worker's, not the agent's to rewrite.
 */
export function keepApprovalRecord<T extends SpecDocument>(approved: SpecDocument, finished: T): T {
  const approval = approved.frontmatter.approval;
  if (!approval) return finished;
  const section = approvalDiscussionSection(approved.body);
  let body = finished.body;
  if (section !== undefined) {
    const current = approvalDiscussionSection(body);
    if (current === undefined) {
      body = `${body.trimEnd()}\n\n${section}${/\n$/.test(body) ? "\n" : ""}`;
    } else if (current !== section) {
      const pos = body.indexOf(APPROVAL_DISCUSSION_HEADER);
      body = `${body.slice(0, pos)}${section}${body.slice(pos + current.length)}`;
    }
  }
  return { ...finished, frontmatter: { ...finished.frontmatter, approval }, body };
}
