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
    let configError: ConfigError | undefined;
    try {
      label = (await forge.repoConfig()).config.label;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // With the config unreadable, only the default label deserves an answer.
      configError = error;
      label = DEFAULT_CONFIG.label;
    }
    if (payload.label!.name !== label) return;

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
        requestedBy: payload.sender.login,
        trigger: "label",
      },
      { issue },
    );
  });
}
