import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { ChecksCommands } from "../../checks/check-types.js";
import { runChecks, type CheckResult } from "../../checks/run-checks.js";
import { type Forge } from "../../forge/forge.js";
import { CHECK_NAMES, type CheckName } from "../../domain/checks.js";
import { LocalFiles } from "../../process/local-files.js";
import { childEnv } from "../../process/command-line.js";
import { git } from "../../process/git.js";
import type { Sandbox } from "../../sandbox/sandbox.js";
import { parseSpec } from "../../chant-format/parse-spec.js";
import { isSafeSpecId } from "../../chant-format/spec-id.js";
import { createRedactor } from "../../util/redact.js";
import { findReproductionTests } from "../find-research/reproduction-tests.js";
import { CheckRunReporter } from "./check-run-reporter.js";
import { makeWorkspaceDir, removeTree } from "../workspace/workspace-dir.js";

export interface ChecksRequest {
  headSha: string;
  /** The "before" of the reproduction check (the pull request's base). */
  baseSha?: string | undefined;
  /** The head branch (`chant/<ID>` names the spec whose reproduction tests to run). */
  branch?: string | undefined;
  /** Known already (from the research) or found from the branch's spec. */
  reproductionTests?: string[] | undefined;
  only?: readonly CheckName[] | undefined;
  /** Refuse (NotABranchHead) unless headSha is the head of a branch of the repository. */
  mustBeBranchHead?: boolean;
}

/** The commit asked for is not the head of any branch of the repository (e.g. a fork's). */
export class NotABranchHead extends Error {
  override readonly name = "NotABranchHead";
}

export interface ChecksDeps {
  forge: Forge;
  /** `checks:` of the DEFAULT branch's `.github/chant.yml`: a pull request never chooses the commands. */
  config: ChecksCommands;
  /** Where the commands run: they run the branch's code, which nobody vouched for. */
  sandbox: Sandbox;
  workRoot: string;
  secrets: readonly string[];
  signal?: AbortSignal | undefined;
  log?: Logger | undefined;
  onConclusion?: (check: CheckName, conclusion: string) => void;
}

/**
 * The checks job: a fresh clone at the head (and a second one at its base,
 * made before anything runs), the commands of the default branch's config
 * run in the sandbox, each check's run written in its first real state on
 * the head sha as it goes (CheckRunReporter).
 */
export async function runChecksForCommit(
  request: ChecksRequest,
  deps: ChecksDeps,
): Promise<CheckResult[]> {
  const { forge } = deps;
  const names = request.only ?? CHECK_NAMES;
  const scratch = await makeWorkspaceDir(deps.workRoot, "chant-checks-");
  const dir = join(scratch, "head");
  let reporter: CheckRunReporter | undefined;
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
    if (request.mustBeBranchHead) {
      const heads = await run(["ls-remote", "--heads", "origin"], true);
      if (!heads.split("\n").some((line) => line.startsWith(`${request.headSha}\t`))) {
        throw new NotABranchHead(request.headSha);
      }
    }
    reporter = new CheckRunReporter(forge, request.headSha, deps.log);
    await run(["fetch", "--quiet", "--depth", "100", "--no-tags", "origin", request.headSha], true);
    let baseSha = request.baseSha;
    if (baseSha) {
      // Without the base the reproduction cannot show "fails before": it says so (neutral).
      try {
        await run(["fetch", "--quiet", "--depth", "100", "--no-tags", "origin", baseSha], true);
      } catch (error) {
        deps.log?.warn({ baseSha, err: error }, "could not fetch the base commit");
        baseSha = undefined;
      }
    }
    await run(["checkout", "--quiet", "--detach", request.headSha]);

    const reproductionTests =
      request.reproductionTests ?? (await reproductionTestsOfBranch(dir, request.branch));
    const privateDir = join(scratch, "sandbox");
    await mkdir(privateDir);
    const results = await runChecks({
      workspace: dir,
      sandbox: deps.sandbox,
      privateDir,
      ownsCheckouts: true,
      baseSha,
      reproductionTests,
      config: deps.config,
      env: childEnv({ CI: "true" }),
      redact,
      signal: deps.signal,
      only: names,
      onStart: (name, startedAt) => reporter?.start(name, startedAt),
      onComplete: (result) => {
        deps.onConclusion?.(result.name, result.conclusion);
        reporter!.complete(result);
      },
    });
    await reporter.flush();
    return results;
  } finally {
    await reporter?.settle();
    await removeTree(scratch);
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
