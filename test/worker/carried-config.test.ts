import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/domain/repo-config.js";
import type { GitHubForge } from "../../src/forge/github-forge.js";
import { carriedConfig } from "../../src/worker/process-implement-job.js";

const SHA = "a".repeat(40);
const REPO = { owner: "acme", name: "kv" };

/** A forge whose default branch holds `.github/chant.yml` at `sha` (or none). */
function forgeWith(sha: string | undefined) {
  const asked: string[] = [];
  const forge = {
    repo: async () => ({ defaultBranch: "main" }),
    blobSha: async (ref: string, path: string) => (asked.push(`${ref}:${path}`), sha),
  } as unknown as GitHubForge;
  return { forge, asked };
}

describe("the config the web process read, carried in the job", () => {
  const value = { ...DEFAULT_CONFIG, label: "fix-me" };

  it("is used when the default branch still holds that file (its blob id, from the tree listing)", async () => {
    const { forge, asked } = forgeWith(SHA);
    const loaded = await carriedConfig(forge, { sha: SHA, value }, REPO);
    expect(loaded).toEqual({ config: value, sha: SHA });
    expect(asked).toEqual(["main:.github/chant.yml"]);
  });

  it("is not used when the file changed since, or appeared, or went away: the worker reads it again", async () => {
    expect(await carriedConfig(forgeWith("b".repeat(40)).forge, { sha: SHA, value }, REPO)).toBe(
      undefined,
    );
    expect(await carriedConfig(forgeWith(SHA).forge, { sha: null, value }, REPO)).toBe(undefined);
    expect(await carriedConfig(forgeWith(undefined).forge, { sha: SHA, value }, REPO)).toBe(
      undefined,
    );
  });

  it("with no file then and none now, the defaults (or the owner's) carried stand", async () => {
    expect(await carriedConfig(forgeWith(undefined).forge, { sha: null, value }, REPO)).toEqual({
      config: value,
      sha: null,
    });
  });

  it("is validated again: what Redis holds is not taken on faith", async () => {
    await expect(
      carriedConfig(forgeWith(SHA).forge, { sha: SHA, value: { label: 5 } }, REPO),
    ).rejects.toThrow(/label/);
  });
});
