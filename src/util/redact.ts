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
 * A function that replaces each secret (and its encoded forms) with
 * `[REDACTED]`, then applies `redactKnownTokens`. Built once per job: one
 * combined RegExp scans the text once however many secrets there are.
 */
export function createRedactor(secrets: readonly string[]): Redactor {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    for (const form of secretForms(secret)) forms.add(form);
  }
  if (forms.size === 0) return redactKnownTokens;
  // Longest first: where one form is a prefix of another, the longer one wins.
  const alternatives = [...forms].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = new RegExp(alternatives.join("|"), "g");
  return (text: string) => redactKnownTokens(text.replace(pattern, REDACTED));
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
  [/\bgh[pousr]_[A-Za-z0-9]{36,}/g, REDACTED],
  [/\bgithub_pat_[A-Za-z0-9_]{20,}/g, REDACTED],
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
