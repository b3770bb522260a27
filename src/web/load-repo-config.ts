import type { Octokit } from "../forge/github-forge.js";
import {
  CONFIG_PATH,
  ConfigError,
  validateRepoConfig,
  type RepoConfig,
} from "../config/repo-config.js";

/**
 * `.github/chant.yml` from the repository's default branch, through Probot's
 * config plugin (what `context.config` uses, so an organisation's `_extends`
 * and the owner's `.github` repository work), validated. On an invalid file
 * the raw text is read once more to point at lines. Web and worker both read
 * it here: never from a pull request's head.
 */
export async function loadRepoConfig(
  octokit: Octokit,
  owner: string,
  repo: string,
): Promise<RepoConfig> {
  const where = `${owner}/${repo}:${CONFIG_PATH}`;
  let data: unknown;
  try {
    const { config, files } = await octokit.config.get({ owner, repo, path: CONFIG_PATH });
    data = files.some((f) => f.config !== null) ? config : {};
  } catch (error) {
    throw new ConfigError(where, [
      {
        key: "",
        line: undefined,
        message: `could not be read: ${error instanceof Error ? error.message.replace(/^\[@probot\/octokit-plugin-config\]\s*/, "") : String(error)}`,
      },
    ]);
  }
  try {
    return validateRepoConfig(data, where);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
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

/** A config error as status-comment lines. */
export function describeConfigError(error: ConfigError): string[] {
  return [
    `\`${error.where}\` (on the default branch) is invalid, so nothing was started:`,
    "",
    ...error.problems.map(
      (p) => `- ${p.line ? `line ${p.line}: ` : ""}${p.key ? `\`${p.key}\` ` : ""}${p.message}`,
    ),
    "",
    "Fix the file on the default branch, then ask again.",
  ];
}
