import { createHmac, generateKeyPairSync, randomUUID } from "node:crypto";
import { createRequire } from "node:module";

/**
 * Real webhook payloads (GitHub's own examples, @octokit/webhooks-examples),
 * with the fields a test cares about overwritten.
 */
interface Example {
  name: string;
  examples: { action?: string; [key: string]: unknown }[];
}
const examples = createRequire(import.meta.url)(
  "@octokit/webhooks-examples/api.github.com/index.json",
) as Example[];

export function examplePayload(event: string, action: string, index = 0): Record<string, unknown> {
  const found = examples.find((e) => e.name === event)?.examples.filter((x) => x.action === action)[
    index
  ];
  if (!found) throw new Error(`no example payload for ${event}.${action}`);
  return structuredClone(found) as Record<string, unknown>;
}

export function allExamplePayloads(): { event: string; payload: Record<string, unknown> }[] {
  return examples.flatMap((e) =>
    e.examples.map((payload) => ({ event: e.name, payload: structuredClone(payload) })),
  );
}

export const REPO = { id: 4242, owner: "octo-org", name: "kv-store" };
export const INSTALLATION_ID = 777;
export const APP_ID = 12345;

type Sender = { login: string; type?: "User" | "Bot" };

function common(sender: Sender) {
  return {
    installation: { id: INSTALLATION_ID, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc3" },
    repository: {
      ...(examplePayload("issues", "labeled").repository as object),
      id: REPO.id,
      name: REPO.name,
      full_name: `${REPO.owner}/${REPO.name}`,
      owner: { login: REPO.owner, id: 1, type: "Organization" },
      default_branch: "main",
    },
    sender: { login: sender.login, id: 99, type: sender.type ?? "User" },
  };
}

export function issueLabeled(opts: { issue?: number; label?: string; sender?: Sender } = {}) {
  const p = examplePayload("issues", "labeled");
  const issue = p.issue as Record<string, unknown>;
  return {
    ...p,
    ...common(opts.sender ?? { login: "alice" }),
    issue: {
      ...issue,
      number: opts.issue ?? 42,
      title: "Values disappear when two writes happen at once",
      body: "Two writes, one lost.",
      pull_request: undefined,
    },
    label: { ...(p.label as object), name: opts.label ?? "chant:implement" },
  };
}

export function issueComment(opts: {
  body: string;
  issue?: number;
  pullRequest?: boolean;
  sender?: Sender;
  commentId?: number;
}) {
  const p = examplePayload("issue_comment", "created");
  const issue: Record<string, unknown> = {
    ...(p.issue as Record<string, unknown>),
    number: opts.issue ?? 42,
  };
  if (opts.pullRequest)
    issue.pull_request = {
      url: `https://api.github.com/repos/${REPO.owner}/${REPO.name}/pulls/${opts.issue ?? 42}`,
    };
  else delete issue.pull_request;
  return {
    ...p,
    ...common(opts.sender ?? { login: "alice" }),
    issue,
    comment: { ...(p.comment as object), id: opts.commentId ?? 5001, body: opts.body },
  };
}

export function checkRunRerequested(
  opts: { name?: string; appId?: number; sha?: string; sender?: Sender } = {},
) {
  const p = examplePayload("check_run", "rerequested");
  const run = p.check_run as Record<string, unknown>;
  return {
    ...p,
    ...common(opts.sender ?? { login: "alice" }),
    check_run: {
      ...run,
      name: opts.name ?? "chant/tests",
      head_sha: opts.sha ?? "a".repeat(40),
      app: { ...(run.app as object), id: opts.appId ?? APP_ID },
      pull_requests: [
        {
          number: 50,
          head: { ref: "chant/x", sha: opts.sha ?? "a".repeat(40) },
          base: { ref: "main" },
        },
      ],
    },
  };
}

export function checkSuiteRerequested(
  opts: { appId?: number; sha?: string; sender?: Sender } = {},
) {
  const p = examplePayload("check_suite", "rerequested");
  const suite = p.check_suite as Record<string, unknown>;
  return {
    ...p,
    ...common(opts.sender ?? { login: "alice" }),
    check_suite: {
      ...suite,
      head_sha: opts.sha ?? "b".repeat(40),
      app: { ...(suite.app as object), id: opts.appId ?? APP_ID },
      pull_requests: [{ number: 50 }],
    },
  };
}

export function pullRequestSynchronize(
  opts: { ref?: string; sha?: string; fork?: boolean; sender?: Sender } = {},
) {
  const p = examplePayload("pull_request", "synchronize");
  const pr = p.pull_request as Record<string, Record<string, unknown>>;
  const base = common(opts.sender ?? { login: "alice" });
  return {
    ...p,
    ...base,
    pull_request: {
      ...pr,
      number: 50,
      head: {
        ...pr.head,
        ref: opts.ref ?? "chant/2026-01-29-001-abc",
        sha: opts.sha ?? "c".repeat(40),
        repo: {
          ...(pr.head!.repo as object),
          full_name: opts.fork ? "someone/kv-store" : base.repository.full_name,
        },
      },
    },
  };
}

export function sign(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export function newDeliveryId(): string {
  return randomUUID();
}

let key: string | undefined;
/** An RSA key for a test GitHub App (generated once per test process). */
export function testPrivateKey(): string {
  key ??= generateKeyPairSync("rsa", { modulusLength: 2048 })
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();
  return key;
}
