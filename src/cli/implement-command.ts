import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { workRootFromEnv } from "./app-env.js";
import { AgentConfigError, agentCredentialValues, agentFromEnv } from "../agents/agent-from-env.js";
import { checkAgent } from "../agents/preflight.js";
import { failureTails } from "./check-command.js";
import { anyFailed, formatResultsTable } from "../checks/format-results.js";
import type { CheckResult } from "../checks/run-checks.js";
import { secretsFromEnv } from "./process-secrets.js";
import { branchHead, localUser, plansForIssue } from "./plan-branch.js";
import type { PlanDecision } from "../domain/plan.js";
import { ConfigError, type RepoConfig } from "../domain/repo-config.js";
import { LocalForge } from "../forge/local/local-forge.js";
import { runChecksForCommit } from "../pipeline/checks/run-checks-for-commit.js";
import { runImplementation } from "../pipeline/run-implementation.js";
import { SandboxConfigError } from "../sandbox/sandbox.js";
import { openSandbox } from "../sandbox/sandbox-from-env.js";
import {
  EXIT,
  failure,
  parseCommandArgs,
  positiveIntegerFlag,
  sandboxLog,
  type Command,
  type Output,
} from "./command.js";

export const implementCommand: Command = {
  name: "implement",
  summary:
    "the whole pipeline on a local checkout: draft, agent, fix branch, checks (no GitHub, no Redis)",
  usage: `chant-bot implement --repo DIR --issue N [--title T] [--body-file F] [--spec ID] [--force] [--no-checks] [--json]
       [--plan | --approve [--plan-id ID] [--sha SHA] [--by NAME]]

Runs what the app runs for a labelled issue, on the checkout DIR: finds the
research spec, drafts the implementation spec, runs the agent (CHANT_AGENT,
CHANT_AGENT_COMMAND) in a fresh clone, verifies and commits its work, and
pushes the branch chant/<ID> back into DIR. The pull request it would open is
printed. Then the four checks run on the branch (unless --no-checks).

  --repo DIR        the checkout (default: the current directory)
  --issue N         the issue number (required)
  --title T         the issue's title (spec and pull request titles)
  --body-file F     a file holding the issue's text, given to the agent as untrusted text
  --spec ID         use this research spec (id or path) instead of searching
  --force           go ahead even when the research spec is not completed
  --no-checks       do not run the checks afterwards
  --json            print the outcome as JSON on stdout
  --plan            stop at the plan: the spec alone on chant/<ID>, with
                    approval: {required: true, status: pending}; no agent runs
                    (also when .github/chant.yml sets approval.required)
  --approve         approve the issue's plan (its chant/<ID> branch at its head,
                    or --sha) as chant approve does, then run the agent on it
  --plan-id ID      the plan to approve, when the issue has several
  --sha SHA         the commit of the plan you reviewed (default: the branch head)
  --by NAME         who approves (default: git config user.name)

Progress goes to stderr. Exit status: 0 the fix branch is ready and no check
failed, 1 the run stopped (the reason is printed) or a check failed, 2 usage error.`,

  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      repo: { type: "string", default: "." },
      issue: { type: "string" },
      title: { type: "string" },
      "body-file": { type: "string" },
      spec: { type: "string" },
      force: { type: "boolean", default: false },
      "no-checks": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      plan: { type: "boolean", default: false },
      approve: { type: "boolean", default: false },
      "plan-id": { type: "string" },
      sha: { type: "string" },
      by: { type: "string" },
    });
    if (values.help) {
      io.out(this.usage);
      return EXIT.ok;
    }
    const issueNumber = positiveIntegerFlag(values.issue, "--issue");
    const dir = resolve(values.repo);
    const fail = failure(io, "implement", values.json);

    if (values.plan && values.approve) return fail("--plan and --approve do not go together");
    let decision: ApprovalRequest | undefined;
    if (values.approve) {
      const found = await approvalFor(dir, issueNumber, values);
      if (typeof found === "string") return fail(found);
      decision = found;
    }

    const workRoot = workRootFromEnv(process.env);
    const opened = await openLocalRun(dir, workRoot, values, io);
    if (typeof opened === "string") return fail(opened);
    const { forge, config, agent, sandbox } = opened;
    const secrets = [...secretsFromEnv(), ...agentCredentialValues(process.env)];
    const controller = new AbortController();
    const interrupt = () => controller.abort(new Error("interrupted"));
    // Ctrl-C, `timeout`, a container stop: the agent's and the checks' processes go too.
    process.once("SIGINT", interrupt);
    process.once("SIGTERM", interrupt);
    let checks: CheckResult[] = [];
    try {
      const outcome = await runImplementation(
        {
          target: issueNumber,
          issueNumber,
          explicitSpec: values.spec,
          force: values.force,
          plan: values.plan,
          ...(decision ? { specId: decision.specId, decision: decision.decision } : {}),
        },
        {
          forge,
          agent,
          sandbox,
          config,
          workRoot,
          secrets,
          signal: controller.signal,
          lastAttempt: true,
          // --no-checks: no checks step at all (it used to print "done: Start the checks").
          handOverChecks: values["no-checks"]
            ? undefined
            : async (handover) => {
                checks = await runChecksForCommit(
                  {
                    headSha: handover.headSha,
                    baseSha: handover.baseSha,
                    reproductionTests: handover.reproductionTests,
                  },
                  {
                    forge,
                    config: config.checks,
                    sandbox,
                    workRoot,
                    secrets,
                    signal: controller.signal,
                  },
                );
              },
        },
      );
      return printOutcome(io, outcome, { dir, issueNumber, json: values.json, forge, checks });
    } finally {
      process.removeListener("SIGINT", interrupt);
      process.removeListener("SIGTERM", interrupt);
    }
  },
};

/** The checkout as a forge, its config, the agent in its sandbox (checked): or why not, in a line. */
async function openLocalRun(
  dir: string,
  workRoot: string,
  values: { title?: string | undefined; "body-file"?: string | undefined },
  io: Output,
): Promise<
  | {
      forge: LocalForge;
      config: RepoConfig;
      agent: ReturnType<typeof agentFromEnv>;
      sandbox: Awaited<ReturnType<typeof openSandbox>>;
    }
  | string
> {
  let body: string | undefined;
  try {
    body = values["body-file"] ? await readFile(values["body-file"], "utf8") : undefined;
  } catch (error) {
    return `--body-file ${values["body-file"]} could not be read: ${(error as Error).message}`;
  }
  const forge = new LocalForge({
    dir,
    issueTitle: values.title,
    issueBody: body,
    print: io.err,
    isTTY: io.isTTY,
  });
  try {
    const config = (await forge.repoConfig()).config;
    const agent = agentFromEnv(process.env);
    const sandbox = await openSandbox(process.env, {
      workRoot,
      programs: agent.programs,
      log: sandboxLog(io),
    });
    // The agent runs there, knows the flags it is given, and has a credential to use.
    await checkAgent(agent, sandbox, { env: process.env, workRoot });
    return { forge, config, agent, sandbox };
  } catch (error) {
    if (
      error instanceof ConfigError ||
      error instanceof AgentConfigError ||
      error instanceof SandboxConfigError
    )
      return error.message;
    throw error;
  }
}

/** What the run came to, on stdout (JSON with --json), and the exit status it means. */
function printOutcome(
  io: Output,
  outcome: Awaited<ReturnType<typeof runImplementation>>,
  run: {
    dir: string;
    issueNumber: number;
    json: boolean;
    forge: LocalForge;
    checks: CheckResult[];
  },
): number {
  const { dir, issueNumber, forge, checks } = run;
  const json = (value: unknown) => io.out(JSON.stringify(value, null, 2));
  if (outcome.kind === "stopped") {
    // The forge has printed the outcome and its details already.
    if (run.json) json({ ok: false, reason: outcome.headline, details: outcome.details });
    return EXIT.failed;
  }
  if (outcome.kind === "awaiting_approval") {
    const pr = forge.pullRequestDraft;
    if (run.json)
      json({
        ok: true,
        outcome: outcome.kind,
        specId: outcome.specId,
        branch: outcome.branch,
        headSha: outcome.headSha,
        pullRequest: pr,
      });
    else
      io.out(
        [
          "",
          `Branch ${outcome.branch} is in ${dir}: the plan .chant/specs/${outcome.specId}.md awaits approval; no agent ran.`,
          `Review it (edit and commit on the branch if needed), then: chant-bot implement --repo ${dir} --issue ${issueNumber} --approve`,
        ].join("\n"),
      );
    return EXIT.ok;
  }
  if (outcome.kind === "plan_reviewed" || outcome.kind === "plan_rejected") return EXIT.failed;
  const ok = outcome.kind === "succeeded" && !anyFailed(checks);
  if (run.json) {
    json({
      ok,
      outcome: outcome.kind,
      specId: outcome.specId,
      branch: outcome.branch,
      pullRequest: forge.pullRequestDraft,
      checks: checks.map((c) => ({ name: c.name, conclusion: c.conclusion, title: c.title })),
    });
  } else {
    const pr = forge.pullRequestDraft;
    io.out(
      [
        "",
        outcome.kind === "succeeded"
          ? `Branch ${outcome.branch} is in ${dir}: the spec .chant/specs/${outcome.specId}.md and the fix.`
          : `The research's approach does not work: branch ${outcome.branch} holds the notes and a follow-up research spec.`,
        ...(pr ? ["", `Pull request to open (base ${pr.base}): ${pr.title}`, "", pr.body] : []),
        ...(checks.length ? ["", formatResultsTable(checks), ...failureTails(checks)] : []),
      ].join("\n"),
    );
  }
  return ok ? EXIT.ok : EXIT.failed;
}

interface ApprovalRequest {
  specId: string;
  decision: PlanDecision;
}

/** `--approve`: the plan (the issue's one, or --plan-id), the commit (the branch head, or --sha), who. */
async function approvalFor(
  dir: string,
  issueNumber: number,
  values: { "plan-id"?: string | undefined; sha?: string | undefined; by?: string | undefined },
): Promise<ApprovalRequest | string> {
  let specId = values["plan-id"];
  let head: string | undefined;
  if (specId === undefined) {
    const plans = await plansForIssue(dir, issueNumber);
    if (plans.length === 0)
      return `no plan awaits approval for issue #${issueNumber} in ${dir} (a chant/<ID> branch whose spec is labelled issue-${issueNumber} with approval pending or rejected); make one with --plan`;
    if (plans.length > 1)
      return `several plans await approval for issue #${issueNumber}: ${plans.map((p) => p.specId).join(", ")}; name one with --plan-id`;
    specId = plans[0]!.specId;
    head = plans[0]!.sha;
  } else {
    head = await branchHead(dir, specId);
    if (!head) return `there is no branch chant/${specId} in ${dir}`;
  }
  let sha = head;
  if (values.sha !== undefined) {
    const given = values.sha.toLowerCase();
    if (!/^[0-9a-f]{7,40}$/.test(given)) return `--sha ${values.sha} is not a commit sha`;
    if (!head.startsWith(given))
      return `--sha ${values.sha} is not the head of chant/${specId} (${head.slice(0, 7)}): the branch moved after the commit you reviewed; review the head and approve that`;
    sha = head;
  }
  return {
    specId,
    decision: {
      kind: "approve",
      sha,
      by: values.by ?? (await localUser(dir)),
      at: new Date().toISOString(),
    },
  };
}
