import { acceptanceCriteria } from "./acceptance-criteria.js";
import { firstHeading } from "./markdown.js";
import { parseSpec, type ParsedSpec } from "./parse-spec.js";
import { strictWriteProblems } from "./serialize-spec.js";
import { SpecError } from "./spec-error.js";

export interface PlanReview {
  /** The spec as read, when it could be read at all. */
  spec: ParsedSpec | undefined;
  /** What stops an approval: the file as chant would refuse it, or a plan with nothing to check. */
  problems: string[];
}

/**
 * A plan (an implementation spec awaiting approval) as a reviewer edited it,
 * checked before anyone approves: it parses (our split, YAML core schema),
 * chant would accept what is written (known status, type and fields), it has
 * a title and acceptance criteria for the agent to meet, and it still asks
 * for approval. Never throws for the file's content.
 */
export function reviewPlan(path: string, text: string): PlanReview {
  let spec: ParsedSpec;
  try {
    spec = parseSpec(path, text);
  } catch (error) {
    if (error instanceof SpecError) return { spec: undefined, problems: [error.message] };
    throw error;
  }
  const problems = strictWriteProblems(spec).map((p) => `${path}: ${p}`);
  if (!firstHeading(spec.body)) problems.push(`${path}: the spec has no \`# \` title`);
  if (acceptanceCriteria(spec.body).length === 0) {
    problems.push(
      `${path}: the spec has no acceptance criteria (\`- [ ] ...\` lines under \`## Acceptance Criteria\`)`,
    );
  }
  if (spec.frontmatter.status !== "pending") {
    problems.push(
      `${path}: \`status: ${spec.frontmatter.status}\`: a plan waiting for approval is \`pending\``,
    );
  }
  if (!spec.frontmatter.approval?.required) {
    problems.push(
      `${path}: \`approval.required\` is not \`true\`: the plan no longer asks for approval`,
    );
  } else if (spec.frontmatter.approval.status === "approved") {
    // An approval is written by the approver's `/chant approve` (or `chant approve`), never by an edit.
    problems.push(
      `${path}: \`approval.status: approved\` was written into the plan by an edit: set it back to \`pending\` and approve with \`/chant approve\``,
    );
  }
  return { spec, problems };
}
