/**
 * The pre-push secret scan (secretsInChanges) against a real git repository,
 * with the worker's real kinds of secrets as canaries: a GitHub App private
 * key (RSA, PEM), a webhook secret and an installation token. Each way an
 * agent could hide one in what is pushed is tried: encodings (hex wrapped at
 * 60 columns, base64, URL encoding, written backwards, split over a string
 * concatenation, UTF-16), places (a file, a commit message, a file name, a
 * commit a later one undid) and git's own ways to show something other than
 * the stored bytes (a textconv driver, a replace ref). Ordinary code and
 * fixtures must not count.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { secretsInChanges } from "../../src/pipeline/publish/secrets-in-changes.js";
import type { Workspace } from "../../src/pipeline/workspace/prepare-workspace.js";
import { git } from "../../src/process/git.js";
import { createSecretFinder } from "../../src/util/redact.js";

const PEM = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .privateKey.export({ type: "pkcs1", format: "pem" })
  .toString()
  .trim();
// Base64 characters (+ / =) so that URL encoding changes it.
const WEBHOOK_SECRET = `whsec+${randomBytes(18).toString("base64")}`;
const TOKEN = `ghs_${randomBytes(27).toString("base64url").replace(/[-_]/g, "x").slice(0, 36)}`;

const hex = (text: string) => Buffer.from(text).toString("hex");
const base64 = (text: string) => Buffer.from(text).toString("base64");
const wrap = (text: string, width: number) => text.replace(new RegExp(`.{${width}}`, "g"), "$&\n");
const reverse = (text: string) => [...text].reverse().join("");
const percentEncodeAll = (text: string) =>
  [...Buffer.from(text)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

type Files = Record<string, string | Buffer>;

/** A repository with a base commit (`files`) and a workspace whose baseSha is that commit. */
async function repo(files: Files = { "README.md": "# kv-store\n" }) {
  const dir = mkdtempSync(join(tmpdir(), "chant-secret-scan-"));
  dirs.push(dir);
  const run = (
    args: readonly string[],
    o: { maxOutputBytes?: number; input?: string; encoding?: "utf8" | "latin1" } = {},
  ) => git(args, { cwd: dir, redact: (t) => t, ...o });
  const write = (entries: Files) => {
    for (const [path, content] of Object.entries(entries)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
  };
  await run(["init", "--quiet", "--initial-branch=main"]);
  await run(["config", "user.name", "t"]);
  await run(["config", "user.email", "t@example.com"]);
  write(files);
  await run(["add", "-A"]);
  await run(["commit", "--quiet", "-m", "base"]);
  const baseSha = (await run(["rev-parse", "HEAD"])).trim();
  /** Commit `entries` (written over the checkout) and return the commit's short id. */
  const commit = async (entries: Files, message = "change") => {
    write(entries);
    await run(["add", "-A"]);
    await run(["commit", "--quiet", "--allow-empty", "-m", message]);
    return (await run(["rev-parse", "--short", "HEAD"])).trim();
  };
  const workspace = {
    dir,
    baseSha,
    git: run,
    holdsSecret: createSecretFinder([PEM, WEBHOOK_SECRET, TOKEN]),
  } as unknown as Workspace;
  return { dir, workspace, commit, run };
}

/** One commit on a fresh repository: what the scan reports. */
async function scanOne(entries: Files, message = "change") {
  const { workspace, commit } = await repo();
  const sha = await commit(entries, message);
  return { found: await secretsInChanges(workspace), sha };
}

describe("secretsInChanges finds the worker's secrets in what a push sends", () => {
  it.each<[string, () => Files]>([
    ["the private key in plain text", () => ({ "config/key.pem": `${PEM}\n` })],
    [
      "the key hex-encoded and wrapped at 60 columns",
      () => ({ "dump.txt": wrap(hex(`PRIVATE_KEY=${PEM}\n`), 60) }),
    ],
    [
      "the key hex-encoded in upper case, as a C byte array",
      () => ({
        "key.h": `static const char k[] = {${[...Buffer.from(PEM)].map((b) => `0x${b.toString(16).toUpperCase()}`).join(", ")}};\n`,
      }),
    ],
    ["the key in base64 on one line", () => ({ "notes.txt": `blob: ${base64(`x${PEM}`)}\n` })],
    ["the key in base64 wrapped at 76", () => ({ "notes.txt": wrap(base64(PEM), 76) })],
    [
      "the webhook secret URL-encoded",
      () => ({ "log.txt": `GET /hook?secret=${encodeURIComponent(WEBHOOK_SECRET)}&x=1\n` }),
    ],
    [
      "the token URL-encoded byte by byte",
      () => ({ "url.txt": `https://example.com/?t=${percentEncodeAll(TOKEN)}\n` }),
    ],
    ["the token written backwards", () => ({ "a.js": `export const s = "${reverse(TOKEN)}";\n` })],
    [
      "the token split over two lines of a string concatenation",
      () => ({
        "src/config.js": `export const token =\n  "${TOKEN.slice(0, 17)}" +\n  "${TOKEN.slice(17)}";\n`,
      }),
    ],
    [
      "the webhook secret split with single quotes and +",
      () => ({
        "cfg.py": `secret = ('${WEBHOOK_SECRET.slice(0, 10)}' +\n    '${WEBHOOK_SECRET.slice(10)}')\n`,
      }),
    ],
    [
      "one line of the key, hex-encoded backwards",
      () => ({ "x.txt": reverse(hex(PEM.split("\n")[5]!)) }),
    ],
    ["the key in UTF-16", () => ({ "key.txt": Buffer.from(PEM, "utf16le") })],
    [
      "the token inside a binary file",
      () => ({
        "image.png": Buffer.concat([randomBytes(3000), Buffer.from(TOKEN), randomBytes(3000)]),
      }),
    ],
  ])("%s", async (_label, entries) => {
    const files = entries();
    const { found, sha } = await scanOne(files);
    expect(found).toEqual([`\`${Object.keys(files)[0]}\` in commit ${sha}`]);
  });

  it("in a commit message", async () => {
    const { found, sha } = await scanOne(
      { "fix.js": "export const fixed = true;\n" },
      `fix the store\n\nsee ${base64(WEBHOOK_SECRET)}`,
    );
    expect(found).toEqual([`the message of commit ${sha}`]);
  });

  it("in a file name, and in a directory name", async () => {
    // The report never repeats a name that holds the secret (it is shown on GitHub).
    const { found, sha } = await scanOne({ [`${TOKEN}.txt`]: "nothing to see\n" });
    expect(found).toEqual([`a file whose name holds a secret, in commit ${sha}`]);
    const nested = await scanOne({ [`docs/${reverse(TOKEN)}/a.md`]: "# a\n" });
    expect(nested.found).toEqual([`a file whose name holds a secret, in commit ${nested.sha}`]);
  });

  it("in a commit a later commit undid (history is pushed too)", async () => {
    const { workspace, commit, run } = await repo();
    const first = await commit({ "loot.txt": wrap(hex(PEM), 60) }, "add notes");
    await run(["rm", "--quiet", "loot.txt"]);
    await run(["commit", "--quiet", "-m", "remove them again"]);
    await commit({ "fix.js": "export const fixed = true;\n" }, "fix");
    expect(await secretsInChanges(workspace)).toEqual([`\`loot.txt\` in commit ${first}`]);
  });

  it("behind a textconv driver that makes `git log --patch` show nothing", async () => {
    const { dir, workspace, commit, run } = await repo();
    writeFileSync(join(dir, ".gitattributes"), "*.pem diff=hide\n");
    await run(["config", "diff.hide.textconv", "true"]);
    const sha = await commit({ "app.pem": `${PEM}\n` }, "add key");
    // What the scan used to read: the key is not in it.
    const patch = await run([
      "log",
      "--patch",
      "--text",
      "--no-ext-diff",
      "--format=%h%n%B",
      `${workspace.baseSha}..HEAD`,
    ]);
    expect(patch).toContain("app.pem");
    expect(workspace.holdsSecret(patch)).toBe(false);
    expect(await secretsInChanges(workspace)).toEqual([`\`app.pem\` in commit ${sha}`]);
  });

  it("behind a replace ref that swaps the file for a clean one", async () => {
    const { workspace, commit, run } = await repo();
    const sha = await commit({ "key.pem": `${PEM}\n` }, "add key");
    const loot = (await run(["rev-parse", "HEAD:key.pem"])).trim();
    const clean = (await run(["hash-object", "-w", "--stdin"], { input: "nothing here\n" })).trim();
    await run(["replace", loot, clean]);
    expect(await secretsInChanges(workspace)).toEqual([`\`key.pem\` in commit ${sha}`]);
  });

  it("in a merge commit's own changes", async () => {
    const { workspace, commit, run, dir } = await repo();
    await run(["checkout", "--quiet", "-b", "side"]);
    await commit({ "side.js": "export const side = 1;\n" }, "side");
    await run(["checkout", "--quiet", "-"]);
    await commit({ "main.js": "export const main = 1;\n" }, "main");
    await run(["merge", "--quiet", "--no-ff", "--no-commit", "side"]);
    writeFileSync(join(dir, "side.js"), `export const side = "${reverse(WEBHOOK_SECRET)}";\n`);
    await run(["add", "-A"]);
    await run(["commit", "--quiet", "-m", "merge"]);
    const merge = (await run(["rev-parse", "--short", "HEAD"])).trim();
    expect(await secretsInChanges(workspace)).toEqual([`\`side.js\` in commit ${merge}`]);
  });
});

describe("secretsInChanges does not count what ordinary changes hold", () => {
  it("code, fixtures, hashes, images and lock files", async () => {
    const { found } = await scanOne({
      "src/store.js": [
        "export function get(map, key) {",
        "  return map.has(key) ? map.get(key) : undefined;",
        "}",
        `export const message = "a" + 'b' + "c" + ["x", "y"].join(",");`,
        "",
      ].join("\n"),
      "test/fixtures/commits.json": JSON.stringify(
        Array.from({ length: 50 }, () => ({
          sha: randomBytes(20).toString("hex"),
          tree: randomBytes(20).toString("hex").toUpperCase(),
        })),
        null,
        2,
      ),
      "test/fixtures/pixel.png.b64": wrap(randomBytes(30_000).toString("base64"), 76),
      "assets/logo.png": randomBytes(50_000),
      "package-lock.json": JSON.stringify({
        packages: Object.fromEntries(
          Array.from({ length: 100 }, (_, i) => [
            `node_modules/p${i}`,
            { integrity: `sha512-${randomBytes(64).toString("base64")}` },
          ]),
        ),
      }),
      "test/auth.test.js": [
        'const header = { Authorization: "Bearer test-token" };',
        'const url = "postgres://user:password@localhost:5432/db";',
        'const fake = "ghs_short";',
        "",
      ].join("\n"),
      "data/bytes.hex": wrap(randomBytes(20_000).toString("hex"), 60),
    });
    expect(found).toEqual([]);
  });

  it("a token-shaped fixture the base already had, in a file the change edits", async () => {
    const fixture = `ghp_${"A1b2C3d4".repeat(5)}`;
    const { workspace, commit } = await repo({
      "test/tokens.test.js": `const fake = "${fixture}";\nexpect(redact(fake)).toBe("x");\n`,
    });
    await commit({
      "test/tokens.test.js": `const fake = "${fixture}";\nexpect(redact(fake)).toBe("[REDACTED]");\n`,
    });
    expect(await secretsInChanges(workspace)).toEqual([]);
    // A new secret in that file still counts.
    const sha = await commit({
      "test/tokens.test.js": `const fake = "${fixture}";\nconst real = "${TOKEN}";\n`,
    });
    expect(await secretsInChanges(workspace)).toEqual([`\`test/tokens.test.js\` in commit ${sha}`]);
  });

  it("no new commits: nothing to check", async () => {
    const { workspace } = await repo();
    expect(await secretsInChanges(workspace)).toEqual([]);
  });
});
