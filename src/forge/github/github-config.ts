import type { Octokit } from "./octokit.js";
import { isNotFound } from "../../domain/errors.js";
import {
  CONFIG_PATH,
  ConfigError,
  DEFAULT_CONFIG,
  parseRepoConfig,
  validateRepoConfig,
  type LoadedConfig,
  type RepoConfig,
} from "../../domain/repo-config.js";

/**
 * `.github/chant.yml` from the repository's default branch, validated, with
 * its blob id (so a job can tell later whether it changed). One request for
 * a plain file; Probot's config plugin (what `context.config` uses) where the
 * file extends another (`_extends`) or the repository has none (the owner's
 * `.github` repository). Web and worker both read it here: never from a pull
 * request's head.
 */
export async function readRepoConfig(
  octokit: Octokit,
  owner: string,
  repo: string,
): Promise<LoadedConfig> {
  const where = `${owner}/${repo}:${CONFIG_PATH}`;
  const own = await readConfigFile(octokit, owner, repo, where);
  // Probot's rule: no file in the repository, then the owner's `.github` repository's.
  const shared = own ? undefined : await readConfigFile(octokit, owner, ".github", where);
  const file = own ?? shared;
  if (file === undefined) return { config: DEFAULT_CONFIG, sha: null };
  if (EXTENDS.test(file.text)) {
    return { config: await loadThroughPlugin(octokit, owner, repo, where), sha: own?.sha ?? null };
  }
  const from = own ? where : `${owner}/.github:${CONFIG_PATH}`;
  return { config: parseRepoConfig(file.text, from), sha: own?.sha ?? null };
}

/** `_extends: other-repo` (or `owner/repo:path`): the file names another to build on. */
const EXTENDS = /^_extends\s*:/m;

/** `.github/chant.yml` of one repository with its blob id; undefined when there is none. */
async function readConfigFile(
  octokit: Octokit,
  owner: string,
  repo: string,
  where: string,
): Promise<{ sha: string; text: string } | undefined> {
  try {
    const { data } = await octokit.rest.repos.getContent({ owner, repo, path: CONFIG_PATH });
    if (Array.isArray(data) || data.type !== "file" || !("content" in data)) {
      throw new ConfigError(where, [{ key: "", line: undefined, message: "is not a file" }]);
    }
    return { sha: data.sha, text: Buffer.from(data.content, "base64").toString("utf8") };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    if (error instanceof ConfigError) throw error;
    throw unreadable(where, error);
  }
}

/** `.github/chant.yml` validated (readRepoConfig without the blob id). */
export async function loadRepoConfig(
  octokit: Octokit,
  owner: string,
  repo: string,
): Promise<RepoConfig> {
  return (await readRepoConfig(octokit, owner, repo)).config;
}

function unreadable(where: string, error: unknown): ConfigError {
  return new ConfigError(where, [
    {
      key: "",
      line: undefined,
      message: `could not be read: ${error instanceof Error ? error.message.replace(/^\[@probot\/octokit-plugin-config\]\s*/, "") : String(error)}`,
    },
  ]);
}

/** Through Probot's config plugin: `_extends`, and the owner's `.github` repository. */
async function loadThroughPlugin(
  octokit: Octokit,
  owner: string,
  repo: string,
  where: string,
): Promise<RepoConfig> {
  let data: unknown;
  try {
    const { config, files } = await octokit.config.get({ owner, repo, path: CONFIG_PATH });
    data = files.some((f) => f.config !== null) ? config : {};
  } catch (error) {
    throw unreadable(where, error);
  }
  try {
    return validateRepoConfig(data, where);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The raw text only adds line numbers to the message: without it, the error stands as is.
    // eslint-disable-next-line no-restricted-syntax -- the ConfigError below is what is reported
    const source = await rawConfig(octokit, owner, repo).catch(() => undefined);
    if (source === undefined) throw error;
    return validateRepoConfig(data, where, source);
  }
}

async function rawConfig(
  octokit: Octokit,
  owner: string,
  repo: string,
): Promise<string | undefined> {
  const { data } = await octokit.rest.repos.getContent({
    owner,
    repo,
    path: CONFIG_PATH,
    mediaType: { format: "raw" },
  });
  return typeof data === "string" ? data : undefined;
}
