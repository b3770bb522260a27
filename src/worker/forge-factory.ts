import type { Logger } from "pino";
import type { Probot } from "probot";
import { GitHubForge, type Mutex, type Octokit } from "../forge/github-forge.js";
import { waitOutRateLimits } from "../forge/github-rate-limit.js";

export interface ForgeFactory {
  forRepo(
    installationId: number,
    repo: { owner: string; name: string },
    signal?: AbortSignal,
  ): Promise<{ forge: GitHubForge; octokit: Octokit }>;
}

/**
 * A GitHub forge per job, with an installation Octokit from Probot (tokens
 * minted from the installation id in the job) that waits out rate limits.
 */
export function githubForges(options: {
  probot: Probot;
  appId: number | undefined;
  mutex: Mutex;
  log: Logger;
  instrument?: (octokit: Octokit) => void;
}): ForgeFactory {
  return {
    async forRepo(installationId, repo, signal) {
      const octokit = waitOutRateLimits((await options.probot.auth(installationId)) as Octokit, {
        log: options.log,
        signal,
      });
      options.instrument?.(octokit);
      const forge = new GitHubForge({
        octokit,
        owner: repo.owner,
        name: repo.name,
        appId: options.appId,
        mutex: options.mutex,
        log: options.log,
      });
      return { forge, octokit };
    },
  };
}
