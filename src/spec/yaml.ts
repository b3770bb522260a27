import YAML, { isMap, isPair, isScalar, isSeq, LineCounter, type Node } from "yaml";

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
 * Parse YAML the way chant's serde reads a spec: duplicate keys are an error,
 * and a plain scalar that looks like a number keeps its text (a commit sha
 * `0123456` must not become 123456, nor `12e4567` Infinity). Booleans and null
 * resolve as in YAML 1.2. (Settings files want real numbers: `numbersAsText: false`.)
 */
export function parseYaml(text: string, options: { numbersAsText?: boolean } = {}): YamlDocument {
  const numbersAsText = options.numbersAsText ?? true;
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0].line;
    throw new YamlSyntaxError(firstLine(first.message), line);
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
  return {
    data: doc.toJS(),
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

/** chant's style: block lists with no indent, no folding of long lines. */
export function stringifyYaml(value: unknown): string {
  return YAML.stringify(value, {
    indentSeq: false,
    lineWidth: 0,
    minContentWidth: 0,
    singleQuote: true,
  });
}
