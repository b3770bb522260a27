import { splitFrontmatter } from "./split-frontmatter.js";
import { parseYaml } from "../util/yaml.js";

/** chant's project settings file: YAML frontmatter, then markdown. */
export const CHANT_CONFIG_PATH = ".chant/config.md";

export const REJECTION_ACTIONS = ["manual", "dependency", "group"] as const;
export type RejectionAction = (typeof REJECTION_ACTIONS)[number];

export type RejectionActionRead =
  | { action: RejectionAction; problem: undefined }
  /** The file could not be read: chant's default (`manual`) and what was wrong. */
  | { action: "manual"; problem: string };

/**
 * `approval.rejection_action` of `.chant/config.md` (chant's `ApprovalConfig`,
 * default `manual`). Read as data only (our split, YAML core schema); a file
 * that is missing, malformed or holds another value yields `manual` and, for
 * the latter two, the reason to show.
 */
export function readRejectionAction(text: string | undefined): RejectionActionRead {
  if (text === undefined) return { action: "manual", problem: undefined };
  const split = splitFrontmatter(text);
  if (split.kind !== "frontmatter") return { action: "manual", problem: undefined };
  let data: unknown;
  try {
    data = parseYaml(split.yaml).data;
  } catch (error) {
    return {
      action: "manual",
      problem: `\`${CHANT_CONFIG_PATH}\` has invalid YAML (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  const approval = isRecord(data) ? data.approval : undefined;
  const value = isRecord(approval) ? approval.rejection_action : undefined;
  if (value === undefined || value === null) return { action: "manual", problem: undefined };
  if (typeof value === "string" && (REJECTION_ACTIONS as readonly string[]).includes(value)) {
    return { action: value as RejectionAction, problem: undefined };
  }
  return {
    action: "manual",
    problem: `\`approval.rejection_action\` in \`${CHANT_CONFIG_PATH}\` must be one of ${REJECTION_ACTIONS.join(", ")}`,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
