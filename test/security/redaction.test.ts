/**
 * The redaction and the pre-push secret scan, in the forms the end-to-end
 * secrets test (secrets.test.ts) found leaking: base64 wrapped over lines
 * (`base64` wraps at 76 columns), a multi-line secret escaped as JSON before
 * it was encoded, and secrets an agent committed (in history, not only in
 * the final tree).
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { secretsInChanges } from "../../src/pipeline/publish/secrets-in-changes.js";
import { git } from "../../src/process/git.js";
import type { Workspace } from "../../src/pipeline/workspace/prepare-workspace.js";
import { createRedactor, createSecretFinder } from "../../src/util/redact.js";

const PEM = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .privateKey.export({ type: "pkcs1", format: "pem" })
  .toString()
  .trim();
const CANARY = `canary-${randomBytes(18).toString("hex")}`;
const TOKEN = `ghs_${randomBytes(27).toString("base64url").replace(/[-_]/g, "x").slice(0, 36)}`;
const ENVIRON = `PATH=/usr/bin\nPRIVATE_KEY=${PEM}\nMY_CANARY=${CANARY}\nHOME=/root\n`;

const base64 = (text: string) => Buffer.from(text).toString("base64");
const wrap = (text: string, width: number) => text.replace(new RegExp(`.{${width}}`, "g"), "$&\n");
const keyLines = PEM.split("\n").filter((l) => !l.startsWith("-----"));

/** No canary, no line of the key, in plain or (unwrapped) base64 at any alignment. */
function expectClean(text: string): void {
  const unwrapped = text.replace(/\n/g, "");
  for (const secret of [CANARY, ...keyLines]) {
    expect(text).not.toContain(secret);
    for (let offset = 0; offset < 3; offset++) {
      const bytes = Buffer.from(secret);
      const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
      const middle = encoded.slice(
        Math.ceil((offset * 8) / 6),
        Math.floor(((offset + bytes.length) * 8) / 6),
      );
      expect(unwrapped).not.toContain(middle);
    }
  }
}

describe("createRedactor", () => {
  const redact = createRedactor([PEM, CANARY]);

  it("redacts base64 wrapped at 76 or 64 columns, whatever comes before it", () => {
    for (const width of [76, 64]) {
      for (let prefix = 0; prefix < 6; prefix++) {
        const text = `== base64\n${wrap(base64(`${"x".repeat(prefix)}${ENVIRON}`), width)}\n== end`;
        const out = redact(text);
        expect(out).toContain("[REDACTED]");
        expectClean(out);
        expect(out.startsWith("== base64\n")).toBe(true);
        expect(out.endsWith("\n== end")).toBe(true);
      }
    }
  });

  it("redacts each line of a multi-line secret where the whole is not itself (JSON, base64 of JSON)", () => {
    for (const text of [
      JSON.stringify({ environ: ENVIRON }),
      base64(JSON.stringify(ENVIRON)),
      wrap(base64(JSON.stringify({ environ: ENVIRON })), 76),
      // Cut in the middle of the key, as a tail of output is.
      ENVIRON.slice(ENVIRON.length / 2),
    ]) {
      expectClean(redact(text));
    }
  });

  it("stays fast: a megabyte of wrapped base64 and of plain output", () => {
    const noise = wrap(randomBytes(700_000).toString("base64"), 76);
    const plain = "npm test output line with some words and numbers 12345\n".repeat(20_000);
    const started = performance.now();
    expect(redact(noise)).toBe(noise);
    expect(redact(plain)).toBe(plain);
    expect(performance.now() - started).toBeLessThan(2000);
    // One long line of base64 (no line breaks to join across) is linear too.
    const line = randomBytes(300_000).toString("base64");
    const again = performance.now();
    expect(redact(`${line}!\n${line}`)).toBe(`${line}!\n${line}`);
    expect(performance.now() - again).toBeLessThan(2000);
  });
});

describe("createSecretFinder", () => {
  const holds = createSecretFinder([PEM, CANARY]);

  it("finds the secrets plain, in base64 (wrapped too), and GitHub tokens nobody configured", () => {
    expect(holds(`x ${CANARY} y`)).toBe(true);
    expect(holds(base64(`a${ENVIRON}`))).toBe(true);
    expect(holds(wrap(base64(ENVIRON), 76))).toBe(true);
    expect(holds(`+${keyLines[3]}`)).toBe(true);
    expect(holds(`token: ${TOKEN}`)).toBe(true);
  });

  it("does not count what code and tests hold harmlessly", () => {
    expect(holds("postgres://user:password@localhost:5432/db")).toBe(false);
    expect(holds('headers: { Authorization: "Bearer test-token" }')).toBe(false);
    expect(holds(wrap(randomBytes(50_000).toString("base64"), 76))).toBe(false);
  });
});

describe("secretsInChanges: what a push would publish", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  async function repo() {
    const dir = mkdtempSync(join(tmpdir(), "chant-scan-"));
    dirs.push(dir);
    const run = (args: readonly string[], o: { maxOutputBytes?: number } = {}) =>
      git(args, { cwd: dir, redact: (t) => t, ...o });
    await run(["init", "--quiet", "--initial-branch=main"]);
    await run(["config", "user.name", "t"]);
    await run(["config", "user.email", "t@example.com"]);
    writeFileSync(join(dir, "README.md"), `# base\n${CANARY}\n`); // already public: not ours to judge
    await run(["add", "-A"]);
    await run(["commit", "--quiet", "-m", "base"]);
    const baseSha = (await run(["rev-parse", "HEAD"])).trim();
    const commit = async (files: Record<string, string>, message: string) => {
      for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
      await run(["add", "-A"]);
      await run(["commit", "--quiet", "--allow-empty", "-m", message]);
      return (await run(["rev-parse", "--short", "HEAD"])).trim();
    };
    const workspace = {
      dir,
      baseSha,
      git: run,
      holdsSecret: createSecretFinder([PEM, CANARY]),
    } as unknown as Workspace;
    return { workspace, commit, run };
  }

  it("finds a secret in a file, in a commit message, and in a commit a later one undid", async () => {
    const { workspace, commit, run } = await repo();
    const first = await commit({ "loot.txt": wrap(base64(ENVIRON), 76) }, "add notes");
    await run(["rm", "--quiet", "loot.txt"]);
    await run(["commit", "--quiet", "-m", "remove them again"]);
    const third = await commit({ "fix.js": "export const fixed = true;\n" }, `fix\n\n${TOKEN}`);
    expect(await secretsInChanges(workspace)).toEqual([
      `\`loot.txt\` in commit ${first}`,
      `the message of commit ${third}`,
    ]);
  });

  it("finds a secret that only a merge commit adds", async () => {
    const { workspace, commit, run } = await repo();
    await run(["checkout", "--quiet", "-b", "side"]);
    await commit({ "side.js": "export const side = 1;\n" }, "side");
    await run(["checkout", "--quiet", "-"]);
    await commit({ "main.js": "export const main = 1;\n" }, "main");
    await run(["merge", "--quiet", "--no-ff", "--no-commit", "side"]);
    writeFileSync(join(workspace.dir, "side.js"), `export const side = "${CANARY}";\n`);
    await run(["add", "-A"]);
    await run(["commit", "--quiet", "-m", "merge"]);
    const merge = (await run(["rev-parse", "--short", "HEAD"])).trim();
    expect(await secretsInChanges(workspace)).toEqual([`\`side.js\` in commit ${merge}`]);
  });

  it("finds nothing in a clean change (the base's own content does not count)", async () => {
    const { workspace, commit } = await repo();
    await commit({ "fix.js": "export const url = 'postgres://u:p@localhost/db';\n" }, "fix");
    expect(await secretsInChanges(workspace)).toEqual([]);
  });
});
