import { freshStatus } from "../../domain/status.js";
import type { RunSoFar } from "../implement-types.js";
import { reResearchPullRequestBody } from "../publish/pull-request-body.js";
import type { VerifiedResult } from "../verify-result/verify-result.js";
import type { Committed } from "./committed.js";
import { sendBackToResearch } from "./send-back-to-research.js";

/**
 * Step 6 when the research's approach does not work: no fix is committed;
 * the implementation spec keeps the agent's notes and a follow-up research
 * spec is drafted on the branch (sendBackToResearch), for a draft pull
 * request that asks for the issue to be researched again.
 */
export async function commitFollowUp(run: RunSoFar, verified: VerifiedResult): Promise<Committed> {
  const { research, draft, workspace: ws } = run;
  const followUp = await sendBackToResearch(ws, verified, {
    specId: draft.id,
    issueNumber: research.issueNumber,
    oldResearch: research.found.research,
    rcaPaths: research.found.chain.rcaDocuments.map((d) => d.path),
    now: run.now(),
  });
  return {
    headSha: followUp.headSha,
    note: undefined,
    checkable: false,
    pullRequest: (blobUrl) => ({
      title: followUp.title,
      body: reResearchPullRequestBody({
        issueNumber: research.issueNumber,
        implSpecPath: draft.path,
        research: followUp.research,
        oldResearch: research.found.research,
        notes: followUp.notes,
        blobUrl,
      }),
      draft: true,
    }),
    final: (pr) => ({
      state: freshStatus(
        "needs_research",
        // A local run has no pull request: it names the branch.
        pr.number > 0
          ? `the research's approach does not work: opened #${pr.number} to re-research issue #${research.issueNumber}`
          : `the research's approach does not work: branch ${ws.branch} holds the follow-up research spec for issue #${research.issueNumber}`,
        {
          details: [
            "The agent's implementation notes:",
            "",
            ...followUp.notes.split("\n").map((l) => `> ${l}`),
          ],
          links: pr.number > 0 ? [{ label: `#${pr.number}`, url: pr.url }] : [],
        },
      ),
      reaction: "confused",
      outcome: { kind: "needs_research", specId: draft.id, branch: ws.branch, pullRequest: pr },
    }),
  };
}
