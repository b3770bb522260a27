import YAML, {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type DocumentOptions,
  type Node,
  type ParseOptions,
  type SchemaOptions,
} from "yaml";

export class YamlSyntaxError extends Error {
  constructor(
    message: string,
    /** 1-based line in the parsed text. */
    readonly line: number | undefined,
  ) {
    super(message);
  }
}

export interface YamlDocument {
  data: unknown;
  /** 1-based line of the node at a key path, when the path exists. */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

/**
 * At most this many alias expansions (`*name`) per document. chant's specs and
 * settings use none; the bound stops a "billion laughs" document (aliases of
 * aliases, exponential when expanded) before it eats the worker's memory.
 */
export const MAX_YAML_ALIASES = 100;

/**
 * Everything in a repository is hostile, so YAML is read as plain data only:
 * YAML 1.2's core schema whatever a `%YAML` directive says, no custom tags, no
 * "known" extra tags (`!!binary`, `!!set`, `!!timestamp`...), no `<<` merge keys.
 * The `yaml` package never evaluates code; a tag it cannot resolve
 * (`!!js/function`, `!<tag:yaml.org,2002:js/undefined>`, `!foo`) would
 * otherwise be read silently as a plain string or mapping, so it is refused.
 */
const SAFE_PARSE_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: "1.2",
  schema: "core",
  customTags: [],
  resolveKnownTags: false,
  merge: false,
  uniqueKeys: true,
};

/**
 * Parse YAML the way chant's serde reads a spec: duplicate keys are an error,
 * and a plain scalar that looks like a number keeps its text (a commit sha
 * `0123456` must not become 123456, nor `12e4567` Infinity). Booleans and null
 * resolve as in YAML 1.2. (Settings files want real numbers: `numbersAsText: false`.)
 *
 * Throws only YamlSyntaxError: malformed YAML, a tag (`!foo`, `!!js/function`;
 * only the core schema's own `!!str`, `!!int`, `!!bool`, `!!null`, `!!float`,
 * `!!map`, `!!seq` resolve), or more than MAX_YAML_ALIASES alias expansions.
 */
export function parseYaml(text: string, options: { numbersAsText?: boolean } = {}): YamlDocument {
  const numbersAsText = options.numbersAsText ?? true;
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(text, { ...SAFE_PARSE_OPTIONS, lineCounter });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0].line;
    throw new YamlSyntaxError(firstLine(first.message), line);
  }
  const unresolvedTag = doc.warnings.find((w) => w.code === "TAG_RESOLVE_FAILED");
  if (unresolvedTag) {
    throw new YamlSyntaxError(
      `unsupported YAML tag ${describeTag(unresolvedTag.message)}: only plain YAML is read (no \`!tag\`s)`,
      unresolvedTag.linePos?.[0].line,
    );
  }
  if (numbersAsText) {
    YAML.visit(doc, {
      Scalar(_key, node) {
        if (typeof node.value === "number" && node.source !== undefined) node.value = node.source;
      },
    });
  }
  const lineAt = (node: Node | null | undefined) =>
    node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    const message = error instanceof Error ? firstLine(error.message) : String(error);
    if (error instanceof ReferenceError && /alias/i.test(message)) {
      // The yaml package's answer to a "billion laughs" document, before it expands.
      let aliasLine: number | undefined;
      YAML.visit(doc, {
        Alias(_key, node) {
          aliasLine = lineAt(node);
          return YAML.visit.BREAK;
        },
      });
      throw new YamlSyntaxError(
        `too many aliases (\`*name\`): more than ${MAX_YAML_ALIASES} alias expansions are not read`,
        aliasLine,
      );
    }
    throw new YamlSyntaxError(`could not be read: ${message}`, undefined);
  }
  return {
    data,
    lineOf(path) {
      let node: unknown = doc.contents;
      let line = lineAt(doc.contents);
      for (const key of path) {
        if (isMap(node)) {
          const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
          if (!pair) return line;
          line = lineAt(pair.key as Node);
          node = pair.value;
        } else if (isSeq(node) && typeof key === "number") {
          node = node.items[key];
          line = lineAt(node as Node) ?? line;
        } else {
          return line;
        }
      }
      return line;
    },
  };
}

function firstLine(message: string): string {
  return message.split("\n")[0]!.replace(/:$/, "");
}

/** The tag named in the yaml package's "Unresolved tag: X at line..." warning, in backticks. */
function describeTag(message: string): string {
  const tag = /Unresolved tag: (\S+)/.exec(message)?.[1]?.replace(/^tag:yaml\.org,2002:/, "!!");
  return tag ? `\`${tag.replaceAll("`", "")}\`` : "";
}

/** chant's style: block lists with no indent, no folding of long lines. */
export function stringifyYaml(value: unknown): string {
  return YAML.stringify(value, {
    indentSeq: false,
    lineWidth: 0,
    minContentWidth: 0,
    singleQuote: true,
  });
}
