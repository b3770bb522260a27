import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { parseSpec } from "../../src/chant-format/parse-spec.js";
import { FIXTURE_REPOS } from "../support/memory-files.js";

function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  return main(args, { out: (t) => out.push(t), err: (t) => err.push(t), isTTY: false }).then(
    (code) => ({
      code,
      out: out.join("\n"),
      err: err.join("\n"),
    }),
  );
}

const KV = join(FIXTURE_REPOS, "kv-store");
const dirs: string[] = [];
function copyOfKvStore() {
  const dir = mkdtempSync(join(tmpdir(), "chant-draft-"));
  dirs.push(dir);
  cpSync(KV, dir, { recursive: true });
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("chant-bot draft", () => {
  it("prints the drafted spec and exits 0", async () => {
    const result = await run(["draft", "--repo", KV, "--issue", "42", "--title", "Lost writes"]);
    expect(result.code).toBe(0);
    const spec = parseSpec(".chant/specs/x.md", result.out);
    expect(spec.frontmatter.labels).toEqual(["fix", "issue-42"]);
    expect(result.out).toContain("# Fix issue #42: Lost writes");
    expect(result.err).toContain(
      "Research spec `2026-01-28-001-res` found (labelled with the issue).",
    );
  });

  it("prints JSON with the research, the RCA, the reproduction tests and the draft", async () => {
    const result = await run(["draft", "--repo", KV, "--issue", "42", "--json"]);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.out);
    expect(json).toMatchObject({
      ok: true,
      research: {
        id: "2026-01-28-001-res",
        path: ".chant/specs/2026-01-28-001-res.md",
        status: "completed",
        rule: "label",
      },
      rca: [".chant/research/issue-42-rca.md"],
      reproductionTests: ["test/regression/issue-42.test.js"],
      draft: {
        path: expect.stringMatching(/^\.chant\/specs\/\d{4}-\d\d-\d\d-001-[0-9a-z]{3}\.md$/),
      },
    });
    expect(parseSpec(json.draft.path, json.draft.content).frontmatter.prompt).toBe("implement");
  });

  it("exits 1 with a one-line reason when there is nothing to draft", async () => {
    const result = await run(["draft", "--repo", KV, "--issue", "7"]);
    expect(result.code).toBe(1);
    expect(result.out).toBe("");
    expect(result.err.split("\n")[0]).toBe("chant-bot draft: No research spec found for issue #7.");
    const json = JSON.parse((await run(["draft", "--repo", KV, "--issue", "7", "--json"])).out);
    expect(json).toMatchObject({ ok: false, reason: "No research spec found for issue #7." });
  });

  it("exits 1 naming file and line when .github/chant.yml is invalid", async () => {
    const dir = copyOfKvStore();
    writeFileSync(join(dir, ".github/chant.yml"), "spec_status: ready\n");
    const result = await run(["draft", "--repo", dir, "--issue", "42"]);
    expect(result.code).toBe(1);
    expect(result.err).toContain(
      `${join(dir, ".github/chant.yml")} is invalid:\n- line 1: \`spec_status\` \`ready\` is refused`,
    );
  });

  it("exits 1 when pointed at a directory without chant specs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "chant-empty-"));
    dirs.push(dir);
    expect((await run(["draft", "--repo", dir, "--issue", "1"])).code).toBe(1);
  });

  it.each([
    [["draft"], /--issue is required/],
    [["draft", "--issue", "abc"], /--issue must be a positive whole number/],
    [["draft", "--issue", "1", "--bogus"], /Unknown option '--bogus'/],
    [["nonsense"], /unknown command "nonsense"/],
  ])("exits 2 with usage for %j", async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });

  it("prints help", async () => {
    const result = await run(["draft", "--help"]);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^chant-bot draft --repo DIR --issue N/);
    expect((await run(["--help"])).out).toMatch(/draft\s+print the implementation spec/);
  });

  it("prints the chain, its documents and chant's implement prompt in JSON", async () => {
    const json = JSON.parse((await run(["draft", "--repo", KV, "--issue", "42", "--json"])).out);
    expect(json.chain).toEqual([
      {
        id: "2026-01-27-001-tri",
        path: ".chant/specs/2026-01-27-001-tri.md",
        phase: "comprehension",
        status: "completed",
      },
      {
        id: "2026-01-27-002-rep",
        path: ".chant/specs/2026-01-27-002-rep.md",
        phase: "reproduction",
        status: "completed",
      },
      {
        id: "2026-01-28-001-res",
        path: ".chant/specs/2026-01-28-001-res.md",
        phase: "root_cause",
        status: "completed",
      },
    ]);
    expect(json.documents).toEqual([
      { path: ".chant/research/issue-42-rca.md", phase: "root_cause" },
    ]);
    expect(json.draft.files.map((f: { path: string }) => f.path)).toEqual([
      ".chant/prompts/implement.md",
    ]);
    expect(json.draft.files[0].reason).toMatch(/`chant work` needs for `prompt: implement`/);
    expect(parseSpec(json.draft.path, json.draft.content).frontmatter.depends_on).toEqual([
      "2026-01-28-001-res",
    ]);
  });

  it("finds research that only the issue's text names (--body-file), and says --spec/--force, not comment syntax", async () => {
    const dir = copyOfKvStore();
    // The research itself carries no issue label and no issue number in its title.
    const research = join(dir, ".chant/specs/2026-01-28-001-res.md");
    const text = readFileSync(research, "utf8")
      .replace("- issue-42\n", "")
      .replace("issue #42 concurrent", "concurrent");
    writeFileSync(research, text.replace("status: completed", "status: in_progress"));
    rmSync(join(dir, ".chant/research/issue-42-rca.md"));
    writeFileSync(join(dir, ".chant/research/store-rca.md"), "# RCA\n");
    writeFileSync(
      research,
      readFileSync(research, "utf8").replace("issue-42-rca.md", "store-rca.md"),
    );
    const body = join(dir, "issue.md");
    writeFileSync(body, "Values vanish. Research: 2026-01-28-001-res\n");

    const refused = await run(["draft", "--repo", dir, "--issue", "42", "--body-file", body]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(
      "chant-bot draft: Research spec `2026-01-28-001-res` is `in_progress`, not completed.",
    );
    expect(refused.err).toContain("`--spec 2026-01-28-001-res --force`");
    expect(refused.err).not.toContain("/chant implement");
    const forced = await run([
      "draft",
      "--repo",
      dir,
      "--issue",
      "42",
      "--body-file",
      body,
      "--force",
    ]);
    expect(forced.code).toBe(0);
    expect(forced.err).toContain(
      "Research spec `2026-01-28-001-res` found (mentioned in the issue or pull request).",
    );
    const missing = await run([
      "draft",
      "--repo",
      dir,
      "--issue",
      "42",
      "--body-file",
      join(dir, "nope.md"),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^chant-bot draft: --body-file .*nope\.md: ENOENT/);
  });
});
