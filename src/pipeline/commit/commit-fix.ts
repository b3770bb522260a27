import type { AgentResult } from "../../agents/agent.js";
import { freshStatus } from "../../domain/status.js";
import { plural } from "../../util/plural.js";
import type { RunSoFar } from "../implement-types.js";
import { fixPullRequestBody } from "../publish/pull-request-body.js";
import type { VerifiedResult } from "../verify-result/verify-result.js";
import { commitResult } from "./commit-result.js";
import { describePr, type Committed } from "./committed.js";

/**
 * Step 6 for a fix: the agent's changes and the finished spec committed on
 * `chant/<ID>` (or, on a branch an earlier attempt finished, what is there).
 */
export async function commitFix(
  run: RunSoFar,
  verified: VerifiedResult,
  agent: AgentResult | undefined,
): Promise<Committed> {
  const { workspace: ws, draft, deps } = run;
  if (ws.resumed) {
    return presentFix(
      run,
      verified,
      agent,
      (await ws.git(["rev-parse", "HEAD"])).trim(),
      undefined,
    );
  }
  const committed = await commitResult(ws, verified, {
    specId: draft.id,
    title: draft.title,
    // The model chant records: what the agent reported, else what it was asked to use.
    model: agent?.model ?? (deps.agent.name === "command" ? undefined : deps.config.agent.model),
    now: run.now(),
    approved: draft.frontmatter.approval?.status === "approved" ? draft : undefined,
  });
  return presentFix(
    run,
    verified,
    agent,
    committed.headSha,
    plural(committed.commits.length, "commit"),
  );
}

function presentFix(
  run: RunSoFar,
  v: VerifiedResult,
  agent: AgentResult | undefined,
  headSha: string,
  note: string | undefined,
): Committed {
  const { research, draft, workspace: ws, deps } = run;
  return {
    headSha,
    note,
    checkable: true,
    pullRequest: (blobUrl) => ({
      title: draft.title,
      body: fixPullRequestBody({
        issueNumber: research.issueNumber,
        spec: v.spec,
        research: research.found.research,
        rcaPaths: research.found.chain.rcaDocuments.map((d) => d.path),
        blobUrl,
        agent,
        unticked: v.unticked,
        releaseNotesFilled: v.releaseNotesFilled,
        implementationNotes: v.implementationNotes,
        reproductionTests: research.found.chain.reproductionTests,
        changedFiles: v.changedFiles,
      }),
      draft: deps.config.pr.draft,
    }),
    final: (pr, { details, blobUrl }) => {
      const warnings = [
        ...(v.unticked.length
          ? [
              `⚠️ ${v.unticked.length} acceptance criteria are not ticked; the spec is \`needs_attention\`.`,
            ]
          : []),
        ...(v.releaseNotesFilled ? [] : ["⚠️ The agent did not fill in the Release Notes."]),
      ];
      return {
        state: freshStatus("succeeded", `${describePr(pr, ws.branch)}: ${draft.title}`, {
          details: [...details, ...(warnings.length ? ["", ...warnings] : [])],
          links: [
            { label: `#${pr.number}`, url: pr.url },
            ...(blobUrl ? [{ label: "implementation spec", url: `${blobUrl}${draft.path}` }] : []),
          ],
        }),
        reaction: "rocket",
        outcome: {
          kind: "succeeded",
          specId: draft.id,
          branch: ws.branch,
          headSha,
          pullRequest: pr,
        },
      };
    },
  };
}
