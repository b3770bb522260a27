import nock from "nock";
import { pino } from "pino";
import { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_CONFIG } from "../../src/domain/repo-config.js";
import { GitHubForge, type CarriedConfig } from "../../src/forge/github/github-forge.js";
import { type Octokit } from "../../src/forge/github/octokit.js";

const API = "https://api.github.com";
const REPO = "/repos/acme/kv";
const SHA = "a".repeat(40);
const KNOWN_REPO = {
  owner: "acme",
  name: "kv",
  fullName: "acme/kv",
  defaultBranch: "main",
  cloneUrl: "https://github.com/acme/kv.git",
};

function forgeWith(config?: CarriedConfig) {
  const octokit = new ProbotOctokit({
    auth: { token: "ghs_test" },
    retry: { enabled: false },
    throttle: { enabled: false },
    log: pino({ level: "silent" }),
  }) as unknown as Octokit;
  return new GitHubForge({
    octokit,
    owner: "acme",
    name: "kv",
    appId: 1,
    known: { repo: KNOWN_REPO, config },
  });
}

/** The default branch's tree, listing `.github/chant.yml` at `sha` (or not at all). */
function treeWith(sha: string | undefined) {
  nock(API)
    .get(`${REPO}/git/trees/main`)
    .query({ recursive: "true" })
    .reply(200, {
      truncated: false,
      tree: [
        { path: "README.md", type: "blob", sha: "b".repeat(40), size: 3 },
        ...(sha ? [{ path: ".github/chant.yml", type: "blob", sha, size: 20 }] : []),
      ],
    });
}

/** The file itself, read because the carried one no longer stands. */
function fileReads(text: string, sha: string) {
  nock(API)
    .get(`${REPO}/contents/.github%2Fchant.yml`)
    .reply(200, {
      type: "file",
      sha,
      encoding: "base64",
      content: Buffer.from(text).toString("base64"),
    });
}

describe("Forge.repoConfig() on GitHub, with a config carried in the job", () => {
  const value = { ...DEFAULT_CONFIG, label: "fix-me" };

  it("uses the carried config while the default branch's tree lists the same blob, and reads nothing else", async () => {
    treeWith(SHA);
    const forge = forgeWith({ sha: SHA, value, trust: "tree" });
    expect(await forge.repoConfig()).toEqual({ config: value, sha: SHA });
    // Read once per forge: a second ask costs nothing.
    expect(await forge.repoConfig()).toEqual({ config: value, sha: SHA });
  });

  it("reads the file again when it changed since it was carried", async () => {
    const now = "c".repeat(40);
    treeWith(now);
    fileReads("label: changed\n", now);
    const loaded = await forgeWith({ sha: SHA, value, trust: "tree" }).repoConfig();
    expect(loaded.config.label).toBe("changed");
    expect(loaded.sha).toBe(now);
  });

  it("reads again when a file appeared where there was none", async () => {
    treeWith(SHA);
    fileReads("label: appeared\n", SHA);
    const loaded = await forgeWith({ sha: null, value, trust: "tree" }).repoConfig();
    expect(loaded.config.label).toBe("appeared");
  });

  it("with no file then and none now, the carried defaults (or the owner's) stand", async () => {
    treeWith(undefined);
    expect(await forgeWith({ sha: null, value, trust: "tree" }).repoConfig()).toEqual({
      config: value,
      sha: null,
    });
  });

  it("as-read: a checks job uses what was read for the same request without asking", async () => {
    expect(await forgeWith({ sha: SHA, value, trust: "as-read" }).repoConfig()).toEqual({
      config: value,
      sha: SHA,
    });
  });

  it("validates the carried value again: what Redis holds is not taken on faith", async () => {
    treeWith(SHA);
    const error = await forgeWith({ sha: SHA, value: { label: 5 }, trust: "tree" })
      .repoConfig()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/label/);
  });

  it("an invalid file is a ConfigError naming the file, and stays one for this forge (one read)", async () => {
    fileReads("label: [unclosed\n", SHA);
    const forge = forgeWith();
    const error = await forge.repoConfig().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).where).toBe("acme/kv:.github/chant.yml");
    await expect(forge.repoConfig()).rejects.toBe(error);
  });

  it("a failed look (not a verdict on the file) is not remembered: the next ask tries again", async () => {
    nock(API).get(`${REPO}/git/trees/main`).query({ recursive: "true" }).reply(502, "bad gateway");
    const forge = forgeWith({ sha: SHA, value, trust: "tree" });
    await expect(forge.repoConfig()).rejects.toMatchObject({ status: 502 });
    treeWith(SHA);
    expect((await forge.repoConfig()).config.label).toBe("fix-me");
  });
});
