import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { toCheckRunUpdate } from "../../checks/check-run-update.js";
import { runChecks, type CheckResult } from "../../checks/run-checks.js";
import type { RepoConfig } from "../../config/repo-config.js";
import { CHECK_NAMES, type CheckName, type Forge } from "../../forge/forge.js";
import { LocalFiles } from "../../forge/local-files.js";
import { childEnv } from "../../process/command-line.js";
import { parseSpec } from "../../spec/parse-spec.js";
import { isSafeSpecId } from "../../spec/spec-id.js";
import { createRedactor } from "../../util/redact.js";
import { findReproductionTests } from "../find-research/reproduction-tests.js";
import { git } from "../workspace/git.js";
import { makeWorkspaceDir } from "../workspace/workspace-dir.js";

export interface ChecksRequest {
  headSha: string;
  /** The "before" of the reproduction check (the pull request's base). */
  baseSha?: string | undefined;
  /** The head branch (`chant/<ID>` names the spec whose reproduction tests to run). */
  branch?: string | undefined;
  /** Known already (from the research) or found from the branch's spec. */
  reproductionTests?: string[] | undefined;
  only?: readonly CheckName[] | undefined;
}

export interface ChecksDeps {
  forge: Forge;
  /** `.github/chant.yml` of the DEFAULT branch: a pull request never chooses the commands. */
  config: RepoConfig;
  workRoot: string;
  secrets: readonly string[];
  signal?: AbortSignal | undefined;
  log?: Logger | undefined;
  onConclusion?: (check: CheckName, conclusion: string) => void;
}

/**
 * The checks job: a fresh clone at the head (and its base), the commands of
 * the default branch's config, each check's run moved queued -> in_progress
 * -> completed on the head sha as it goes.
 */
export async function runChecksForCommit(
  request: ChecksRequest,
  deps: ChecksDeps,
): Promise<CheckResult[]> {
  const { forge } = deps;
  const names = request.only ?? CHECK_NAMES;
  const scratch = await makeWorkspaceDir(deps.workRoot, "chant-checks-");
  const dir = join(scratch, "repo");
  try {
    const access = await forge.gitAccess();
    const redact = createRedactor([...deps.secrets, ...access.secrets]);
    const run = (args: readonly string[], withAuth = false) =>
      git(args, {
        cwd: dir,
        redact,
        signal: deps.signal,
        ...(withAuth ? { env: access.env } : {}),
      });
    await mkdir(dir);
    await run(["init", "--quiet"]);
    await run(["remote", "add", "origin", access.url]);
    await run(["fetch", "--quiet", "--depth", "100", "--no-tags", "origin", request.headSha], true);
    let baseSha = request.baseSha;
    if (baseSha) {
      // Without the base the reproduction cannot show "fails before": it says so (neutral).
      await run(["fetch", "--quiet", "--depth", "100", "--no-tags", "origin", baseSha], true).catch(
        () => {
          deps.log?.warn({ baseSha }, "could not fetch the base commit");
          baseSha = undefined;
        },
      );
    }
    await run([
      "-c",
      "core.hooksPath=/dev/null",
      "checkout",
      "--quiet",
      "--detach",
      request.headSha,
    ]);

    const reproductionTests =
      request.reproductionTests ?? (await reproductionTestsOfBranch(dir, request.branch));
    const results = await runChecks({
      workspace: dir,
      baseSha,
      reproductionTests,
      config: deps.config.checks,
      env: childEnv({ CI: "true" }),
      redact,
      signal: deps.signal,
      only: names,
      onStart: (name, startedAt) =>
        forge.ensureCheckRun(request.headSha, name, { status: "in_progress", startedAt }),
      onComplete: async (result) => {
        deps.onConclusion?.(result.name, result.conclusion);
        await forge.ensureCheckRun(request.headSha, result.name, toCheckRunUpdate(result));
      },
    });
    return results;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The reproduction tests named by the spec of a `chant/<ID>` branch. */
async function reproductionTestsOfBranch(
  dir: string,
  branch: string | undefined,
): Promise<string[]> {
  const id = branch?.startsWith("chant/") ? branch.slice("chant/".length) : undefined;
  if (!id || !isSafeSpecId(id)) return [];
  const files = new LocalFiles(dir);
  const read = (await files.read([`.chant/specs/${id}.md`])).get(`.chant/specs/${id}.md`);
  if (read?.kind !== "text") return [];
  try {
    return await findReproductionTests(files, parseSpec(read.path, read.text));
  } catch {
    return [];
  }
}
