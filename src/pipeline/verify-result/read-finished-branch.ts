import { parseSpec } from "../../chant-format/parse-spec.js";
import { readRegularFile } from "../workspace/index-files.js";
import type { Workspace } from "../workspace/prepare-workspace.js";
import { readSpecResult, type VerifiedResult } from "./verify-result.js";

/**
 * What verify would have found, read back from a branch an earlier attempt
 * of the job finished (committed, maybe pushed): the run goes on to publish.
 */
export async function readFinishedBranch(ws: Workspace): Promise<VerifiedResult> {
  const text = await readRegularFile(ws.git, "HEAD", ws.specPath);
  if (text === undefined) throw new Error(`${ws.specPath} is not a regular file on ${ws.branch}`);
  const spec = parseSpec(ws.specPath, text);
  const changed = (await ws.git(["diff", "--name-only", "-z", `${ws.baseSha}..HEAD`]))
    .split("\0")
    .filter((p) => p && p !== ws.specPath);
  return { changedFiles: changed, spec, ...readSpecResult(spec), needsResearch: false };
}
