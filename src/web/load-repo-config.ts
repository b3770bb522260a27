import type { Context } from "probot";
import {
  CONFIG_FILE_NAME,
  CONFIG_PATH,
  ConfigError,
  validateRepoConfig,
  type RepoConfig,
} from "../config/repo-config.js";

/**
 * `.github/chant.yml` from the repository's default branch, with Probot's
 * `context.config` (so an organisation's `_extends` works), validated. On an
 * invalid file, the raw text is read once more to point at lines.
 */
export async function loadRepoConfig(context: Context): Promise<RepoConfig> {
  const { owner, repo } = context.repo();
  const where = `${owner}/${repo}:${CONFIG_PATH}`;
  let data: unknown;
  try {
    data = await context.config(CONFIG_FILE_NAME, {});
  } catch (error) {
    throw new ConfigError(where, [
      {
        key: "",
        line: undefined,
        message: `could not be read: ${error instanceof Error ? error.message : String(error)}`,
      },
    ]);
  }
  try {
    return validateRepoConfig(data, where);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const source = await rawConfig(context).catch(() => undefined);
    if (source === undefined) throw error;
    return validateRepoConfig(data, where, source);
  }
}

async function rawConfig(context: Context): Promise<string | undefined> {
  const { data } = await context.octokit.rest.repos.getContent({
    ...context.repo(),
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
