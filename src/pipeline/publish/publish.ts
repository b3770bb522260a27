import type { Forge } from "../../forge/forge.js";
import { GitError } from "../../process/git.js";
import { PipelineStop } from "../pipeline-stop.js";
import { secretsInChanges } from "./secrets-in-changes.js";
import type { Workspace } from "../workspace/prepare-workspace.js";

export interface PublishInput {
  forge: Forge;
  workspace: Workspace;
  base: string;
  title: string;
  body: string;
  draft: boolean;
  reviewers: string[];
}

export interface Published {
  number: number;
  url: string;
  created: boolean;
}

/**
 * Step 7: push `chant/<ID>` (a lease on what the branch held before this run,
 * so a person's commits are never overwritten), then ONE pull request for the
 * branch, found by its head and created or updated, and review requested from
 * whoever asked.
 */
export async function publish(input: PublishInput): Promise<Published> {
  const { workspace } = input;
  const ref = `refs/heads/${workspace.branch}`;
  const leaks = await secretsInChanges(workspace);
  if (leaks.length > 0) {
    throw new PipelineStop(
      "secret_in_changes",
      "the changes hold a secret of this app or a GitHub token, so nothing was pushed",
      [
        `Found in: ${leaks.slice(0, 20).join(", ")}${leaks.length > 20 ? `, and ${leaks.length - 20} more` : ""}.`,
        "The sandbox keeps the app's own secrets out of the agent's reach; a value the agent was given (CHANT_AGENT_ENV) or wrote is still never pushed when it is one of the secrets. See docs/deployment.md, \"Containment\".",
      ],
    );
  }
  try {
    await workspace.gitRemote([
      "push",
      "--no-verify",
      `--force-with-lease=${ref}:${workspace.remoteSha ?? ""}`,
      "origin",
      `HEAD:${ref}`,
    ]);
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    throw new PipelineStop("push_rejected", `the push of \`${workspace.branch}\` was rejected`, [
      "```text",
      error.output.trim().slice(-2000),
      "```",
      "If someone pushed to the branch meanwhile, their commits were kept; `/chant retry` starts over on a new branch.",
    ]);
  }
  const pr = await input.forge.ensurePullRequest({
    head: workspace.branch,
    base: input.base,
    title: input.title,
    body: input.body,
    draft: input.draft,
  });
  const reviewers = input.reviewers.filter((l) => !/\[bot\]$/.test(l));
  await input.forge.requestReview(pr.number, reviewers);
  return pr;
}
