import { classifyLines } from "./markdown.js";

export interface AcceptanceCriterion {
  text: string;
  checked: boolean;
  /** 0-based line index in the body. */
  index: number;
}

const HEADING = "## Acceptance Criteria";
const CHECKBOX = /^\s*- \[([ xX])\]\s?(.*)$/;

/**
 * The checkbox lines under the LAST `## Acceptance Criteria` heading outside
 * code fences, up to the next `## ` heading: exactly the lines chant counts
 * before it lets a spec be completed.
 */
export function acceptanceCriteria(body: string): AcceptanceCriterion[] {
  const lines = classifyLines(body);
  let start = -1;
  for (const line of lines) {
    if (!line.inFence && line.text.trimStart().startsWith(HEADING)) start = line.index;
  }
  if (start < 0) return [];
  const criteria: AcceptanceCriterion[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.inFence) continue;
    if (line.text.trimStart().startsWith("## ")) break;
    const match = CHECKBOX.exec(line.text);
    if (match) {
      criteria.push({ text: match[2]!.trim(), checked: match[1] !== " ", index: line.index });
    }
  }
  return criteria;
}

export function uncheckedCriteria(body: string): AcceptanceCriterion[] {
  return acceptanceCriteria(body).filter((c) => !c.checked);
}
