import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  createRedactor,
  createSecretFinder,
  looksLikeCredential,
  redactKnownTokens,
  secretForms,
} from "../../src/util/redact.js";

const SECRET = "s3cr3t-Pa55word/with+odd=chars";
const TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a";

/** Deterministic pseudo-random bytes, so a failure can be reproduced. */
function seededBytes(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed || 1;
  for (let i = 0; i < length; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe("createRedactor: plain and encoded secrets", () => {
  const redact = createRedactor([SECRET, TOKEN]);

  it("replaces every plain occurrence", () => {
    expect(redact(`a ${SECRET} b ${SECRET}${SECRET}`)).toBe("a [REDACTED] b [REDACTED][REDACTED]");
    expect(redact(`token=${TOKEN}\n`)).toBe("token=[REDACTED]\n");
  });

  it("leaves text without secrets alone", () => {
    const text = "npm test\n  ✓ store.get returns undefined (3 ms)\n";
    expect(redact(text)).toBe(text);
  });

  it("redacts base64 at every byte alignment inside longer base64", () => {
    // "~~~?>?>..." encodes to base64 with "+" and "/", where base64url differs.
    for (const secret of [SECRET, TOKEN, "12345678", "ünïcödé-sëcrét", "~~~?>?>~~~?>?>"]) {
      const redactOne = createRedactor([secret]);
      for (let prefix = 0; prefix <= 5; prefix += 1) {
        for (let suffix = 0; suffix <= 5; suffix += 1) {
          const bytes = Buffer.concat([
            seededBytes(prefix * 7 + suffix + 1, prefix),
            Buffer.from(secret),
            seededBytes(prefix + suffix * 11 + 3, suffix),
          ]);
          for (const encoded of [bytes.toString("base64"), bytes.toString("base64url")]) {
            const out = redactOne(`data: ${encoded}\n`);
            const label = `${secret} prefix=${prefix} suffix=${suffix} ${encoded}`;
            expect(out, label).toContain("[REDACTED]");
            // What is left around the marker no longer decodes to the secret.
            const left = out.replace("[REDACTED]", "");
            expect(Buffer.from(left, "base64").includes(Buffer.from(secret)), label).toBe(false);
            // At most 4 characters of secret-dependent base64 survive on each side.
            const [before = "", after = ""] = out.slice("data: ".length).trim().split("[REDACTED]");
            expect(before.length, label).toBeLessThanOrEqual(Math.ceil((prefix * 8) / 6) + 1);
            expect(after.length, label).toBeLessThanOrEqual(Math.ceil((suffix * 8) / 6) + 4);
          }
        }
      }
    }
  });

  it("redacts git's Basic auth header with x-access-token", () => {
    const header = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");
    expect(redact(`http.extraheader=AUTHORIZATION: basic ${header}`)).toBe(
      "http.extraheader=AUTHORIZATION: basic [REDACTED]",
    );
    // Also where no header name says what it is.
    const header2 = Buffer.from(`x-access-token:${SECRET}`).toString("base64");
    expect(redact(`cred ${header2} end`)).toBe("cred [REDACTED] end");
  });

  it("redacts the URL-encoded form", () => {
    const encoded = encodeURIComponent(SECRET);
    expect(encoded).not.toBe(SECRET);
    expect(redact(`GET /login?password=${encoded}&next=/`)).toBe(
      "GET /login?password=[REDACTED]&next=/",
    );
    expect(redact(`x=${encoded.toLowerCase().replace(/pa55word/i, "Pa55word")}`)).not.toContain(
      "Pa55word",
    );
  });

  it("ignores secrets shorter than 8 characters", () => {
    const redactShort = createRedactor(["abc", "1234567", "", "the"]);
    const text = "the abc 1234567 other text";
    expect(redactShort(text)).toBe(text);
    expect(secretForms("12345678")).toContain("12345678");
  });

  it("treats secrets as literal text, not patterns", () => {
    const tricky = "a.b*c+d?(e)[f]{g}|h^$\\i/";
    const redactTricky = createRedactor([tricky]);
    expect(redactTricky(`x ${tricky} y`)).toBe("x [REDACTED] y");
    expect(redactTricky("x aXbbbc y")).toBe("x aXbbbc y");
  });

  it("prefers the longest match when one secret contains another", () => {
    const redactNested = createRedactor(["password1", "password1-extended"]);
    expect(redactNested("password1-extended!")).toBe("[REDACTED]!");
  });

  it("does not redact random base64 that does not hold a secret", () => {
    const secrets = Array.from({ length: 20 }, (_, i) => seededBytes(i + 100, 20).toString("hex"));
    const noise = seededBytes(42, 200_000).toString("base64");
    expect(createRedactor(secrets)(noise)).toBe(noise);
  });

  it("also applies redactKnownTokens", () => {
    const other = "ghp_" + "A".repeat(36);
    expect(createRedactor([SECRET])(`${SECRET} ${other}`)).toBe("[REDACTED] [REDACTED]");
    expect(createRedactor([])(other)).toBe("[REDACTED]");
  });
});

describe("createRedactor: hex and reversed forms", () => {
  const redact = createRedactor([SECRET, TOKEN]);
  const hex = (text: string) => Buffer.from(text).toString("hex");
  const reverse = (text: string) => [...text].reverse().join("");

  it("redacts the hex form, lower and upper case, also inside longer hex", () => {
    for (const secret of [SECRET, TOKEN]) {
      expect(redact(`env: ${hex(secret)}\n`)).toBe("env: [REDACTED]\n");
      expect(redact(`env: ${hex(secret).toUpperCase()}\n`)).toBe("env: [REDACTED]\n");
      expect(redact(`${hex("PATH=/usr/bin\nTOKEN=")}${hex(secret)}0a`)).toBe(
        `${hex("PATH=/usr/bin\nTOKEN=")}[REDACTED]0a`,
      );
    }
  });

  it("redacts the secret and its encodings written backwards", () => {
    expect(redact(`x ${reverse(TOKEN)} y`)).toBe("x [REDACTED] y");
    expect(redact(reverse(Buffer.from(SECRET).toString("base64")))).toBe("[REDACTED]");
    expect(redact(reverse(hex(SECRET)))).toBe("[REDACTED]");
    expect(redact(hex(reverse(SECRET)))).toBe("[REDACTED]");
  });

  it("redacts each long line of a multi-line secret in hex", () => {
    const key = [
      "-----BEGIN TEST KEY-----",
      "A".repeat(20) + "x9".repeat(20),
      "-----END TEST KEY-----",
    ];
    const redactKey = createRedactor([key.join("\n")]);
    expect(redactKey(`dump ${hex(key[1]!)} end`)).toBe("dump [REDACTED] end");
  });
});

describe("createSecretFinder: encodings and noise", () => {
  const WEBHOOK = "whsec+Zm9vYmFy/c2VjcmV0=x9Q2!";
  const holds = createSecretFinder([SECRET, TOKEN, WEBHOOK]);
  const hex = (text: string) => Buffer.from(text).toString("hex");
  const reverse = (text: string) => [...text].reverse().join("");
  const wrap = (text: string, width: number) =>
    text.replace(new RegExp(`.{${width}}`, "g"), "$&\n");

  it.each<[string, string]>([
    ["plain", `x ${WEBHOOK} y`],
    ["hex", `${hex(`a${WEBHOOK}`)}`],
    ["upper-case hex wrapped at 60", wrap(hex(`env\nWEBHOOK=${WEBHOOK}\n`).toUpperCase(), 60)],
    ["hex with 0x prefixes", [...Buffer.from(TOKEN)].map((b) => `0x${b.toString(16)}`).join(", ")],
    ["hex with \\x escapes", [...Buffer.from(TOKEN)].map((b) => `\\x${b.toString(16)}`).join("")],
    [
      "hex with \\u00 escapes",
      [...Buffer.from(TOKEN)].map((b) => `\\u00${b.toString(16)}`).join(""),
    ],
    ["hex separated by colons", [...Buffer.from(WEBHOOK)].map((b) => b.toString(16)).join(":")],
    ["URL-encoded", `?s=${encodeURIComponent(WEBHOOK)}`],
    [
      "URL-encoded with lower-case escapes",
      `?s=${encodeURIComponent(WEBHOOK).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())}`,
    ],
    [
      "every byte percent-encoded",
      [...Buffer.from(TOKEN)].map((b) => `%${b.toString(16)}`).join(""),
    ],
    ["base64 behind one byte", Buffer.from(`x${WEBHOOK}`).toString("base64")],
    ["base64url", Buffer.from(`xy${SECRET}`).toString("base64url")],
    ["reversed", reverse(TOKEN)],
    ["reversed base64", reverse(Buffer.from(WEBHOOK).toString("base64"))],
    ["base64 of the reversed secret", Buffer.from(reverse(WEBHOOK)).toString("base64")],
    ["reversed hex", reverse(hex(TOKEN))],
    ["split by spaces", TOKEN.replace(/(.{5})/g, "$1 ")],
    ["split by zero-width spaces", TOKEN.replace(/(.{5})/g, "$1\u200b")],
    [
      "a JS concatenation",
      `const t = "${TOKEN.slice(0, 9)}" +\n  "${TOKEN.slice(9, 30)}"\n  + "${TOKEN.slice(30)}";`,
    ],
    ["a PHP concatenation", `$t = '${WEBHOOK.slice(0, 12)}' . '${WEBHOOK.slice(12)}';`],
    ["an array joined", `["${TOKEN.slice(0, 20)}", "${TOKEN.slice(20)}"].join("")`],
    ["Python implicit concatenation", `t = ("${TOKEN.slice(0, 20)}"\n     "${TOKEN.slice(20)}")`],
    ["UTF-16", Buffer.from(`k=${WEBHOOK}`, "utf16le").toString("latin1")],
  ])("finds a secret %s", (_label, text) => {
    expect(holds(text)).toBe(true);
  });

  it("finds each long line of a multi-line secret in hex wrapped over lines", () => {
    const line = "MIIEowIBAAKCAQEA" + "q3mZ0r8FvQ".repeat(4);
    const key = ["-----BEGIN RSA PRIVATE KEY-----", line, "-----END RSA PRIVATE KEY-----"].join(
      "\n",
    );
    const holdsKey = createSecretFinder([key]);
    expect(holdsKey(wrap(hex(`junk ${line} junk`), 60))).toBe(true);
    // Every key has the armor lines: they alone are not the key.
    expect(holdsKey(wrap(hex("-----BEGIN RSA PRIVATE KEY-----"), 60))).toBe(false);
    expect(holdsKey('if (pem.startsWith("-----BEGIN RSA PRIVATE KEY-----")) {')).toBe(false);
  });

  it("finds nothing in ordinary code, hashes and encoded binary data", () => {
    const code = [
      'import { createHash } from "node:crypto";',
      `const sha = "${seededBytes(7, 20).toString("hex")}";`,
      `const SHA = "${seededBytes(8, 32).toString("hex").toUpperCase()}";`,
      `const msg = "a" + 'b' + \`c\` + ["d", "e"].join(",") + "0x1f" + "\\x41";`,
      'const header = { Authorization: "Bearer test-token" };',
      "const fake = 'ghs_short';",
    ].join("\n");
    expect(holds(code)).toBe(false);
    expect(holds(wrap(seededBytes(9, 300_000).toString("base64"), 76))).toBe(false);
    expect(holds(wrap(seededBytes(10, 300_000).toString("hex"), 60))).toBe(false);
    expect(holds(seededBytes(11, 300_000).toString("latin1"))).toBe(false);
  });

  // Not timed (speed is a benchmark's business): the test's own time limit only
  // catches a search that went quadratic, which would take minutes on 8 MB.
  it(
    "finds nothing in 8 MB of random printable text with a PEM-sized secret set",
    { timeout: 30_000 },
    () => {
      const lines = Array.from({ length: 26 }, (_, i) =>
        seededBytes(i + 500, 48).toString("base64"),
      );
      const key = [
        "-----BEGIN RSA PRIVATE KEY-----",
        ...lines,
        "-----END RSA PRIVATE KEY-----",
      ].join("\n");
      const holdsAll = createSecretFinder([key, WEBHOOK, TOKEN]);
      const bytes = seededBytes(12, 8_000_000);
      for (let i = 0; i < bytes.length; i += 1)
        bytes[i] = i % 61 === 60 ? 10 : 32 + (bytes[i]! % 95);
      const text = bytes.toString("latin1");
      expect(holdsAll(text)).toBe(false);
    },
  );
});

describe("redactKnownTokens", () => {
  const body36 = "16C7e42F292c6912E7710c838347Ae178B4a";

  it.each(["ghs_", "ghp_", "gho_", "ghu_", "ghr_"])("redacts %s tokens", (prefix) => {
    expect(redactKnownTokens(`token ${prefix}${body36} used`)).toBe("token [REDACTED] used");
    expect(redactKnownTokens(`"${prefix}${body36}x2"`)).toBe('"[REDACTED]"');
  });

  it("leaves things that only look a bit like tokens", () => {
    const text = [
      "ghs_short",
      "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
      "gh_pages",
      "https://github.com/owner/repo.git",
      "ssh://git@github.com/owner/repo.git",
      "http://localhost:3000/api and mail@example.com",
      "Authorization required",
    ].join("\n");
    expect(redactKnownTokens(text)).toBe(text);
  });

  it("redacts fine-grained personal access tokens", () => {
    const pat = "github_pat_11ABCDEFG0123456789abc_" + "x".repeat(59);
    expect(redactKnownTokens(`GH_TOKEN=${pat}\n`)).toBe("GH_TOKEN=[REDACTED]\n");
  });

  it("redacts old-style installation tokens", () => {
    expect(redactKnownTokens(`v1.${"0123456789abcdef0123".repeat(2)}`)).toBe("[REDACTED]");
  });

  it("redacts credentials in URLs", () => {
    expect(
      redactKnownTokens(
        "fatal: unable to access 'https://x-access-token:opaque-token-123@github.com/o/r.git/'",
      ),
    ).toBe("fatal: unable to access 'https://x-access-token:[REDACTED]@github.com/o/r.git/'");
    expect(redactKnownTokens("redis://default:hunter2@redis:6379/0")).toBe(
      "redis://default:[REDACTED]@redis:6379/0",
    );
    expect(redactKnownTokens("https://user:p@ss:w0rd@ghe.example.com/x")).toBe(
      "https://user:[REDACTED]@ghe.example.com/x",
    );
    expect(redactKnownTokens(`https://${"ghs_" + body36}@github.com/o/r`)).toBe(
      "https://[REDACTED]@github.com/o/r",
    );
  });

  it("redacts Authorization header values", () => {
    expect(redactKnownTokens("Authorization: token abc.def-123")).toBe(
      "Authorization: token [REDACTED]",
    );
    expect(redactKnownTokens("authorization: Bearer eyJhbGciOi.eyJzdWIi.sig\nnext")).toBe(
      "authorization: Bearer [REDACTED]\nnext",
    );
    expect(redactKnownTokens('{"Authorization":"Basic dXNlcjpwYXNz","x":1}')).toBe(
      '{"Authorization":"Basic [REDACTED]","x":1}',
    );
    expect(redactKnownTokens("git -c http.extraheader='AUTHORIZATION: basic eC1hY2Nlc3M='")).toBe(
      "git -c http.extraheader='AUTHORIZATION: basic [REDACTED]'",
    );
  });

  it("redacts PEM private key blocks", () => {
    const key = [
      "-----BEGIN RSA PRIVATE KEY-----",
      "MIIEowIBAAKCAQEAx4L7o2Xf3vQf5h0mP2d1h8u9bq3m4B0JcFQ2l3pN3h2o5Zx8",
      "q3mZ0r8FvQ==",
      "-----END RSA PRIVATE KEY-----",
    ].join("\n");
    const out = redactKnownTokens(`before\n${key}\nafter`);
    expect(out).toBe(
      "before\n-----BEGIN RSA PRIVATE KEY-----[REDACTED]-----END RSA PRIVATE KEY-----\nafter",
    );
    // PKCS#8 and OpenSSH keys, escaped newlines as in a .env file.
    const escaped =
      "PRIVATE_KEY=-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----";
    expect(redactKnownTokens(escaped)).toBe(
      "PRIVATE_KEY=-----BEGIN PRIVATE KEY-----[REDACTED]-----END PRIVATE KEY-----",
    );
    const openssh =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----";
    expect(redactKnownTokens(openssh)).not.toContain("b3BlbnNzaC1rZXk");
    // A block cut off by output truncation is redacted to the end.
    const cut = "log\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIrY...";
    expect(redactKnownTokens(cut)).not.toContain("MHcCAQEEIIrY");
    // Public keys and certificates are not secrets.
    const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
    expect(redactKnownTokens(cert)).toBe(cert);
  });
});

describe("looksLikeCredential: the shapes redactKnownTokens knows, for the agent's environment", () => {
  const credentials = [
    TOKEN,
    `ghp_${"a".repeat(36)}`,
    `github_pat_${"B".repeat(22)}_x`,
    `v1.${"0123456789abcdef".repeat(2)}01234567`,
    "-----BEGIN RSA PRIVATE KEY-----\nMIIE",
    "-----BEGIN PRIVATE KEY-----",
  ];
  it.each(credentials)("knows %s, alone and inside other text", (value) => {
    expect(looksLikeCredential(value)).toBe(true);
    expect(looksLikeCredential(`prefix ${value} suffix`)).toBe(true);
    // and redactKnownTokens hides what looksLikeCredential sees
    expect(redactKnownTokens(value)).not.toBe(value);
  });
  it.each(["sk-ant-api03-not-github", "ghp_short", "v1.notHex", "BEGIN PRIVATE KEY", ""])(
    "lets %j through",
    (value) => {
      expect(looksLikeCredential(value)).toBe(false);
    },
  );
  it("is the same on every call (no global regex state)", () => {
    expect([1, 2, 3].map(() => looksLikeCredential(TOKEN))).toEqual([true, true, true]);
  });
});

describe("redaction of a large log", () => {
  // Not timed (speed is a benchmark's business): the test's own time limit only
  // catches a redactor that went quadratic, which would take minutes on 10 MB.
  it("redacts a 10 MB log with 20 secrets, every occurrence", { timeout: 30_000 }, () => {
    const secrets = Array.from({ length: 20 }, () => randomBytes(20).toString("base64"));
    const lines: string[] = [];
    let size = 0;
    let i = 0;
    while (size < 10_000_000) {
      const line =
        i % 5000 === 0
          ? `step ${i}: using ${secrets[i % 20]} and ${Buffer.from(`x-access-token:${secrets[(i + 1) % 20]}`).toString("base64")}`
          : `2026-01-29T12:00:00.000Z info [worker] step ${i}: PASS test/store.test.js (12 ms) https://github.com/o/r/pull/${i}`;
      lines.push(line);
      size += line.length + 1;
      i += 1;
    }
    const text = lines.join("\n");
    const redact = createRedactor(secrets);
    const out = redact(text);
    for (const secret of secrets) expect(out).not.toContain(secret);
    expect(out.split("[REDACTED]").length - 1).toBe(2 * Math.ceil(lines.length / 5000));
  });
});
