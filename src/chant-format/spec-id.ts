import { randomInt } from "node:crypto";
import { posix } from "node:path";

/**
 * chant spec ids: `YYYY-MM-DD-SSS-XXX`, optionally `project-` before and `.N`
 * (group member) after. SSS is a base36 sequence for that day, XXX random.
 */

const BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz";

export const SPEC_ID_PATTERN =
  /(?:[A-Za-z0-9_]+-)?\d{4}-\d{2}-\d{2}-[0-9a-z]{3,}-[0-9a-z]{3}(?:\.\d+)?/;
const WHOLE_SPEC_ID = new RegExp(`^${SPEC_ID_PATTERN.source}$`);

export interface SpecIdParts {
  project: string | undefined;
  date: string;
  sequence: number;
  suffix: string;
  member: number | undefined;
}

export function parseSpecId(id: string): SpecIdParts | undefined {
  const match =
    /^(?:([A-Za-z0-9_]+)-)?(\d{4}-\d{2}-\d{2})-([0-9a-z]{3,})-([0-9a-z]{3})(?:\.(\d+))?$/.exec(id);
  if (!match) return undefined;
  return {
    project: match[1],
    date: match[2]!,
    sequence: parseBase36(match[3]!),
    suffix: match[4]!,
    member: match[5] === undefined ? undefined : Number(match[5]),
  };
}

export function isSpecId(value: string): boolean {
  return WHOLE_SPEC_ID.test(value);
}

/**
 * A spec id or file stem we are willing to put into a branch name, a path or a
 * command argument: letters, digits, `.`, `_`, `-`, not starting with `-` or
 * `.`, no `..`, at most 100 characters.
 */
export function isSafeSpecId(value: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/.test(value) && !value.includes("..");
}

export function specIdFromPath(path: string): string {
  return posix.basename(path.replace(/\\/g, "/")).replace(/\.md$/i, "");
}

export function formatBase36(n: number, width: number): string {
  return n.toString(36).padStart(width, "0");
}

export function parseBase36(s: string): number {
  let n = 0;
  for (const c of s) n = n * 36 + BASE36.indexOf(c);
  return n;
}

/** The date part of a new id: the machine's local date, as chant's `Local::now()`. */
export function localDate(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/**
 * The next id chant would give a new spec: for today's date, the highest
 * sequence among existing spec files + 1 (active and archived specs, group
 * members `.N` included), then three random base36 characters.
 */
export function nextSpecId(
  existingPaths: Iterable<string>,
  now: Date = new Date(),
  random: (max: number) => number = randomInt,
): string {
  const date = localDate(now);
  let highest = 0;
  for (const path of existingPaths) {
    const name = posix.basename(path);
    if (!name.startsWith(date) || !name.endsWith(".md")) continue;
    const parts = name.slice(0, -3).split("-");
    const sequence = parts[3];
    if (parts.length >= 5 && sequence !== undefined && /^[0-9a-z]+$/.test(sequence)) {
      highest = Math.max(highest, parseBase36(sequence));
    }
  }
  const suffix = Array.from({ length: 3 }, () => BASE36[random(36)]).join("");
  return `${date}-${formatBase36(highest + 1, 3)}-${suffix}`;
}

/** Order ids oldest first: by date, then sequence, then the rest of the id. */
export function compareSpecIds(a: string, b: string): number {
  const pa = parseSpecId(a);
  const pb = parseSpecId(b);
  if (pa && pb) {
    return (
      pa.date.localeCompare(pb.date) ||
      pa.sequence - pb.sequence ||
      (pa.member ?? 0) - (pb.member ?? 0) ||
      a.localeCompare(b)
    );
  }
  if (pa) return 1;
  if (pb) return -1;
  return a.localeCompare(b);
}
