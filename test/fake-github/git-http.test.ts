import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeGitHub, runGit } from "../support/fake-github/index.js";
import type { RepoHandle } from "../support/fake-github/index.js";
import { installationOctokit } from "./octokit.js";

let fake: FakeGitHub;
let handle: RepoHandle;
let work: string;

const basic = (token: string) =>
  `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;

/** git with the token passed per command (never in the URL or .git/config). */
const gitWithToken = (token: string | null, args: string[], cwd?: string) =>
  runGit(
    [...(token ? ["-c", `http.extraHeader=${basic(token)}`] : []), ...args],
    cwd ? { cwd } : {},
  );

beforeAll(async () => {
  fake = new FakeGitHub();
  await fake.start();
  handle = await fake.addRepo({
    owner: "acme",
    name: "gitty",
    files: { "README.md": "hello\n", "src/a.js": "1\n" },
  });
  work = mkdtempSync(join(tmpdir(), "fake-github-git-test-"));
});

afterAll(async () => {
  await fake.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("git over HTTP", () => {
  it("clones with an installation token in http.extraHeader, and refuses without one (401)", async () => {
    const token = fake.createInstallationToken();
    const dir = join(work, "clone");
    const cloned = await gitWithToken(token, [
      "clone",
      "--quiet",
      "--depth",
      "1",
      handle.cloneUrl,
      dir,
    ]);
    expect(cloned.stderr).toBe("");
    expect(cloned.code).toBe(0);
    expect(readFileSync(join(dir, "README.md"), "utf8")).toBe("hello\n");
    expect(readFileSync(join(dir, ".git", "config"), "utf8")).not.toContain(token);

    fake.resetRequests();
    const refused = await gitWithToken(null, [
      "clone",
      "--quiet",
      handle.cloneUrl,
      join(work, "refused"),
    ]);
    expect(refused.code).not.toBe(0);
    expect(fake.requests.some((r) => r.api === "git" && r.status === 401)).toBe(true);

    const wrongToken = await gitWithToken("ghs_wrong", ["ls-remote", handle.cloneUrl]);
    expect(wrongToken.code).not.toBe(0);
    const otherInstallation = await gitWithToken(fake.createInstallationToken(99), [
      "ls-remote",
      handle.cloneUrl,
    ]);
    expect(otherInstallation.code).not.toBe(0);
    expect(fake.requests.at(-1)).toMatchObject({ api: "git", status: 404 });
  });

  it("pushes a branch; the API sees it at once and the push is recorded", async () => {
    const token = fake.createInstallationToken();
    const dir = join(work, "push");
    expect((await gitWithToken(token, ["clone", "--quiet", handle.cloneUrl, dir])).code).toBe(0);
    writeFileSync(join(dir, "src", "a.js"), "2\n");
    const identity = ["-c", "user.name=chant-bot", "-c", "user.email=bot@example.com"];
    await runGit([...identity, "checkout", "--quiet", "-b", "chant/2026-02-01-001-abc"], {
      cwd: dir,
    });
    await runGit([...identity, "commit", "--quiet", "-am", "chant(2026-02-01-001-abc): fix"], {
      cwd: dir,
    });
    const sha = (await runGit(["rev-parse", "HEAD"], { cwd: dir })).stdout.toString().trim();

    const pushed = await gitWithToken(
      token,
      ["push", "--quiet", "origin", "HEAD:refs/heads/chant/2026-02-01-001-abc"],
      dir,
    );
    expect(pushed.stderr).toBe("");
    expect(pushed.code).toBe(0);
    expect(fake.pushes).toEqual([
      expect.objectContaining({
        repo: "acme/gitty",
        ref: "refs/heads/chant/2026-02-01-001-abc",
        before: "0".repeat(40),
        after: sha,
        installationId: fake.installationId,
      }),
    ]);
    expect(await fake.branches("acme/gitty")).toContainEqual({
      name: "chant/2026-02-01-001-abc",
      sha,
    });

    const octokit = installationOctokit(fake);
    const { data: branch } = await octokit.rest.repos.getBranch({
      owner: "acme",
      repo: "gitty",
      branch: "chant/2026-02-01-001-abc",
    });
    expect(branch.commit.sha).toBe(sha);
    const { data: pr } = await octokit.rest.pulls.create({
      owner: "acme",
      repo: "gitty",
      title: "Fix",
      head: "chant/2026-02-01-001-abc",
      base: "main",
    });
    expect(pr.head.sha).toBe(sha);

    // A force-push moves the PR head with it.
    await runGit(
      [
        ...identity,
        "commit",
        "--quiet",
        "--amend",
        "-m",
        "chant(2026-02-01-001-abc): fix, amended",
      ],
      { cwd: dir },
    );
    const amended = (await runGit(["rev-parse", "HEAD"], { cwd: dir })).stdout.toString().trim();
    expect(
      (
        await gitWithToken(
          token,
          ["push", "--quiet", "--force", "origin", "HEAD:refs/heads/chant/2026-02-01-001-abc"],
          dir,
        )
      ).code,
    ).toBe(0);
    const { data: moved } = await octokit.rest.pulls.get({
      owner: "acme",
      repo: "gitty",
      pull_number: pr.number,
    });
    expect(moved.head.sha).toBe(amended);
    expect(fake.pushes).toHaveLength(2);
    expect(fake.pushes[1]).toMatchObject({ before: sha, after: amended });

    const { data: tree } = await octokit.rest.git.getTree({
      owner: "acme",
      repo: "gitty",
      tree_sha: amended,
      recursive: "1",
    });
    expect(tree.tree.map((e) => e.path)).toContain("src/a.js");
  });

  it("accepts a gzip-encoded request body, as git sends for large negotiations", async () => {
    const token = fake.createInstallationToken();
    const pkt = (line: string) => `${(line.length + 4).toString(16).padStart(4, "0")}${line}`;
    const body = gzipSync(Buffer.from(`${pkt("command=ls-refs\n")}0001${pkt("peel\n")}0000`));
    const response = await fetch(`${handle.cloneUrl}/git-upload-pack`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`,
        "content-type": "application/x-git-upload-pack-request",
        "content-encoding": "gzip",
        "git-protocol": "version=2",
      },
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(`${handle.headSha} refs/heads/main`);
  });
});
