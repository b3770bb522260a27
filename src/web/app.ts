import type { ApplicationFunction } from "probot";
import {
  onCheckRunRerequested,
  onCheckSuiteRerequested,
  onPullRequestSynchronize,
} from "./handlers/on-checks-requested.js";
import { onIssueComment } from "./handlers/on-issue-comment.js";
import { onIssueLabeled } from "./handlers/on-issue-labeled.js";
import type { WebDeps } from "./web-deps.js";

/** The Probot app: it only wires events to handlers. */
export function chantBotApp(deps: WebDeps): ApplicationFunction {
  return (app) => {
    app.on("issues.labeled", (context) => onIssueLabeled(context, deps));
    app.on("issue_comment.created", (context) => onIssueComment(context, deps));
    app.on("check_run.rerequested", (context) => onCheckRunRerequested(context, deps));
    app.on("check_suite.rerequested", (context) => onCheckSuiteRerequested(context, deps));
    app.on("pull_request.synchronize", (context) => onPullRequestSynchronize(context, deps));
  };
}
