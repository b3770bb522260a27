/**
 * Every way a spec file can be unreadable, as one typed error that names the
 * file and (where known) the line. Callers show `message` to the user as is.
 */
export type SpecErrorCode =
  | "missing_frontmatter"
  | "unclosed_frontmatter"
  | "invalid_yaml"
  | "not_a_mapping"
  | "invalid_field"
  | "unknown_status"
  | "unknown_type"
  | "not_text"
  | "too_large";

export class SpecError extends Error {
  override readonly name = "SpecError";

  constructor(
    readonly code: SpecErrorCode,
    readonly file: string,
    readonly line: number | undefined,
    readonly detail: string,
  ) {
    super(`${file}${line === undefined ? "" : `:${line}`}: ${detail}`);
  }
}

export function isSpecError(error: unknown): error is SpecError {
  return error instanceof SpecError;
}
