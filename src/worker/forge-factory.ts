import type { Logger } from "pino";
import type { Probot } from "probot";
import { GitHubForge, type GitHubForgeOptions } from "../forge/github/github-forge.js";
import { type Octokit } from "../forge/github/octokit.js";
import { type Mutex } from "../forge/status-comment-store.js";
import { waitOutRateLimits } from "../forge/github/rate-limit.js";
import {
  createScopedInstallationAuth,
  InstallationTokens,
  type TokenPermissions,
} from "../forge/github/scoped-installation-auth.js";
import { createRedactor } from "../util/redact.js";
import type { StatusCommentStore } from "../forge/status-comment-store.js";

/** Which job the forge is for: it decides what the job's tokens may do. */
export type JobPurpose = "implement" | "checks";

/**
 * What each job's installation tokens may do, the least that works: `api` is
 * the token on every REST/GraphQL request of the job's Octokit, `git` the
 * separate token given to git (and so to git's environment). Both are limited
 * to the job's one repository. Derived from every call the job makes:
 *
 * implement (src/worker/process-implement-job.ts, src/pipeline/**):
 * - metadata read: `repos.get` (default branch, clone URL).
 * - contents read: `.github/chant.yml` (Probot's config loader, `repos.getContent`),
 *   `git.getTree` and the GraphQL blob query (research and spec files). The
 *   API never writes contents: the branch is pushed by git.
 * - issues write: the status comment (`issues.listComments/getComment/
 *   createComment/updateComment`), reactions (`reactions.createForIssue(Comment)`),
 *   `issues.get`.
 * - pull_requests write: `pulls.list/create/update/requestReviewers`, and
 *   `pulls.get/listFiles` for a pull request target.
 * - checks write: the four check runs set queued on hand-over
 *   (`checks.listForRef/create/update`).
 * - git: contents write (clone, `ls-remote`, push of `chant/<ID>`).
 *
 * checks (src/worker/process-checks-job.ts, src/pipeline/checks/**):
 * - metadata read: `repos.get` (clone URL).
 * - contents read: `.github/chant.yml` of the default branch.
 * - pull_requests read: `pulls.get` (is the head still the one to check, its base).
 * - checks write: `checks.listForRef/create/update`.
 * - No issues, no pull request writes: the checks job comments nowhere.
 * - git: contents read (fetch of the head and base shas).
 */
export const JOB_TOKEN_PERMISSIONS: Readonly<
  Record<JobPurpose, { api: TokenPermissions; git: TokenPermissions }>
> = {
  implement: {
    api: {
      metadata: "read",
      contents: "read",
      issues: "write",
      pull_requests: "write",
      checks: "write",
    },
    git: { metadata: "read", contents: "write" },
  },
  checks: {
    api: { metadata: "read", contents: "read", pull_requests: "read", checks: "write" },
    git: { metadata: "read", contents: "read" },
  },
};

export interface ForgeFactory {
  /**
   * The job's forge, with tokens scoped to `repo` and `purpose`, and the
   * Octokit its repoConfig() reads with (which may also read the owner's
   * `.github` repository, for `_extends`).
   */
  forRepo(
    installationId: number,
    repo: { owner: string; name: string },
    signal: AbortSignal | undefined,
    purpose: JobPurpose,
    /** What the job's data already says (the repository's basics, the issue). */
    known?: GitHubForgeOptions["known"],
  ): Promise<{ forge: GitHubForge; octokit: Octokit }>;
}

/**
 * A GitHub forge per job. Its Octokit is Probot's (class, throttle, retry,
 * log, baseUrl) with an auth strategy that puts a token scoped to the job's
 * repository and purpose (JOB_TOKEN_PERMISSIONS) on every request, and mints
 * a narrower one for git; it waits out rate limits. Tokens are minted through
 * the App's Octokit and reused across jobs of the same scope.
 */
export function githubForges(options: {
  probot: Probot;
  appId: number | undefined;
  mutex: Mutex;
  log: Logger;
  instrument?: (octokit: Octokit) => void;
  /** The process's secrets: whatever a forge writes is redacted of them (and of token shapes). */
  secrets?: readonly string[];
  /** Status comments remembered across processes (Redis). */
  statusStore?: StatusCommentStore;
}): ForgeFactory {
  const redact = createRedactor(options.secrets ?? []);
  const app = () => options.probot.auth() as Promise<Octokit>;
  const tokens = new InstallationTokens(app);

  /** Probot's Octokit class and options (as `probot.auth(installationId)` builds it), with our auth. */
  async function scopedOctokit(
    installationId: number,
    repo: { owner: string; name: string },
    purpose: JobPurpose,
    readSiblingContents: boolean,
  ): Promise<Octokit> {
    const appOctokit = await app();
    return (await appOctokit.auth({
      type: "installation",
      installationId,
      factory: ({
        octokit,
        octokitOptions,
      }: {
        octokit: Octokit;
        octokitOptions: Record<string, unknown> & { throttle?: { enabled?: boolean } };
      }) => {
        const Octokit = octokit.constructor as new (options: Record<string, unknown>) => Octokit;
        return new Octokit({
          ...octokitOptions,
          throttle: octokitOptions.throttle?.enabled
            ? { ...octokitOptions.throttle, id: String(installationId) }
            : { enabled: false },
          authStrategy: createScopedInstallationAuth,
          auth: {
            tokens,
            installationId,
            owner: repo.owner,
            repo: repo.name,
            ...JOB_TOKEN_PERMISSIONS[purpose],
            readSiblingContents,
          },
        });
      },
    })) as Octokit;
  }

  return {
    async forRepo(installationId, repo, signal, purpose, known) {
      const prepare = (octokit: Octokit) => {
        waitOutRateLimits(octokit, { log: options.log, signal });
        options.instrument?.(octokit);
        return octokit;
      };
      const forgeOctokit = prepare(await scopedOctokit(installationId, repo, purpose, false));
      // The config loader may read the owner's `.github` repository (`_extends`) like the web
      // process does: read-only, one repository per token. The forge never reaches past `repo`.
      const configOctokit = prepare(await scopedOctokit(installationId, repo, purpose, true));
      const forge = new GitHubForge({
        octokit: forgeOctokit,
        configOctokit,
        owner: repo.owner,
        name: repo.name,
        appId: options.appId,
        mutex: options.mutex,
        log: options.log,
        redact,
        ...(options.statusStore ? { statusStore: options.statusStore } : {}),
        ...(known ? { known } : {}),
      });
      return { forge, octokit: configOctokit };
    },
  };
}
