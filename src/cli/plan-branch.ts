import { awaitsApproval } from "../chant-format/approval.js";
import { parseSpec } from "../chant-format/parse-spec.js";
import { isSpecId } from "../chant-format/spec-id.js";
import { git } from "../process/git.js";

export interface PlanBranch {
  specId: string;
  branch: string;
  sha: string;
}

/**
 * The plan awaiting approval for issue N in a checkout: the `chant/<ID>`
 * branch whose spec `.chant/specs/<ID>.md` is labelled `issue-N` and asks for
 * an approval not given yet. Returns the plans found (none, one, several).
 */
export async function plansForIssue(dir: string, issueNumber: number): Promise<PlanBranch[]> {
  const refs = await git(
    ["for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads/chant/"],
    { cwd: dir, redact: (t) => t },
  );
  const plans: PlanBranch[] = [];
  for (const line of refs.split("\n").filter(Boolean)) {
    const [branch, sha] = line.split(" ") as [string, string];
    const specId = branch.slice("chant/".length);
    if (!isSpecId(specId)) continue;
    const path = `.chant/specs/${specId}.md`;
    let text: string;
    try {
      text = await git(["show", `${sha}:${path}`], { cwd: dir, redact: (t) => t });
    } catch {
      continue;
    }
    try {
      const spec = parseSpec(path, text);
      if (
        awaitsApproval(spec.frontmatter) &&
        (spec.frontmatter.labels ?? []).includes(`issue-${issueNumber}`)
      )
        plans.push({ specId, branch, sha });
    } catch {
      // A plan someone broke: not one to approve (its branch can still be named with --plan-id).
      continue;
    }
  }
  return plans;
}

/** The branch `chant/<ID>`'s head in the checkout, or undefined. */
export async function branchHead(dir: string, specId: string): Promise<string | undefined> {
  try {
    return (
      await git(["rev-parse", "--verify", "--quiet", `refs/heads/chant/${specId}^{commit}`], {
        cwd: dir,
        redact: (t) => t,
      })
    ).trim();
  } catch {
    return undefined;
  }
}

/** Who approves by default: the checkout's `user.name`, else the login name. */
export async function localUser(dir: string): Promise<string> {
  try {
    const name = (await git(["config", "user.name"], { cwd: dir, redact: (t) => t })).trim();
    if (name) return name;
  } catch {
    // not set
  }
  return process.env.USER ?? "local";
}
