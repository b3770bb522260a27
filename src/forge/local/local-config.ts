import { join } from "node:path";
import { readLocalFile } from "../../process/local-files.js";
import {
  CONFIG_PATH,
  ConfigError,
  DEFAULT_CONFIG,
  parseRepoConfig,
  type RepoConfig,
} from "../../domain/repo-config.js";

/** `.github/chant.yml` of a checkout on disk; defaults when there is none. */
export async function loadLocalConfig(dir: string): Promise<RepoConfig> {
  const read = await readLocalFile(dir, CONFIG_PATH);
  const where = join(dir, CONFIG_PATH);
  switch (read.kind) {
    case "missing":
      return DEFAULT_CONFIG;
    case "text":
      return parseRepoConfig(read.text, where);
    default:
      throw new ConfigError(where, [
        { key: "", line: undefined, message: "is not a readable text file" },
      ]);
  }
}
