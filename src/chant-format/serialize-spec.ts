import { isStrictStatus, isStrictType, SPEC_FIELDS } from "./frontmatter.js";
import type { ParsedSpec } from "./parse-spec.js";
import { isSpecId } from "./spec-id.js";
import { stringifyYaml } from "../util/yaml.js";

export type SpecDocument = Pick<ParsedSpec, "frontmatter" | "extraFields" | "body" | "eol">;

/**
 * Write a spec the way chant's `Spec::save` does: `---`, the known fields in
 * chant's order as block YAML (lists not indented), `---`, the body as it is.
 * Keys chant does not know are kept after the known ones, so a round trip
 * through this app loses nothing.
 */
export function serializeSpec(spec: SpecDocument): string {
  const ordered: Record<string, unknown> = {};
  const fields = spec.frontmatter as unknown as Record<string, unknown>;
  for (const field of SPEC_FIELDS) {
    if (fields[field] !== undefined) ordered[field] = fields[field];
  }
  Object.assign(ordered, spec.extraFields);
  const text = `---\n${stringifyYaml(ordered)}---\n${spec.body}`;
  return spec.eol === "\r\n" ? text.replace(/\r?\n/g, "\r\n") : text;
}

/**
 * Why chant would refuse (or silently change) a spec this app is about to
 * write; empty when it is fine. Read tolerantly, write strictly.
 */
export function strictWriteProblems(
  spec: Pick<ParsedSpec, "id" | "frontmatter" | "extraFields">,
): string[] {
  const problems: string[] = [];
  if (!isSpecId(spec.id))
    problems.push(`\`${spec.id}\` is not a chant spec id (YYYY-MM-DD-SSS-XXX)`);
  if (!isStrictStatus(spec.frontmatter.status)) {
    problems.push(`status \`${spec.frontmatter.status}\` is not one chant's state machine accepts`);
  }
  if (!isStrictType(spec.frontmatter.type)) {
    problems.push(`type \`${spec.frontmatter.type}\` is not one current chant knows`);
  }
  for (const key of Object.keys(spec.extraFields)) {
    problems.push(`\`${key}\` is not a chant field`);
  }
  return problems;
}
