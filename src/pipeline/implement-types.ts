import type { Logger } from "pino";
import type { Agent } from "../agents/agent.js";
import type { PlanDecision } from "../domain/plan.js";
import type { RepoConfig } from "../domain/repo-config.js";
import type { StepName, StepState } from "../domain/status.js";
import type { Forge, ReactionTarget } from "../forge/forge.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import type { DraftedSpec } from "./draft-spec/draft-implementation-spec.js";
import type {
  ResearchForRequest,
  ResearchRequestInput,
} from "./find-research/find-research-for-request.js";
import type { Workspace } from "./workspace/prepare-workspace.js";
import type { Described } from "./pipeline-stop.js";

/** What runImplementation is asked, what it needs, and how it ends. */

export interface ImplementRequest extends ResearchRequestInput {
  /** Who asked: review is requested from them. */
  requestedBy?: string | undefined;
  /** The spec id an earlier attempt of this job drafted: same spec, same branch. */
  specId?: string | undefined;
  /** Where the final 🚀 / 😕 goes. */
  reactionTarget?: ReactionTarget | undefined;
  /** Stop at the plan (the spec alone, awaiting approval) whatever the config says. */
  plan?: boolean | undefined;
  /** A decision on the plan `chant/<specId>`: approve (then run on its commit), reject, review. */
  decision?: PlanDecision | undefined;
}

export interface ChecksHandover {
  headSha: string;
  baseSha: string;
  branch: string;
  pullRequest: number;
  reproductionTests: string[];
}

export interface ImplementDeps {
  forge: Forge;
  agent: Agent;
  /** Where the agent (and git over its tree) runs: nothing there can reach the worker's secrets. */
  sandbox: Sandbox;
  /** `.github/chant.yml` of the default branch. */
  config: RepoConfig;
  /** Where workspaces are made (and removed). */
  workRoot: string;
  /** Secrets of this process to redact from every output. */
  secrets: readonly string[];
  /** Step 8: create the check runs and queue the checks (GitHub) or run them (local); none: no checks (`--no-checks`). */
  handOverChecks?: ((handover: ChecksHandover) => Promise<void>) | undefined;
  /** Remember the drafted spec's id, so a second run of the job keeps it. */
  onSpecId?: (id: string) => Promise<void>;
  /** Measure a step (metrics). */
  onStep?: (step: StepName, outcome: StepState, ms: number) => void;
  /** This is the job's last attempt: an unexpected error is final. */
  lastAttempt?: boolean;
  jobId?: string | undefined;
  signal?: AbortSignal | undefined;
  log?: Logger | undefined;
  now?: () => Date;
}

export type ImplementOutcome =
  | {
      kind: "succeeded";
      specId: string;
      branch: string;
      headSha: string;
      pullRequest: { number: number; url: string };
    }
  | {
      kind: "needs_research";
      specId: string;
      branch: string;
      pullRequest: { number: number; url: string };
    }
  | {
      kind: "awaiting_approval";
      specId: string;
      branch: string;
      headSha: string;
      pullRequest: { number: number; url: string };
    }
  | { kind: "plan_reviewed"; sha: string; problems: string[] }
  | { kind: "plan_rejected"; specId: string; rejectionAction: string }
  | ({ kind: "stopped" } & Described);

/** A run that has found its research, drafted its spec and has its workspace: what later steps take. */
export interface RunSoFar {
  request: ImplementRequest;
  deps: ImplementDeps;
  research: ResearchForRequest;
  draft: DraftedSpec;
  workspace: Workspace;
  now: () => Date;
}
