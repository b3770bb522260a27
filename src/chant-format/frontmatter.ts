import { z } from "zod";

/**
 * chant's spec frontmatter, field for field as chant v0.23 declares it
 * (src/spec/frontmatter.rs). The order of SPEC_FIELDS is the order chant writes
 * the fields in; unknown keys are dropped by chant when it re-saves a spec.
 */

/** Statuses chant's state machine works with. */
export const SPEC_STATUSES = [
  "pending",
  "in_progress",
  "paused",
  "completed",
  "failed",
  "needs_attention",
  "blocked",
  "cancelled",
] as const;
/** Read but never written: chant parses `ready` yet refuses `ready -> in_progress`. */
export const LEGACY_STATUSES = ["ready"] as const;

export const SPEC_TYPES = ["code", "task", "research", "documentation", "driver", "group"] as const;
/** Types from older chant versions that still sit in repositories' archives. */
export const LEGACY_TYPES = ["docs", "conflict"] as const;

export type SpecStatus = (typeof SPEC_STATUSES)[number] | (typeof LEGACY_STATUSES)[number];
export type SpecType = (typeof SPEC_TYPES)[number] | (typeof LEGACY_TYPES)[number];

/** YAML scalars chant reads as strings (serde deserializes a plain `true` into "true"). */
const text = z.union([z.string(), z.boolean()]).transform(String);
/** A list of strings; a lone string is read as a one-item list (chant does so for depends_on). */
const textList = z.union([text.transform((s) => [s]), z.array(text)]);
const count = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]);
const flag = z.union([z.boolean(), z.enum(["true", "false"]).transform((s) => s === "true")]);

const approval = z.object({
  required: flag.default(false),
  status: z.enum(["pending", "approved", "rejected"]).default("pending"),
  by: text.optional(),
  at: text.optional(),
});

const retryState = z.object({
  attempts: count,
  last_retry_time: count,
  next_retry_time: count,
});

/** Schemas of the fields other than type and status, in chant's order. */
const FIELD_SCHEMAS = {
  depends_on: textList,
  labels: textList,
  target_files: textList,
  context: textList,
  prompt: text,
  branch: text,
  commits: textList,
  completed_at: text,
  model: text,
  tracks: textList,
  informed_by: textList,
  origin: textList,
  schedule: text,
  source_branch: text,
  target_branch: text,
  conflicting_files: textList,
  blocked_specs: textList,
  original_spec: text,
  last_verified: text,
  verification_status: z.enum(["passed", "failed", "partial"]),
  verification_failures: textList,
  replayed_at: text,
  replay_count: count,
  original_completed_at: text,
  derived_fields: textList,
  approval,
  members: textList,
  output_schema: text,
  public: flag,
  retry_state: retryState,
} as const;

type FieldSchemas = typeof FIELD_SCHEMAS;
export type OptionalSpecFields = {
  -readonly [K in keyof FieldSchemas]?: z.output<FieldSchemas[K]>;
};

export interface SpecFrontmatter extends OptionalSpecFields {
  type: SpecType;
  status: SpecStatus;
}

export type SpecField = "type" | "status" | keyof FieldSchemas;

/** Every field chant knows, in the order chant writes them. */
export const SPEC_FIELDS: readonly SpecField[] = [
  "type",
  "status",
  ...(Object.keys(FIELD_SCHEMAS) as (keyof FieldSchemas)[]),
];

export function isSpecField(key: string): key is SpecField {
  return (SPEC_FIELDS as readonly string[]).includes(key);
}

export function fieldSchema(field: keyof FieldSchemas): z.ZodType {
  return FIELD_SCHEMAS[field];
}

export function isStrictStatus(value: string): value is (typeof SPEC_STATUSES)[number] {
  return (SPEC_STATUSES as readonly string[]).includes(value);
}

export function isStrictType(value: string): value is (typeof SPEC_TYPES)[number] {
  return (SPEC_TYPES as readonly string[]).includes(value);
}
