/**
 * Webhook payloads built from GitHub's real examples (@octokit/webhooks-examples)
 * with repository, installation, sender, issue, label, comment, pull request
 * and check fields overwritten from the stand-in's state, so that ids, logins
 * and shas in a payload are the ones the API then serves. Builders that
 * describe something new (a label added, a comment written) also make it
 * true in the state, as GitHub would have before sending the event.
 */
import { createRequire } from "node:module";
import { commitInfo, listRefs, runGit } from "./git.js";
import { nodeId } from "./state.js";
import type { CheckRunState, IssueState, RepoRef, RepoState, Store } from "./state.js";

interface ExampleEvent {
  name: string;
  examples: Record<string, unknown>[];
}

let examples: ExampleEvent[] | undefined;

function example(event: string, action: string): Record<string, unknown> {
  examples ??= createRequire(import.meta.url)("@octokit/webhooks-examples") as ExampleEvent[];
  const found = examples.find((e) => e.name === event)?.examples.find((x) => x.action === action);
  if (!found) throw new Error(`no ${event}.${action} example in @octokit/webhooks-examples`);
  return structuredClone(found);
}

/** Rewrites github.com URLs of the example to the stand-in's. */
function rehost(value: unknown, replacements: [string, string][]): unknown {
  if (typeof value === "string") {
    return replacements.reduce((s, [from, to]) => s.split(from).join(to), value);
  }
  if (Array.isArray(value)) return value.map((v) => rehost(v, replacements));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rehost(v, replacements)]));
  }
  return value;
}

function obj(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** Fields the examples fill with their own people and milestones. */
const UNASSIGNED = {
  assignee: null,
  assignees: [],
  milestone: null,
  performed_via_github_app: null,
};

export class PayloadBuilder {
  constructor(private readonly store: Store) {}

  private base(event: string, action: string, repo: RepoState, sender: string) {
    const ex = example(event, action);
    const exFull = String(obj(ex.repository).full_name ?? "Codertocat/Hello-World");
    const { baseUrl, apiUrl } = this.store;
    const rehosted = obj(
      rehost(ex, [
        [`https://api.github.com/repos/${exFull}`, `${apiUrl}/repos/${repo.fullName}`],
        [`https://github.com/${exFull}`, `${baseUrl}/${repo.fullName}`],
        [`git://github.com/${exFull}`, `git://127.0.0.1/${repo.fullName}`],
        [`git@github.com:${exFull}`, `git@127.0.0.1:${repo.fullName}`],
        ["https://api.github.com", apiUrl],
        ["https://github.com", baseUrl],
        ["http://github.com", baseUrl],
      ]),
    );
    const payload: Record<string, unknown> = {
      ...rehosted,
      action,
      repository: { ...obj(rehosted.repository), ...this.store.repoJson(repo) },
      sender: this.store.userJson(sender),
    };
    if (repo.installationId !== null) {
      payload.installation = {
        id: repo.installationId,
        node_id: nodeId("IN", repo.installationId),
      };
    } else {
      delete payload.installation;
    }
    const owner = this.store.findUser(repo.owner);
    if (owner?.type === "Organization") {
      payload.organization = {
        login: owner.login,
        id: owner.id,
        node_id: nodeId("O", owner.id),
        url: `${apiUrl}/orgs/${owner.login}`,
        description: null,
      };
    } else {
      delete payload.organization;
    }
    return { payload, rehosted };
  }

  private issueOf(repo: RepoState, number: number): IssueState {
    const issue = repo.issues.get(number);
    if (!issue) throw new Error(`fake-github: no issue #${number} in ${repo.fullName}`);
    return issue;
  }

  private issueField(rehosted: Record<string, unknown>, issue: IssueState) {
    const merged: Record<string, unknown> = {
      ...obj(rehosted.issue),
      ...UNASSIGNED,
      ...this.store.issueJson(issue),
    };
    if (!issue.pull) delete merged.pull_request;
    return merged;
  }

  /** `issues.labeled`; adds the label to the issue first. */
  issuesLabeled(input: {
    repo: RepoRef;
    issue: number;
    label: string;
    sender: string;
  }): Record<string, unknown> {
    const repo = this.store.repoByRef(input.repo);
    const issue = this.issueOf(repo, input.issue);
    if (!issue.labels.some((l) => l.toLowerCase() === input.label.toLowerCase()))
      issue.labels.push(input.label);
    const { payload, rehosted } = this.base("issues", "labeled", repo, input.sender);
    payload.issue = this.issueField(rehosted, issue);
    payload.label = this.store.labelJson(repo, input.label);
    return payload;
  }

  /**
   * `issue_comment.created` on an issue or a pull request (then `issue.pull_request`
   * is set, as GitHub does); writes the comment first.
   */
  issueCommentCreated(input: {
    repo: RepoRef;
    issue: number;
    body: string;
    user: string;
  }): Record<string, unknown> {
    const repo = this.store.repoByRef(input.repo);
    const issue = this.issueOf(repo, input.issue);
    this.store.ensureUser(input.user);
    const comment = this.store.addComment(repo, issue.number, input.user, input.body);
    const { payload, rehosted } = this.base("issue_comment", "created", repo, input.user);
    payload.issue = this.issueField(rehosted, issue);
    payload.comment = {
      ...obj(rehosted.comment),
      performed_via_github_app: null,
      ...this.store.commentJson(comment),
    };
    return payload;
  }

  /** `check_run.rerequested` for a check run the app created. */
  async checkRunRerequested(input: {
    repo: RepoRef;
    checkRunId: number;
    sender: string;
  }): Promise<Record<string, unknown>> {
    const repo = this.store.repoByRef(input.repo);
    const run = this.store.checkRuns.get(input.checkRunId);
    if (!run || run.repo !== repo)
      throw new Error(`fake-github: no check run ${input.checkRunId} in ${repo.fullName}`);
    const { payload, rehosted } = this.base("check_run", "rerequested", repo, input.sender);
    const exRun = obj(rehosted.check_run);
    const pullRequests = await this.pullRequestsAt(repo, run.headSha);
    payload.check_run = {
      ...exRun,
      ...this.store.checkRunJson(run),
      check_suite: {
        ...obj(exRun.check_suite),
        ...(await this.suiteJson(repo, run.headSha, pullRequests)),
      },
      pull_requests: pullRequests,
    };
    delete payload.requested_action;
    return payload;
  }

  /** `check_suite.rerequested` for the app's suite on `headSha` (created if none). */
  async checkSuiteRerequested(input: {
    repo: RepoRef;
    headSha: string;
    sender: string;
  }): Promise<Record<string, unknown>> {
    const repo = this.store.repoByRef(input.repo);
    const { payload, rehosted } = this.base("check_suite", "rerequested", repo, input.sender);
    const pullRequests = await this.pullRequestsAt(repo, input.headSha);
    const suite = await this.suiteJson(repo, input.headSha, pullRequests);
    const info = await commitInfo(repo.gitDir, input.headSha);
    payload.check_suite = {
      ...obj(rehosted.check_suite),
      ...suite,
      latest_check_runs_count: this.latestRuns(repo, input.headSha).length,
      head_commit: info && {
        id: info.sha,
        tree_id: info.tree,
        message: info.message,
        timestamp: info.committer.date,
        author: { name: info.author.name, email: info.author.email },
        committer: { name: info.committer.name, email: info.committer.email },
      },
    };
    return payload;
  }

  /** `pull_request.synchronize` for the pull request's current head; `before` defaults to its parent. */
  async pullRequestSynchronize(input: {
    repo: RepoRef;
    number: number;
    sender?: string;
    before?: string;
  }): Promise<Record<string, unknown>> {
    const repo = this.store.repoByRef(input.repo);
    const issue = this.issueOf(repo, input.number);
    if (!issue.pull) throw new Error(`fake-github: #${input.number} is not a pull request`);
    const pull = await this.store.pullJson(issue);
    const after = obj(pull.head).sha as string;
    const before = input.before ?? (await parentOf(repo, after));
    const { payload, rehosted } = this.base(
      "pull_request",
      "synchronize",
      repo,
      input.sender ?? issue.user,
    );
    payload.number = issue.number;
    payload.before = before;
    payload.after = after;
    payload.pull_request = {
      ...obj(rehosted.pull_request),
      ...UNASSIGNED,
      merged_by: null,
      auto_merge: null,
      mergeable: null,
      ...pull,
    };
    return payload;
  }

  private latestRuns(repo: RepoState, sha: string): CheckRunState[] {
    const seen = new Set<string>();
    return [...this.store.checkRuns.values()]
      .filter((r) => r.repo === repo && r.headSha === sha)
      .sort((a, b) => b.id - a.id)
      .filter((r) => (seen.has(r.name) ? false : (seen.add(r.name), true)));
  }

  /** Open pull requests of this repository (never forks: GitHub leaves those out) at `sha`. */
  private async pullRequestsAt(repo: RepoState, sha: string): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    for (const issue of repo.issues.values()) {
      if (!issue.pull || issue.state !== "open" || issue.pull.headRepo !== repo) continue;
      if ((await this.store.pullHeadSha(issue)) !== sha) continue;
      const repoRef = {
        id: repo.id,
        url: `${this.store.apiUrl}/repos/${repo.fullName}`,
        name: repo.name,
      };
      out.push({
        url: `${this.store.apiUrl}/repos/${repo.fullName}/pulls/${issue.number}`,
        id: issue.id,
        number: issue.number,
        head: { ref: issue.pull.headRef, sha, repo: repoRef },
        base: {
          ref: issue.pull.baseRef,
          sha: (await this.store.headOf(repo, issue.pull.baseRef)) ?? "",
          repo: repoRef,
        },
      });
    }
    return out;
  }

  private async suiteJson(repo: RepoState, sha: string, pullRequests: Record<string, unknown>[]) {
    const suite = this.store.checkSuiteFor(repo, sha);
    const runs = this.latestRuns(repo, sha);
    const completed = runs.length > 0 && runs.every((r) => r.status === "completed");
    const conclusions = runs.map((r) => r.conclusion);
    const conclusion = !completed
      ? null
      : (["failure", "timed_out", "cancelled", "action_required"].find((c) =>
          conclusions.includes(c),
        ) ?? "success");
    const headBranch =
      (pullRequests[0] && String(obj(obj(pullRequests[0]).head).ref)) ??
      (await listRefs(repo.gitDir)).find((r) => r.sha === sha)?.ref.replace(/^refs\/heads\//, "") ??
      null;
    return {
      id: suite.id,
      node_id: nodeId("CS", suite.id),
      head_branch: headBranch,
      head_sha: sha,
      status: completed ? "completed" : runs.length > 0 ? "in_progress" : "queued",
      conclusion,
      url: `${this.store.apiUrl}/repos/${repo.fullName}/check-suites/${suite.id}`,
      before: await parentOf(repo, sha),
      after: sha,
      pull_requests: pullRequests,
      app: this.store.appJson(),
      created_at: suite.createdAt,
      updated_at: suite.createdAt,
    };
  }
}

async function parentOf(repo: RepoState, sha: string): Promise<string> {
  const result = await runGit(["rev-parse", "--verify", "--quiet", `${sha}^`], {
    gitDir: repo.gitDir,
  });
  return result.code === 0 ? result.stdout.toString("utf8").trim() : "0".repeat(40);
}
