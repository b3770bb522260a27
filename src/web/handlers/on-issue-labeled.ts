import type { Context } from "probot";
import { ConfigError, DEFAULT_CONFIG } from "../../domain/repo-config.js";
import { withNotice } from "../../domain/status.js";
import { isBot, mayTrigger, refusalNotice, roleOf } from "../authorize.js";
import { stopStatus } from "../../pipeline/pipeline-stop.js";
import { requestImplementation } from "../request-implementation.js";
import { acknowledge, forgeFor, onceForDelivery, type WebDeps, noteDelivery } from "../web-deps.js";

/** `issues.labeled` with the configured label (default `chant:implement`) starts an implementation. */
export async function onIssueLabeled(
  context: Context<"issues.labeled">,
  deps: WebDeps,
): Promise<void> {
  const { payload } = context;
  if (isBot(payload.sender) || !payload.label || payload.issue.pull_request) return;
  await onceForDelivery(context, deps, async () => {
    const forge = forgeFor(context, deps);
    const issue = payload.issue.number;
    let label: string;
    let planLabel: string;
    let configError: ConfigError | undefined;
    try {
      const { config } = await forge.repoConfig();
      label = config.label;
      planLabel = config.approval.label;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // With the config unreadable, only the default labels deserve an answer.
      configError = error;
      label = DEFAULT_CONFIG.label;
      planLabel = DEFAULT_CONFIG.approval.label;
    }
    // The plan label asks for the spec alone first, awaiting `/chant approve`.
    const plan = payload.label!.name === planLabel;
    if (payload.label!.name !== label && !plan) return;

    const { owner, repo } = context.repo();
    const role = await roleOf(context.octokit, owner, repo, payload.sender.login);
    if (!mayTrigger(role) || configError) {
      await acknowledge(context, deps, "answer the label", async () => {
        await forge.ensureStatusComment(issue, (previous) =>
          configError
            ? stopStatus(configError)
            : withNotice(previous, refusalNotice(payload.sender.login, role)),
        );
        await forge.react({ issue }, "confused");
      });
      noteDelivery(context.id, "refused");
      return;
    }
    await requestImplementation(
      context,
      deps,
      {
        target: issue,
        issueNumber: issue,
        force: false,
        ...(plan ? { plan: true } : {}),
        requestedBy: payload.sender.login,
        trigger: "label",
      },
      { issue },
    );
  });
}
