/**
 * Every output the app writes (logs, status comments, check-run text) goes
 * through a redactor: the configured secrets in the forms they leak in
 * (plain, base64 as in git's Basic auth header or a dumped config, URL-encoded,
 * hex, written backwards), and GitHub token shapes even when nobody configured them.
 */

export const REDACTED = "[REDACTED]";

/** Shorter secrets would redact ordinary words. */
export const MIN_SECRET_LENGTH = 8;

export type Redactor = (text: string) => string;

/**
 * A function that replaces each secret (and its encoded forms, also wrapped
 * over lines, and each long line of a multi-line secret) with `[REDACTED]`,
 * then applies `redactKnownTokens`. Built once per job: one multi-string
 * search (NeedleSet) scans the text however many secrets and forms there are.
 */
export function createRedactor(secrets: readonly string[]): Redactor {
  const needles = new NeedleSet(secretsNeedles(secrets));
  if (needles.size === 0) return redactKnownTokens;
  const redactSecrets = (text: string) => needles.replaceAll(text, REDACTED);
  // Wrapped runs first: a marker put into one line would end the run it belongs to.
  return (text: string) => redactKnownTokens(redactSecrets(redactWrapped(text, redactSecrets)));
}

/**
 * Whether text holds one of the secrets or a GitHub token. For refusing to
 * publish something, where redacting is not possible (a commit): credentials
 * in URLs and Authorization headers are not counted, since code and tests
 * hold harmless ones.
 *
 * Looks harder than the redactor: each form of each secret (and of each long
 * line of a multi-line one) is searched for in the text with all whitespace
 * (and NULs, so UTF-16 too) removed, which finds it wrapped over lines or
 * split by spaces; again with string-concatenation noise removed
 * (`"ghs_ab" +\n "cd"`, `'a' . 'b'`, `["ab","cd"]`); and its hex forms once
 * more in the text reduced to hex digits (`0x2d, 0x2d`, `\x2d\x2d`, `%2D%2D`,
 * `2d:2d`, any case). A tripwire, not a proof: compressed or encrypted
 * secrets pass.
 */
export function createSecretFinder(secrets: readonly string[]): (text: string) => boolean {
  // Without the g flag, test() keeps no state between calls.
  const tokens = GITHUB_TOKEN_PATTERNS.map((p) => new RegExp(p.source));
  const forms = secretsNeedles(secrets)
    .map((form) => squeeze(form).compact)
    .filter((form) => form.length >= MIN_SECRET_LENGTH - 1);
  const all = new NeedleSet(forms);
  const hex = new NeedleSet(
    [...secrets, ...linesOf(secrets)]
      .filter((secret) => secret.length >= MIN_SECRET_LENGTH)
      .flatMap((secret) => {
        const forward = hexForms(secret)[0]!;
        return [forward, reverse(forward), hexForms(reverse(secret))[0]!];
      }),
  );
  // A form with a quote in it could lose it to the removal of concatenations.
  const quoted = forms.some((form) => /["'`]/.test(form));
  return (text: string) => {
    if (tokens.some((p) => p.test(text))) return true;
    if (all.size === 0) return false;
    const { compact, digits } = squeeze(text);
    const joined = compact.replace(CONCATENATION, "");
    if (all.has(joined)) return true;
    if (quoted && joined.length !== compact.length && all.has(compact)) return true;
    if (hex.has(digits)) return true;
    // The zeros of `\u002d` are not hex digits of the text.
    return text.includes("\\u00") && hex.has(squeeze(text.replaceAll("\\u00", "")).digits);
  };
}

/** Quotes around a concatenation, once whitespace is gone: `"+"`, `'.'`, `","`, `""`. */
const CONCATENATION = /(["'`])[+.,]?\1/g;

/**
 * `text` without what the finder looks through: whitespace, control
 * characters, NULs (so UTF-16 too) and zero-width characters; and its hex
 * digits alone, in lower case (without the 0 of `0x`). One pass by hand,
 * without branches on the characters (tables say what to keep): a RegExp
 * replace that removes millions of pieces is ten times slower.
 */
function squeeze(text: string): { compact: string; digits: string } {
  const length = text.length;
  const narrow = new Uint8Array(length);
  const digits = new Uint8Array(length);
  let c = 0;
  let d = 0;
  let seen = 0;
  let zero = 0;
  for (let i = 0; i < length; i += 1) {
    const code = text.charCodeAt(i);
    seen |= code;
    narrow[c] = code;
    c += KEEP[code]!;
    digits[d] = HEX_DIGIT[code]!;
    // The 0 of a 0x prefix is not a hex digit of the text.
    d += IS_HEX_DIGIT[code]! - (IS_X[code]! & zero);
    zero = IS_ZERO[code]!;
  }
  const hex = Buffer.from(digits.buffer, 0, d).toString("latin1");
  if (seen <= 0xff) {
    return { compact: Buffer.from(narrow.buffer, 0, c).toString("latin1"), digits: hex };
  }
  const wide = new Uint16Array(length);
  c = 0;
  for (let i = 0; i < length; i += 1) {
    const code = text.charCodeAt(i);
    wide[c] = code;
    c += KEEP[code]!;
  }
  // UTF-16 in the machine's byte order: little-endian on every platform Node runs the app on.
  return { compact: Buffer.from(wide.buffer, 0, c * 2).toString("utf16le"), digits: hex };
}

/** By UTF-16 code unit: 0 for what squeeze() drops (what `\s` matches, controls, zero-width characters). */
const KEEP = new Uint8Array(0x10000).fill(1);
/** By UTF-16 code unit: the lower-case hex digit, or 0. */
const HEX_DIGIT = new Uint8Array(0x10000);
const IS_HEX_DIGIT = new Uint8Array(0x10000);
const IS_ZERO = new Uint8Array(0x10000);
const IS_X = new Uint8Array(0x10000);
{
  IS_ZERO[0x30] = 1;
  IS_X[0x78] = 1;
  IS_X[0x58] = 1;
  const invisible = [0xad, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x2060, 0x3000, 0xfeff];
  for (let code = 0; code <= 0x20; code += 1) KEEP[code] = 0;
  for (let code = 0x7f; code <= 0xa0; code += 1) KEEP[code] = 0;
  for (let code = 0x2000; code <= 0x200d; code += 1) KEEP[code] = 0;
  for (const code of invisible) KEEP[code] = 0;
  for (const digit of "0123456789abcdef") {
    for (const form of [digit, digit.toUpperCase()]) {
      HEX_DIGIT[form.charCodeAt(0)] = digit.charCodeAt(0);
      IS_HEX_DIGIT[form.charCodeAt(0)] = 1;
    }
  }
}

/** Every form of every secret and of the long lines of multi-line ones. */
function secretsNeedles(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of [...secrets, ...linesOf(secrets)]) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    for (const form of secretForms(secret)) forms.add(form);
  }
  return [...forms];
}

/** Lines of a multi-line secret shorter than this are not secrets on their own. */
const MIN_SECRET_LINE_LENGTH = 20;

/**
 * The long lines of multi-line secrets (a PEM key's): a line shows up alone
 * where the whole does not (JSON-escaped newlines, a `grep`, output cut in
 * the middle of the key). Not PEM's armor lines (`-----BEGIN RSA PRIVATE
 * KEY-----`): every key has them, and code that reads keys holds them.
 */
function linesOf(secrets: readonly string[]): string[] {
  return secrets
    .filter((secret) => secret.includes("\n"))
    .flatMap((secret) => secret.split(/\r?\n/).map((line) => line.trim()))
    .filter((line) => line.length >= MIN_SECRET_LINE_LENGTH && !PEM_ARMOR.test(line));
}

const PEM_ARMOR = /^-----(BEGIN|END) [A-Z0-9 ]+-----$/;

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

/**
 * The strings under which `secret` can show up in output: its encodings, each
 * also written backwards, and the encodings of the secret written backwards.
 */
export function secretForms(secret: string): string[] {
  const forward = encodedForms(secret);
  const all = new Set([...forward, ...forward.map(reverse), ...encodedForms(reverse(secret))]);
  // The forms are at least MIN_SECRET_LENGTH - 1 characters only for secrets
  // of at least MIN_SECRET_LENGTH bytes; never redact tiny fragments.
  return [...all].filter((form) => form.length >= MIN_SECRET_LENGTH - 1);
}

function encodedForms(secret: string): string[] {
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

  forms.push(...hexForms(secret));
  return forms;
}

/** The secret's UTF-8 bytes in hex, lower and upper case. */
function hexForms(secret: string): string[] {
  const hex = Buffer.from(secret, "utf8").toString("hex");
  return [hex, hex.toUpperCase()];
}

/** Written backwards, by code point. */
function reverse(text: string): string {
  return [...text].reverse().join("");
}

// The credential shapes the app knows, written once: the redactor, the secret
// finder and the check of the agent's environment (agents/agent-env.ts) use these.
const GITHUB_TOKEN_PATTERNS: readonly RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{36,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
];
const OLD_INSTALLATION_TOKEN = /\bv1\.[0-9a-f]{40}\b/g;
const PRIVATE_KEY_BLOCK =
  /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;

/** Whether a value holds a GitHub token of any kind, an old installation token or a PEM private key. */
export function looksLikeCredential(value: string): boolean {
  return [...GITHUB_TOKEN_PATTERNS, OLD_INSTALLATION_TOKEN, PRIVATE_KEY_BLOCK].some((pattern) =>
    new RegExp(pattern.source).test(value),
  );
}

// Known credential shapes. Each keeps the surrounding structure readable and
// replaces only the secret part.
const KNOWN_TOKEN_PATTERNS: readonly [RegExp, string][] = [
  // PEM private keys (RSA, EC, OPENSSH, PKCS#8, encrypted), also with escaped
  // newlines as in a .env file, and cut-off blocks at the end of a log.
  [PRIVATE_KEY_BLOCK, `-----BEGIN $1PRIVATE KEY-----${REDACTED}-----END $1PRIVATE KEY-----`],
  // GitHub tokens: personal (ghp_), OAuth (gho_), user-to-server (ghu_),
  // installation (ghs_), refresh (ghr_); fine-grained personal tokens.
  ...GITHUB_TOKEN_PATTERNS.map((pattern): [RegExp, string] => [pattern, REDACTED]),
  // Old-style installation tokens.
  [OLD_INSTALLATION_TOKEN, REDACTED],
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

const GRAM_FILTER_BITS = 16;
const GRAM_MIX = 0x9e3779b1;

/**
 * A fixed set of strings (each at least 4 characters long) searched for all
 * at once: one pass over the text keeps its last 4 characters in one 32-bit
 * number, a 64 KiB table says whether some needle may start with them, and
 * only there are the needles starting with them compared. Linear in the text;
 * a RegExp alternation of hundreds of literals (a PEM key's lines in a dozen
 * encodings) is many times slower.
 */
class NeedleSet {
  readonly size: number;
  /** The shortest needle's length (Infinity when there is none). */
  readonly minLength: number;
  private readonly filter = new Uint8Array(1 << GRAM_FILTER_BITS);
  /** Needles by their first 4 characters, longest first (the longest match wins). */
  private readonly byGram = new Map<number, string[]>();
  /** Length of the needle found by the last find(). */
  private matched = 0;

  constructor(needles: Iterable<string>) {
    const unique = [...new Set(needles)];
    if (unique.some((needle) => needle.length < 4)) {
      throw new Error("needles are 4 characters or more");
    }
    this.size = unique.length;
    this.minLength = unique.reduce((min, needle) => Math.min(min, needle.length), Infinity);
    for (const needle of unique) {
      let gram = 0;
      for (let k = 0; k < 4; k += 1) gram = (gram << 8) ^ needle.charCodeAt(k);
      this.filter[Math.imul(gram, GRAM_MIX) >>> (32 - GRAM_FILTER_BITS)] = 1;
      this.byGram.set(gram, [...(this.byGram.get(gram) ?? []), needle]);
    }
    for (const group of this.byGram.values()) group.sort((a, b) => b.length - a.length);
  }

  has(text: string): boolean {
    return this.find(text, 0) >= 0;
  }

  /** Every occurrence (leftmost first, the longest where several start at one place) replaced. */
  replaceAll(text: string, replacement: string): string {
    let at = this.find(text, 0);
    if (at < 0) return text;
    const parts: string[] = [];
    let done = 0;
    while (at >= 0) {
      parts.push(text.slice(done, at), replacement);
      done = at + this.matched;
      at = this.find(text, done);
    }
    parts.push(text.slice(done));
    return parts.join("");
  }

  /** Where the first needle at or after `from` starts (-1: none); its length goes to `matched`. */
  private find(text: string, from: number): number {
    const last = text.length - this.minLength;
    if (from > last) return -1;
    const filter = this.filter;
    // The 4 characters from i on, each shifted 8 bits further than the next:
    // older characters fall out of the 32 bits by themselves.
    let gram =
      (text.charCodeAt(from) << 16) ^ (text.charCodeAt(from + 1) << 8) ^ text.charCodeAt(from + 2);
    for (let i = from; i <= last; i += 1) {
      gram = (gram << 8) ^ text.charCodeAt(i + 3);
      if (filter[Math.imul(gram, GRAM_MIX) >>> (32 - GRAM_FILTER_BITS)] === 0) continue;
      const group = this.byGram.get(gram);
      if (group === undefined) continue;
      for (const needle of group) {
        if (text.startsWith(needle, i)) {
          this.matched = needle.length;
          return i;
        }
      }
    }
    return -1;
  }
}
