/**
 * Frontmatter split by hand, never by gray-matter: gray-matter picks a parser
 * from the text after the opening `---` (`---js` is `eval`'d), and a
 * repository's files are hostile. Here the opener is a line that is exactly
 * `---` (trailing spaces allowed) and the frontmatter is always YAML; `---js`,
 * `---javascript`, `--- json`, `----` are not openers at all. The YAML itself
 * is left to the caller (parseYaml, which reads plain data only).
 */

export type FrontmatterSplit =
  /** A `---` line, lines of YAML, a closing line. */
  | {
      kind: "frontmatter";
      /**
       * The YAML, preceded by one empty line standing for the opener, so that
       * line N of `yaml` is line N of the file (YAML errors name the file's line).
       */
      yaml: string;
      /** 1-based line of the closing delimiter. */
      closeLine: number;
      /** Everything after the closing line, as written (LF line endings). */
      body: string;
    }
  /** The first line is not `---`. */
  | { kind: "none" }
  /**
   * The first line starts with `---` but has more on it (`---js`, `--- json`,
   * `----`): another tool's frontmatter language, which is not read.
   */
  | { kind: "not_yaml" }
  /** A `---` line that no closing line follows. */
  | { kind: "unclosed" };

export interface SplitOptions {
  /**
   * Also accept YAML's document-end line `...` as the closing delimiter (some
   * static-site tools do). chant specs close with `---` only, as chant writes
   * and reads them.
   */
  allowDotsClose?: boolean;
}

/**
 * Split `text` (a byte-order mark and CRLF line endings are accepted) into its
 * frontmatter and body. Never parses or evaluates anything.
 */
export function splitFrontmatter(text: string, options: SplitOptions = {}): FrontmatterSplit {
  const lines = text
    .replace(/^\uFEFF/, "")
    .replace(/\r\n/g, "\n")
    .split("\n");
  const opener = lines[0]!.trimEnd();
  if (opener !== "---") return opener.startsWith("---") ? { kind: "not_yaml" } : { kind: "none" };
  const close = lines.findIndex(
    (line, i) => i > 0 && isCloser(line.trimEnd(), options.allowDotsClose ?? false),
  );
  if (close === -1) return { kind: "unclosed" };
  return {
    kind: "frontmatter",
    yaml: `\n${lines.slice(1, close).join("\n")}`,
    closeLine: close + 1,
    body: lines.slice(close + 1).join("\n"),
  };
}

function isCloser(line: string, allowDots: boolean): boolean {
  return line === "---" || (allowDots && line === "...");
}
