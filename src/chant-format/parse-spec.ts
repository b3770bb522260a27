import type { z } from "zod";
import {
  fieldSchema,
  isSpecField,
  isStrictStatus,
  isStrictType,
  LEGACY_STATUSES,
  LEGACY_TYPES,
  SPEC_STATUSES,
  SPEC_TYPES,
  type SpecFrontmatter,
  type SpecStatus,
  type SpecType,
} from "./frontmatter.js";
import { SpecError } from "./spec-error.js";
import { specIdFromPath } from "./spec-id.js";
import { splitFrontmatter } from "./split-frontmatter.js";
import { parseYaml, YamlSyntaxError, type YamlDocument } from "../util/yaml.js";

/** Files larger than this are not specs anyone wrote by hand or by agent; they are refused unread. */
export const MAX_SPEC_BYTES = 1024 * 1024;

/** Something read tolerantly that chant's current code would read differently or refuse. */
export interface Leniency {
  field: string;
  line: number | undefined;
  note: string;
}

export interface ParsedSpec {
  /** The file stem: chant has no `id:` field. */
  id: string;
  path: string;
  frontmatter: SpecFrontmatter;
  /** Keys chant does not know, in file order (chant drops them when it re-saves). */
  extraFields: Record<string, unknown>;
  /** Everything after the closing `---` line, as written. */
  body: string;
  /** The file's line ending, kept when the spec is written back. */
  eol: "\n" | "\r\n";
  leniencies: Leniency[];
}

const LIST_FIELDS_CHANT_READS_FROM_A_STRING = new Set(["depends_on"]);

/**
 * Parse a chant spec file. Throws only SpecError, which names the file and the
 * line: a missing or unclosed frontmatter, malformed YAML, an unknown status or
 * type, a field of the wrong shape, a binary or oversized file.
 */
export function parseSpec(path: string, content: string): ParsedSpec {
  if (content.includes("\u0000")) {
    throw new SpecError("not_text", path, undefined, "is a binary file, not a markdown spec");
  }
  if (Buffer.byteLength(content, "utf8") > MAX_SPEC_BYTES) {
    throw new SpecError(
      "too_large",
      path,
      undefined,
      `is larger than ${MAX_SPEC_BYTES / 1024} KiB; a spec that size is not read`,
    );
  }
  const eol = content.includes("\r\n") ? "\r\n" : "\n";
  // Split by hand (never gray-matter, which evaluates a `---js` frontmatter):
  // the frontmatter is YAML between a `---` line and the next `---` line.
  const split = splitFrontmatter(content);
  if (split.kind === "not_yaml") {
    throw new SpecError(
      "missing_frontmatter",
      path,
      1,
      "has no YAML frontmatter: the first line starts with `---` but is not exactly `---`; a language after it (such as `---js`) is not read. A spec starts with a `---` line, then YAML fields such as `type:` and `status:`, then `---`",
    );
  }
  if (split.kind === "none") {
    throw new SpecError(
      "missing_frontmatter",
      path,
      1,
      "has no frontmatter: a spec starts with a `---` line, then YAML fields such as `type:` and `status:`, then `---`",
    );
  }
  if (split.kind === "unclosed") {
    throw new SpecError(
      "unclosed_frontmatter",
      path,
      1,
      "frontmatter is never closed: add a `---` line after the YAML fields",
    );
  }

  let yaml: YamlDocument;
  try {
    yaml = parseYaml(split.yaml);
  } catch (error) {
    if (error instanceof YamlSyntaxError) {
      throw new SpecError("invalid_yaml", path, error.line, `invalid YAML: ${error.message}`);
    }
    throw new SpecError("invalid_yaml", path, undefined, `invalid frontmatter: ${String(error)}`);
  }
  // An empty frontmatter (or `~`) is no fields: chant's defaults.
  const data: unknown = yaml.data ?? {};
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new SpecError(
      "not_a_mapping",
      path,
      2,
      "frontmatter must be YAML `key: value` fields, not a list or a single value",
    );
  }
  const lineOf = (key: string, ...rest: (string | number)[]) => yaml.lineOf([key, ...rest]);
  const { frontmatter, extraFields, leniencies } = readFields(
    path,
    data as Record<string, unknown>,
    lineOf,
  );
  return {
    id: specIdFromPath(path),
    path,
    frontmatter,
    extraFields,
    body: split.body,
    eol,
    leniencies,
  };
}

function readFields(
  path: string,
  data: Record<string, unknown>,
  lineOf: (key: string, ...rest: (string | number)[]) => number | undefined,
) {
  const leniencies: Leniency[] = [];
  const extraFields: Record<string, unknown> = {};
  const fields: Record<string, unknown> = {};
  let type: SpecType = "code";
  let status: SpecStatus = "pending";

  for (const [key, value] of Object.entries(data)) {
    if (!isSpecField(key)) {
      extraFields[key] = value;
      leniencies.push({
        field: key,
        line: lineOf(key),
        note: `\`${key}\` is not a chant field (chant drops it when it re-saves the spec)`,
      });
      continue;
    }
    // chant reads a null field as absent (serde's Option), and type/status as their defaults.
    if (value === null) continue;
    if (key === "type") {
      type = readEnum(path, "type", value, lineOf("type"), leniencies);
    } else if (key === "status") {
      status = readEnum(path, "status", value, lineOf("status"), leniencies);
    } else {
      const schema = fieldSchema(key);
      const result = schema.safeParse(value);
      if (!result.success) {
        const issue = result.error.issues[0];
        const where = issue?.path ?? [];
        throw new SpecError(
          "invalid_field",
          path,
          lineOf(key, ...(where as (string | number)[])),
          `\`${[key, ...where].join(".")}\` ${describeIssue(issue)}`,
        );
      }
      if (
        typeof value === "string" &&
        Array.isArray(result.data) &&
        !LIST_FIELDS_CHANT_READS_FROM_A_STRING.has(key)
      ) {
        leniencies.push({
          field: key,
          line: lineOf(key),
          note: `\`${key}\` is a single value; read as a one-item list (chant expects a list)`,
        });
      }
      fields[key] = result.data;
    }
  }
  const frontmatter = { type, status, ...fields } as SpecFrontmatter;
  return { frontmatter, extraFields, leniencies };
}

function readEnum<K extends "type" | "status">(
  path: string,
  field: K,
  value: unknown,
  line: number | undefined,
  leniencies: Leniency[],
): K extends "type" ? SpecType : SpecStatus {
  type Out = K extends "type" ? SpecType : SpecStatus;
  const strict = field === "type" ? isStrictType : isStrictStatus;
  const legacy: readonly string[] = field === "type" ? LEGACY_TYPES : LEGACY_STATUSES;
  const allowed: readonly string[] = field === "type" ? SPEC_TYPES : SPEC_STATUSES;
  if (typeof value !== "string") {
    throw new SpecError(
      field === "type" ? "unknown_type" : "unknown_status",
      path,
      line,
      `\`${field}\` must be one of ${allowed.join(", ")}`,
    );
  }
  if (strict(value)) return value as Out;
  if (legacy.includes(value)) {
    leniencies.push({
      field,
      line,
      note:
        field === "status"
          ? "`status: ready` is read, but chant refuses `ready -> in_progress`; use `pending`"
          : `\`type: ${value}\` is from an older chant; current chant knows ${allowed.join(", ")}`,
    });
    return value as Out;
  }
  throw new SpecError(
    field === "type" ? "unknown_type" : "unknown_status",
    path,
    line,
    `unknown ${field} \`${value}\`: chant knows ${allowed.join(", ")}`,
  );
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return "is invalid";
  switch (issue.code) {
    case "invalid_type":
      return `must be ${issue.expected === "array" ? "a list" : `a ${issue.expected}`}`;
    case "invalid_union":
      return "must be a text value or a list of text values";
    case "invalid_value":
      return `must be one of ${issue.values.map(String).join(", ")}`;
    default:
      return issue.message;
  }
}
