import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { approvalDiscussion } from "../../src/chant-format/approval.js";
import { parseSpec } from "../../src/chant-format/parse-spec.js";
import { strictWriteProblems } from "../../src/chant-format/serialize-spec.js";
import { main } from "../../src/cli/main.js";
import { shellQuote } from "../../src/process/command-line.js";
import { runProcess } from "../../src/process/run-process.js";
import { AGENTS } from "../support/e2e-stack.js";
import { SANDBOX_TEST_ENV } from "../support/sandbox.js";
import { gitIn, kvStoreRepo as newKvStoreRepo } from "../support/git-repo.js";

/**
 * `chant-bot implement --plan` then `--approve` on a checkout: chant's
 * approval gate without GitHub. The agent records its start in the work
 * tree (agent-start.json), so the branch says whether and on what it ran.
 */
const RECORDER = join(AGENTS, "record-start-then-fix.mjs");
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const kvStoreRepo = () => newKvStoreRepo("chant-plan-", dirs);

async function implement(args: string[]) {
  const saved = { ...process.env };
  Object.assign(process.env, {
    ...SANDBOX_TEST_ENV,
    CHANT_AGENT: "command",
    CHANT_AGENT_COMMAND: `${shellQuote(process.execPath)} ${shellQuote(RECORDER)}`,
  });
  const out: string[] = [];
  const err: string[] = [];
  try {
    const code = await main(["implement", ...args], {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      isTTY: false,
    });
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    process.env = saved;
  }
}

async function commitOnBranch(repo: string, branch: string, path: string, text: string) {
  const blob = await runProcess(["git", "hash-object", "-w", "--stdin"], {
    cwd: repo,
    env: { PATH: process.env.PATH ?? "" },
    input: text,
    timeoutMs: 10_000,
  });
  const wt = mkdtempSync(join(tmpdir(), "chant-plan-wt-"));
  dirs.push(wt);
  rmSync(wt, { recursive: true });
  await gitIn(repo, "worktree", "add", "-q", wt, branch);
  await gitIn(wt, "update-index", "--add", "--cacheinfo", `100644,${blob.stdout.trim()},${path}`);
  await gitIn(
    wt,
    "-c",
    "user.name=maintainer",
    "-c",
    "user.email=m@example.com",
    "commit",
    "-qm",
    "edit the plan",
  );
  await gitIn(repo, "worktree", "remove", "--force", wt);
}

// Real processes in the real sandbox: seconds alone, past 20 s under load. Not a timing test.
describe("chant-bot implement --plan / --approve", { timeout: 60_000 }, () => {
  it("--plan commits the spec alone with approval pending and runs no agent; --approve records chant's approval and runs the agent on it", async () => {
    const repo = await kvStoreRepo();
    const planned = await implement(["--repo", repo, "--issue", "42", "--plan", "--no-checks"]);
    expect(planned.code, planned.err).toBe(0);
    const branch = await gitIn(repo, "branch", "--list", "chant/*", "--format=%(refname:short)");
    const id = branch.slice("chant/".length);
    const path = `.chant/specs/${id}.md`;
    expect(planned.out).toContain(`the plan ${path} awaits approval; no agent ran`);
    expect(planned.err).toMatch(/skipped: Run the agent/);
    // Only the draft commit: no agent's work, no record of a start.
    expect((await gitIn(repo, "log", "--format=%s", `main..${branch}`)).split("\n")).toEqual([
      `chant(${id}): draft implementation spec`,
    ]);
    expect(await gitIn(repo, "ls-tree", "--name-only", branch, "agent-start.json")).toBe("");
    const plan = parseSpec(path, await gitIn(repo, "show", `${branch}:${path}`));
    expect(plan.frontmatter.status).toBe("pending");
    expect(plan.frontmatter.approval).toEqual({ required: true, status: "pending" });

    // A maintainer narrows the plan on the branch, then approves.
    const edited = (await gitIn(repo, "show", `${branch}:${path}`)).replace(
      "## Acceptance Criteria\n",
      "## Acceptance Criteria\n\n- [ ] Keep the public API of Store unchanged\n",
    );
    await commitOnBranch(repo, branch, path, `${edited}\n`);
    const reviewed = await gitIn(repo, "rev-parse", branch);

    // A --sha that is not the branch head is refused before anything runs.
    const stale = await implement([
      "--repo",
      repo,
      "--issue",
      "42",
      "--approve",
      "--sha",
      "0000000",
      "--no-checks",
    ]);
    expect(stale.code).toBe(1);
    expect(stale.err).toMatch(/--sha 0000000 is not the head of chant\//);

    const approved = await implement([
      "--repo",
      repo,
      "--issue",
      "42",
      "--approve",
      "--by",
      "marcos",
      "--sha",
      reviewed.slice(0, 12),
      "--no-checks",
    ]);
    expect(approved.code, approved.err).toBe(0);
    const log = (await gitIn(repo, "log", "--format=%s", `main..${branch}`)).split("\n");
    expect(log).toEqual([
      `chant(${id}): finalize spec`,
      `chant(${id}): ${plan.body.split("\n")[0]!.slice(2)}`,
      `chant(${id}): approve spec`,
      "edit the plan",
      `chant(${id}): draft implementation spec`,
    ]);
    // The approval commit sits on the commit the maintainer reviewed and changes only the record.
    const approveCommit = await gitIn(repo, "rev-parse", `${branch}~2`);
    expect(await gitIn(repo, "rev-parse", `${approveCommit}^`)).toBe(reviewed);
    const atApproval = await gitIn(repo, "show", `${approveCommit}:${path}`);
    expect(atApproval).toContain(
      "approval:\n  required: true\n  status: approved\n  by: marcos\n  at: ",
    );
    expect(atApproval).toMatch(
      /\n## Approval Discussion\n\n\*\*marcos\*\* - \d{4}-\d\d-\d\d \d\d:\d\d - APPROVED$/,
    );
    // The agent started once, on exactly the approved spec.
    const start = JSON.parse(await gitIn(repo, "show", `${branch}:agent-start.json`)) as {
      specSha256: string;
      approval: string[];
    };
    const { createHash } = await import("node:crypto");
    expect(start.specSha256).toBe(createHash("sha256").update(`${atApproval}\n`).digest("hex"));
    expect(start.approval.slice(0, 3)).toEqual([
      "approval:",
      "  required: true",
      "  status: approved",
    ]);
    // Finalised as chant does, the approval record intact and chant-strict.
    const final = parseSpec(path, await gitIn(repo, "show", `${branch}:${path}`));
    expect(final.frontmatter.status).toBe("completed");
    expect(final.frontmatter.approval).toMatchObject({
      required: true,
      status: "approved",
      by: "marcos",
    });
    expect(approvalDiscussion(final.body).map((e) => [e.by, e.decision])).toEqual([
      ["marcos", "APPROVED"],
    ]);
    expect(final.body).toContain("- [x] Keep the public API of Store unchanged");
    expect(strictWriteProblems(final)).toEqual([]);
    expect(final.leniencies).toEqual([]);
  });

  it("--approve with no plan, or on a plan someone broke, says why and runs nothing", async () => {
    const repo = await kvStoreRepo();
    const none = await implement(["--repo", repo, "--issue", "42", "--approve", "--no-checks"]);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/no plan awaits approval for issue #42/);

    expect((await implement(["--repo", repo, "--issue", "42", "--plan", "--no-checks"])).code).toBe(
      0,
    );
    const branch = await gitIn(repo, "branch", "--list", "chant/*", "--format=%(refname:short)");
    const id = branch.slice("chant/".length);
    const path = `.chant/specs/${id}.md`;
    const broken = (await gitIn(repo, "show", `${branch}:${path}`)).replace(
      "type: code",
      "type: [code",
    );
    await commitOnBranch(repo, branch, path, `${broken}\n`);
    const head = await gitIn(repo, "rev-parse", branch);
    const refused = await implement([
      "--repo",
      repo,
      "--issue",
      "42",
      "--approve",
      "--plan-id",
      id,
      "--no-checks",
    ]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/cannot be approved as it is/);
    expect(refused.err).toMatch(/invalid YAML/);
    expect(await gitIn(repo, "rev-parse", branch)).toBe(head);
  });
});
