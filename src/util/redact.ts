/**
 * Every output the app writes (logs, status comments, check-run text) goes
 * through a redactor: the configured secrets in the forms they leak in
 * (plain, base64 as in git's Basic auth header or a dumped config, URL-encoded),
 * and GitHub token shapes even when nobody configured them.
 */

export const REDACTED = "[REDACTED]";

/** Shorter secrets would redact ordinary words. */
export const MIN_SECRET_LENGTH = 8;

export type Redactor = (text: string) => string;

/**
 * A function that replaces each secret (and its encoded forms, also wrapped
 * over lines, and each long line of a multi-line secret) with `[REDACTED]`,
 * then applies `redactKnownTokens`. Built once per job: two combined RegExps
 * scan the text however many secrets there are.
 */
export function createRedactor(secrets: readonly string[]): Redactor {
  const patterns = secretsPatterns(secrets);
  if (patterns.length === 0) return redactKnownTokens;
  const redactSecrets = (text: string) =>
    patterns.reduce((out, pattern) => out.replace(pattern, REDACTED), text);
  // Wrapped runs first: a marker put into one line would end the run it belongs to.
  return (text: string) => redactKnownTokens(redactSecrets(redactWrapped(text, redactSecrets)));
}

/**
 * Whether text holds one of the secrets (in any form createRedactor removes)
 * or a GitHub token. For refusing to publish something, where redacting is
 * not possible (a commit): credentials in URLs and Authorization headers are
 * not counted, since code and tests hold harmless ones.
 */
export function createSecretFinder(secrets: readonly string[]): (text: string) => boolean {
  // Without the g flag, test() keeps no state between calls.
  const tokens = GITHUB_TOKEN_PATTERNS.map((p) => new RegExp(p.source));
  const patterns = secretsPatterns(secrets).map((p) => new RegExp(p.source));
  const holds = (text: string) => patterns.some((p) => p.test(text));
  return (text: string) =>
    tokens.some((p) => p.test(text)) ||
    holds(text) ||
    wrappedRuns(text.split("\n")).some((run) => holds(run.joined));
}

/**
 * RegExps for every form of every secret: one for the secrets as given, one
 * for the lines of multi-line ones (kept apart: one huge alternation is many
 * times slower to run than two).
 */
function secretsPatterns(secrets: readonly string[]): RegExp[] {
  return [secrets, linesOf(secrets)].flatMap((group) => {
    const forms = new Set<string>();
    for (const secret of group) {
      if (secret.length < MIN_SECRET_LENGTH) continue;
      for (const form of secretForms(secret)) forms.add(form);
    }
    if (forms.size === 0) return [];
    // Longest first: where one form is a prefix of another, the longer one wins.
    const alternatives = [...forms].sort((a, b) => b.length - a.length).map(escapeRegExp);
    return [new RegExp(alternatives.join("|"), "g")];
  });
}

/** Lines of a multi-line secret shorter than this are not secrets on their own. */
const MIN_SECRET_LINE_LENGTH = 20;

/**
 * The long lines of multi-line secrets (a PEM key's): a line shows up alone
 * where the whole does not (JSON-escaped newlines, a `grep`, output cut in
 * the middle of the key).
 */
function linesOf(secrets: readonly string[]): string[] {
  return secrets
    .filter((secret) => secret.includes("\n"))
    .flatMap((secret) => secret.split(/\r?\n/).map((line) => line.trim()))
    .filter((line) => line.length >= MIN_SECRET_LINE_LENGTH);
}

/**
 * `base64` wraps its output at 76 columns, PEM at 64: an encoded secret can be
 * broken over lines. Where lines end in a long run of base64 characters, the
 * run is looked at again joined with the lines after it. Scanned by hand, in
 * linear time: a regular expression over one long line would backtrack.
 */
const WRAP_WIDTH_MIN = 40;

function isBase64Char(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || // 0-9
    (code >= 65 && code <= 90) || // A-Z
    (code >= 97 && code <= 122) || // a-z
    code === 43 || // +
    code === 47 || // /
    code === 61 || // =
    code === 95 || // _
    code === 45 // -
  );
}

interface WrappedRun {
  /** First and last line of the run, and where it starts in the first / ends in the last. */
  first: number;
  last: number;
  start: number;
  end: number;
  joined: string;
}

/** Runs of base64 characters that go on over line breaks (each broken line ending in >= 40 of them). */
function wrappedRuns(lines: readonly string[]): WrappedRun[] {
  const runs: WrappedRun[] = [];
  const body = (line: string) => (line.endsWith("\r") ? line.length - 1 : line.length);
  let i = 0;
  while (i < lines.length - 1) {
    const line = lines[i]!;
    const end = body(line);
    let start = end;
    while (start > 0 && isBase64Char(line.charCodeAt(start - 1))) start -= 1;
    if (end - start < WRAP_WIDTH_MIN) {
      i += 1;
      continue;
    }
    let joined = line.slice(start, end);
    let j = i + 1;
    // Lines made only of base64 characters continue the run; a long one may go on further.
    let last = i;
    let lastEnd = end;
    while (j < lines.length) {
      const next = lines[j]!;
      const nextEnd = body(next);
      let head = 0;
      while (head < nextEnd && isBase64Char(next.charCodeAt(head))) head += 1;
      if (nextEnd === 0 || head < nextEnd) break;
      joined += next.slice(0, nextEnd);
      last = j;
      lastEnd = nextEnd;
      j += 1;
      if (nextEnd < WRAP_WIDTH_MIN) break;
    }
    if (last > i) runs.push({ first: i, last, start, end: lastEnd, joined });
    i = Math.max(j, i + 1);
  }
  return runs;
}

function redactWrapped(text: string, redactSecrets: (text: string) => string): string {
  if (!text.includes("\n")) return text;
  const lines = text.split("\n");
  const runs = wrappedRuns(lines);
  // From the last run to the first, so that line numbers stay right.
  for (const run of runs.reverse()) {
    const redacted = redactSecrets(run.joined);
    if (redacted === run.joined) continue;
    const before = lines[run.first]!.slice(0, run.start);
    const after = lines[run.last]!.slice(run.end);
    lines.splice(run.first, run.last - run.first + 1, `${before}${redacted}${after}`);
  }
  return lines.join("\n");
}

/** The strings under which `secret` can show up in output. */
export function secretForms(secret: string): string[] {
  const forms = [secret];
  const bytes = Buffer.from(secret, "utf8");

  // Base64 inside a longer base64 string: the encoding of the secret depends on
  // its byte offset modulo 3. Encode it behind 0, 1 and 2 filler bytes and keep
  // only the characters made of secret bits alone (independent of the filler
  // and of whatever follows).
  for (let offset = 0; offset < 3; offset += 1) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
    const start = Math.ceil((offset * 8) / 6);
    const end = Math.floor(((offset + bytes.length) * 8) / 6);
    const middle = encoded.slice(start, end);
    forms.push(middle, toBase64Url(middle));
  }

  // git's `Authorization: Basic base64(x-access-token:<token>)`, whole (the
  // aligned middle above already covers it inside longer text).
  const basic = Buffer.from(`x-access-token:${secret}`, "utf8").toString("base64");
  forms.push(basic, toBase64Url(basic));

  const urlEncoded = encodeURIComponent(secret);
  forms.push(
    urlEncoded,
    urlEncoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
  );

  // The forms above are at least MIN_SECRET_LENGTH - 1 characters only for
  // secrets of at least MIN_SECRET_LENGTH bytes; never redact tiny fragments.
  return [...new Set(forms)].filter((form) => form.length >= MIN_SECRET_LENGTH - 1);
}

const GITHUB_TOKEN_PATTERNS: readonly RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{36,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
];

// Known credential shapes. Each keeps the surrounding structure readable and
// replaces only the secret part.
const KNOWN_TOKEN_PATTERNS: readonly [RegExp, string][] = [
  // PEM private keys (RSA, EC, OPENSSH, PKCS#8, encrypted), also with escaped
  // newlines as in a .env file, and cut-off blocks at the end of a log.
  [
    /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g,
    `-----BEGIN $1PRIVATE KEY-----${REDACTED}-----END $1PRIVATE KEY-----`,
  ],
  // GitHub tokens: personal (ghp_), OAuth (gho_), user-to-server (ghu_),
  // installation (ghs_), refresh (ghr_); fine-grained personal tokens.
  ...GITHUB_TOKEN_PATTERNS.map((pattern): [RegExp, string] => [pattern, REDACTED]),
  // Old-style installation tokens.
  [/\bv1\.[0-9a-f]{40}\b/g, REDACTED],
  // Credentials in URLs: https://x-access-token:TOKEN@host, https://user:pass@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@'"<>]+):([^\s/'"<>]+)@/gi, `$1$2:${REDACTED}@`],
  // Authorization header values, also as JSON/YAML keys and git's http.extraheader.
  [
    /\b(authorization["']?\s*[:=]\s*["']?)(token|bearer|basic)(\s+)[^\s"',;]+/gi,
    `$1$2$3${REDACTED}`,
  ],
];

/** Redact GitHub token shapes, credentials in URLs, Authorization values and private keys. */
export function redactKnownTokens(text: string): string {
  let result = text;
  for (const [pattern, replacement] of KNOWN_TOKEN_PATTERNS) {
    result = result.replace(pattern, replacement);
  }
  return result;
}

function toBase64Url(base64: string): string {
  return base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}
