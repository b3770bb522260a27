import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeGitHub } from "../support/fake-github/index.js";
import { installationOctokit, statusOf } from "./octokit.js";

const fixture = join(import.meta.dirname, "..", "fixtures", "repos", "kv-store");

let fake: FakeGitHub;

beforeAll(async () => {
  fake = new FakeGitHub();
  await fake.start();
});

afterAll(async () => {
  await fake.stop();
});

describe("test-side setup", () => {
  it("seeds a repository from a directory as one reproducible commit by a fixed author", async () => {
    const a = await fake.addRepo({ owner: "acme", name: "kv-store", dir: fixture });
    const b = await fake.addRepo({
      owner: "other",
      name: "kv-store",
      dir: fixture,
      defaultBranch: "trunk",
    });
    expect(a.headSha).toMatch(/^[0-9a-f]{40}$/);
    expect(b.headSha).toBe(a.headSha);
    expect(b.defaultBranch).toBe("trunk");
    expect(await fake.branches("other/kv-store")).toEqual([{ name: "trunk", sha: a.headSha }]);

    const octokit = installationOctokit(fake);
    const { data: tree } = await octokit.rest.git.getTree({
      owner: "acme",
      repo: "kv-store",
      tree_sha: "main",
      recursive: "1",
    });
    expect(tree.tree.map((e) => e.path)).toEqual(
      expect.arrayContaining([
        ".chant/specs/2026-01-28-001-res.md",
        ".github/chant.yml",
        "src/store.js",
      ]),
    );
    const { data: commit } = await octokit.rest.repos.getCommit({
      owner: "acme",
      repo: "kv-store",
      ref: a.headSha!,
    });
    expect(commit.commit.author).toMatchObject({
      name: "Fixture Author",
      email: "fixture@example.com",
    });
    expect(commit.parents).toEqual([]);
  });

  it("creates empty repositories, and keeps repositories of other installations out of reach", async () => {
    const empty = await fake.addRepo({ owner: "acme", name: "empty" });
    expect(empty.headSha).toBeNull();
    expect(await fake.branches("acme/empty")).toEqual([]);
    await fake.addRepo({
      owner: "elsewhere",
      name: "secret",
      files: { "a.txt": "a\n" },
      installationId: 99,
    });
    const octokit = installationOctokit(fake);
    expect(
      (await statusOf(octokit.rest.repos.get({ owner: "elsewhere", repo: "secret" }))).status,
    ).toBe(404);
    // Names are case-insensitive, as on GitHub.
    expect((await octokit.rest.repos.get({ owner: "ACME", repo: "Kv-Store" })).data.full_name).toBe(
      "acme/kv-store",
    );
  });

  it("expired tokens are refused", async () => {
    const token = fake.createInstallationToken();
    const ok = await fetch(`${fake.apiUrl}/repos/acme/kv-store`, {
      headers: { authorization: `token ${token}` },
    });
    expect(ok.status).toBe(200);
    fake.expireTokens();
    const expired = await fetch(`${fake.apiUrl}/repos/acme/kv-store`, {
      headers: { authorization: `token ${token}` },
    });
    expect(expired.status).toBe(401);
  });
});
