import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { firstHeading } from "../chant-format/markdown.js";
import type { SpecDocument } from "../chant-format/serialize-spec.js";
import { splitFrontmatter } from "../chant-format/split-frontmatter.js";
import { parseYaml } from "../util/yaml.js";
import { packageRoot } from "../util/package-root.js";
import { fence, fenceUntrusted } from "../util/untrusted-text.js";

export interface PromptInput {
  /** The template: a repository's `.chant/prompts/implement.md`, else the bundled one. */
  template: string;
  projectName: string;
  spec: SpecDocument & { id: string; path: string };
  /** informed_by documents (research spec, RCA) with their text: inlined, since chant does not. */
  informedBy: { path: string; text: string }[];
  /** Files of the spec's `context:` field, as chant inlines them for {{spec.context}}. */
  contextFiles?: { path: string; text: string }[];
  /** The issue as its author wrote it: untrusted. */
  issue?: { number: number; title: string; body: string } | undefined;
}

const MAX_DOCUMENT_CHARS = 100_000;
/** An issue's text is context, not the plan: the research is. */
const MAX_ISSUE_CHARS = 20_000;

/**
 * chant's plain `{{...}}` substitution, done in ONE pass over the template so
 * that a value containing `{{spec.path}}` is never substituted again; then the
 * research documents and the (fenced, untrusted) issue are appended.
 */
export function renderPrompt(input: PromptInput): string {
  const { spec } = input;
  const title = firstHeading(spec.body) ?? "(untitled)";
  const targetFiles = spec.frontmatter.target_files ?? [];
  const values: Record<string, string> = {
    "project.name": input.projectName,
    "spec.id": spec.id,
    "spec.title": title,
    "spec.description": spec.body,
    "spec.path": spec.path,
    spec: `Spec ID: ${spec.id}\n\n${spec.body}${targetFiles.length ? `\n\n## Target Files\n\n${targetFiles.map((f) => `- ${f}\n`).join("")}` : ""}`,
    "spec.target_files": targetFiles.join("\n"),
    "spec.context": (input.contextFiles ?? [])
      .map((f) => `\n--- ${f.path} ---\n${f.text}\n`)
      .join(""),
  };
  const body = stripFrontmatter(input.template).replace(
    /\{\{\s*([a-z_.]+)\s*\}\}/g,
    (whole, key: string) => (key in values ? values[key]! : whole),
  );

  const parts = [body.trimEnd()];
  if (input.informedBy.length > 0) {
    parts.push("## Research to follow (informed_by)");
    for (const doc of input.informedBy) {
      const text =
        doc.text.length > MAX_DOCUMENT_CHARS
          ? `${doc.text.slice(0, MAX_DOCUMENT_CHARS)}\n…(cut at ${MAX_DOCUMENT_CHARS} characters; read the file for the rest)`
          : doc.text;
      parts.push(`### \`${doc.path}\`\n\n${fence(text, "markdown")}`);
    }
  }
  if (input.issue) {
    parts.push(
      `## The issue (#${input.issue.number})`,
      fenceUntrusted("Issue title", input.issue.title),
      fenceUntrusted("Issue body", issueTextForPrompt(input.issue.body)),
    );
  }
  return `${parts.join("\n\n")}\n`;
}

/** The issue's text as the prompt takes it: cut at MAX_ISSUE_CHARS, saying so. */
export function issueTextForPrompt(body: string): string {
  return body.length > MAX_ISSUE_CHARS
    ? `${body.slice(0, MAX_ISSUE_CHARS)}\n…(cut at ${MAX_ISSUE_CHARS} characters)`
    : body;
}

/**
 * Prompt files carry their own frontmatter (name, purpose), which is not part
 * of the prompt: a `---` line, YAML, a `---` (or `...`) line. The template is a
 * repository's own file, so nothing in it is evaluated: the split is done by
 * hand (not gray-matter, whose `---js` frontmatter is `eval`'d) and the YAML,
 * whose fields are not used, is only checked to be plain YAML (parseYaml: no
 * tags, bounded aliases). Anything else is not frontmatter and the template is
 * used whole, as plain text, as it was when gray-matter could not read it:
 *  - a first line that is `---js`, `---javascript`, `--- json`, `----` ... (another
 *    tool's frontmatter language: never an engine here, just text for the agent);
 *  - a `---` line never closed;
 *  - a block that is not valid plain YAML (a `!!js/function` tag, an alias bomb...).
 * The agent only ever reads the text; chant-bot runs none of it. (A stripped
 * template comes back with LF line endings.)
 */
function stripFrontmatter(template: string): string {
  const split = splitFrontmatter(template, { allowDotsClose: true });
  if (split.kind !== "frontmatter") return template;
  try {
    parseYaml(split.yaml);
  } catch {
    return template;
  }
  return split.body;
}

/** A prompt shipped with chant-bot (`prompts/<name>.md`). */
export async function bundledPrompt(name: "implement" | "research"): Promise<string> {
  return readFile(join(packageRoot(), "prompts", `${name}.md`), "utf8");
}
