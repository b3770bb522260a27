/**
 * The one GraphQL query the app sends: a batch of blobs by `<ref>:<path>`.
 *
 *   query ($owner: String!, $name: String!, $e0: String!, $e1: String!) {
 *     repository(owner: $owner, name: $name) {
 *       f0: object(expression: $e0) { ... on Blob { byteSize isBinary isTruncated text } }
 *       f1: object(expression: $e1) { ... on Blob { byteSize isBinary isTruncated text } }
 *     }
 *   }
 *
 * Parsed with regular expressions over exactly that shape; anything else is
 * answered the way GitHub answers an unsupported query (200 with `errors`),
 * so a change in the app's query fails loudly in the tests.
 */
import { catFileBatch } from "./git.js";

export const UNSUPPORTED = { errors: [{ message: "unsupported query in the stand-in" }] };

/** GitHub cuts `Blob.text` at 512,000 bytes and says so with `isTruncated`. */
export const DEFAULT_BLOB_TEXT_LIMIT = 512_000;

const BLOB_FIELDS = new Set(["byteSize", "isBinary", "isTruncated", "text", "oid"]);

export interface BlobQuery {
  ownerVar: string;
  nameVar: string;
  aliases: { alias: string; variable: string; fields: string[] }[];
  declared: Map<string, string>;
}

export function parseBlobQuery(query: string): BlobQuery | null {
  const text = query.replace(/#[^\n]*/g, " ").trim();
  const outer =
    /^query\b\s*\w*\s*\(([^)]*)\)\s*\{\s*repository\s*\(\s*owner\s*:\s*\$(\w+)\s*,\s*name\s*:\s*\$(\w+)\s*\)\s*\{([\s\S]*)\}\s*\}$/.exec(
      text,
    );
  if (!outer) return null;
  const declared = new Map<string, string>();
  for (const decl of (outer[1] ?? "").split(",")) {
    const match = /^\s*\$(\w+)\s*:\s*([\w!]+)\s*$/.exec(decl);
    if (!match) return null;
    declared.set(match[1]!, match[2]!);
  }
  const body = outer[4] ?? "";
  const item =
    /\s*(\w+)\s*:\s*object\s*\(\s*expression\s*:\s*\$(\w+)\s*\)\s*\{\s*\.\.\.\s*on\s+Blob\s*\{([\w\s,]*)\}\s*\}\s*/y;
  const aliases: BlobQuery["aliases"] = [];
  let pos = 0;
  while (pos < body.length) {
    item.lastIndex = pos;
    const match = item.exec(body);
    if (!match) return null;
    const fields = (match[3] ?? "").split(/[\s,]+/).filter(Boolean);
    if (fields.length === 0 || fields.some((f) => !BLOB_FIELDS.has(f))) return null;
    aliases.push({ alias: match[1]!, variable: match[2]!, fields });
    pos = item.lastIndex;
  }
  if (aliases.length === 0) return null;
  const ownerVar = outer[2]!;
  const nameVar = outer[3]!;
  for (const variable of [ownerVar, nameVar, ...aliases.map((a) => a.variable)]) {
    if (declared.get(variable) !== "String!") return null;
  }
  if (new Set(aliases.map((a) => a.alias)).size !== aliases.length) return null;
  return { ownerVar, nameVar, aliases, declared };
}

/** Git's own test for binary content: a NUL byte in the first 8000 bytes. */
function looksBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}

export async function answerBlobQuery(
  parsed: BlobQuery,
  variables: Record<string, unknown>,
  findRepo: (owner: string, name: string) => { gitDir: string } | null,
  textLimit: number,
): Promise<unknown> {
  const owner = variables[parsed.ownerVar];
  const name = variables[parsed.nameVar];
  const expressions = parsed.aliases.map((a) => variables[a.variable]);
  if (
    typeof owner !== "string" ||
    typeof name !== "string" ||
    expressions.some((e) => typeof e !== "string")
  ) {
    return {
      errors: [
        {
          message: "Variable is missing or not a String",
          extensions: { code: "variableMismatch" },
        },
      ],
    };
  }
  const repo = findRepo(owner, name);
  if (!repo) {
    return {
      data: { repository: null },
      errors: [
        {
          type: "NOT_FOUND",
          path: ["repository"],
          locations: [{ line: 2, column: 3 }],
          message: `Could not resolve to a Repository with the name '${owner}/${name}'.`,
        },
      ],
    };
  }
  const objects = await catFileBatch(repo.gitDir, expressions as string[]);
  const result: Record<string, unknown> = {};
  parsed.aliases.forEach((alias, i) => {
    const object = objects[i];
    if (!object) {
      result[alias.alias] = null;
      return;
    }
    // A tree or commit does not match `... on Blob`: GitHub answers an empty object.
    if (object.type !== "blob") {
      result[alias.alias] = {};
      return;
    }
    const binary = looksBinary(object.content);
    const truncated = !binary && object.content.length > textLimit;
    const values: Record<string, unknown> = {
      byteSize: object.content.length,
      isBinary: binary,
      isTruncated: truncated,
      text: binary ? null : object.content.subarray(0, textLimit).toString("utf8"),
      oid: object.sha,
    };
    result[alias.alias] = Object.fromEntries(alias.fields.map((f) => [f, values[f]]));
  });
  return { data: { repository: result } };
}
