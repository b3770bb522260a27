import type { ParsedSpec } from "../../src/chant-format/parse-spec.js";

/** What a spec says; where in the file a leniency was found is not part of it. */
export function meaning(spec: ParsedSpec) {
  return { ...spec, leniencies: spec.leniencies.map((l) => `${l.field}: ${l.note}`) };
}
