import { WaitingError, type Job } from "bullmq";
import type { Logger } from "pino";
import { ConfigError } from "../domain/repo-config.js";
import { CHECK_NAMES, type CheckName } from "../domain/checks.js";
import { NotABranchHead, runChecksForCommit } from "../pipeline/checks/run-checks-for-commit.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import { checksJobSchema, type ChecksJob } from "../queue/job-data.js";
import type { ForgeFactory } from "./forge-factory.js";
import type { Forge } from "../forge/forge.js";
import { isShutdown } from "../domain/shutdown.js";

export interface ChecksWorkerDeps {
  forges: ForgeFactory;
  sandbox: Sandbox;
  workRoot: string;
  secrets: readonly string[];
  log: Logger;
  onConclusion?: (check: CheckName, conclusion: string) => void;
}

export type ChecksJobOutcome =
  | { kind: "checked"; conclusions: Partial<Record<CheckName, string>> }
  | { kind: "superseded"; newerSha: string }
  | { kind: "config_invalid" }
  | { kind: "not_run"; reason: "fork" | "not_a_branch_head" };

/**
 * The checks queue's processor: the four checks (or the ones asked for) on
 * one head sha, reported as check runs. Commands come from the default
 * branch's config; a pull request whose head moved on is not checked for the
 * old sha (results of an old sha never stand in for a newer one).
 */
export async function processChecksJob(
  job: Job<ChecksJob>,
  token: string | undefined,
  signal: AbortSignal | undefined,
  deps: ChecksWorkerDeps,
): Promise<ChecksJobOutcome> {
  const data = checksJobSchema.parse(job.data);
  const names = data.only ?? CHECK_NAMES;
  const log = deps.log.child({
    job: job.id,
    repo: `${data.repo.owner}/${data.repo.name}`,
    sha: data.headSha,
  });
  const carried = data.known?.config;
  const { forge } = await deps.forges.forRepo(data.installationId, data.repo, signal, "checks", {
    repo: data.known?.repo,
    // Read for this request moments ago (by the implement job or the web process).
    config: carried && { ...carried, trust: "as-read" },
  });
  // No "queued" check runs: each is made in its first real state as the checks go
  // (runChecksForCommit), one request per check when it is quick. A job that runs
  // none finishes them all at once, saying why.
  const finishAll = (conclusion: Conclusion, title: string, summary: string) =>
    finishChecks(forge, data.headSha, names, { conclusion, title, summary });

  let baseSha: string | undefined;
  let branch: string | undefined;
  let fromFork = false;
  if (data.pullRequest !== undefined) {
    const pr = await forge.pullRequest(data.pullRequest);
    if (pr.headSha !== data.headSha) {
      await finishAll(
        "skipped",
        "Not run: the pull request has a newer head",
        `The pull request moved on to \`${pr.headSha.slice(0, 7)}\`; the checks run there.`,
      );
      return { kind: "superseded", newerSha: pr.headSha };
    }
    baseSha = pr.baseSha;
    branch = pr.headRef;
    fromFork = pr.fromFork;
  }

  let config;
  try {
    config = (await forge.repoConfig()).config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    await finishAll("action_required", "`.github/chant.yml` is invalid", error.message);
    return { kind: "config_invalid" };
  }

  // A fork's head is its author's code: by default none of it runs. With
  // `fork_pull_requests: run` it runs in the sandbox with no network at all.
  if (fromFork && config.checks.fork_pull_requests !== "run") {
    log.info("checks of a fork's pull request not run (checks.fork_pull_requests: refuse)");
    await finishAll(
      "skipped",
      "Not run: the pull request comes from a fork",
      "chant-bot does not run a fork's code by default. A maintainer can set `checks.fork_pull_requests: run` in `.github/chant.yml` (default branch) to run these checks in the sandbox, with no network and no secret.",
    );
    return { kind: "not_run", reason: "fork" };
  }
  const checks = fromFork ? { ...config.checks, setup_network: false } : config.checks;

  try {
    const results = await runChecksForCommit(
      {
        headSha: data.headSha,
        baseSha,
        branch,
        only: data.only,
        // Without a pull request, the commit must be a branch's head here (not a fork's commit).
        mustBeBranchHead: data.pullRequest === undefined,
      },
      {
        forge,
        config: checks,
        sandbox: deps.sandbox,
        workRoot: deps.workRoot,
        secrets: deps.secrets,
        signal,
        log,
        onConclusion: deps.onConclusion,
      },
    );
    return {
      kind: "checked",
      conclusions: Object.fromEntries(results.map((r) => [r.name, r.conclusion])),
    };
  } catch (error) {
    if (error instanceof NotABranchHead) {
      await finishAll(
        "skipped",
        "Not run: the commit is not the head of a branch of this repository",
        "chant-bot runs checks on pull requests and on branches of the repository. This commit is neither (a fork's commit is not run).",
      );
      return { kind: "not_run", reason: "not_a_branch_head" };
    }
    if (isShutdown(signal) && token) {
      await job.moveToWait(token);
      throw new WaitingError();
    }
    throw error;
  }
}

type Conclusion = "skipped" | "action_required";

/** Every named check run completed at once with the same word (a job that runs none). */
async function finishChecks(
  forge: Forge,
  headSha: string,
  names: readonly CheckName[],
  outcome: { conclusion: Conclusion; title: string; summary: string },
): Promise<void> {
  for (const name of names) {
    await forge.ensureCheckRun(headSha, name, { status: "completed", ...outcome });
  }
}
