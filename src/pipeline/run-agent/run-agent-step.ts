import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Agent, AgentResult } from "../../agents/agent.js";
import { bundledPrompt, renderPrompt } from "../../agents/render-prompt.js";
import type { RepoConfig } from "../../domain/repo-config.js";
import type { IssueInfo } from "../../forge/forge.js";
import { readLocalFile } from "../../process/local-files.js";
import { serializeSpec } from "../../chant-format/serialize-spec.js";
import { parseYaml } from "../../util/yaml.js";
import type { Sandbox } from "../../sandbox/sandbox.js";
import type { DraftedSpec } from "../draft-spec/draft-implementation-spec.js";
import type { FoundResearch } from "../draft-spec/draft-for-issue.js";
import { plural } from "../../util/plural.js";
import { PipelineStop } from "../pipeline-stop.js";
import type { Workspace } from "../workspace/prepare-workspace.js";
import { copyForAgent } from "./agent-workspace.js";

export interface RunAgentInput {
  agent: Agent;
  sandbox: Sandbox;
  workspace: Workspace;
  draft: DraftedSpec;
  found: FoundResearch;
  issue: IssueInfo | undefined;
  config: RepoConfig;
  repoName: string;
  signal?: AbortSignal | undefined;
  onProgress?: (line: string) => void;
}

/**
 * Step 4: render the implement prompt (the repository's own
 * `.chant/prompts/implement.md` if it has one), with the research and RCA
 * inlined and the issue fenced as untrusted text, and run the agent in the
 * sandbox on a copy of the clone. The agent never sees a GitHub token, the
 * App's key or the worker's own clone; its changes come back as a patch
 * (takeAgentChanges, step 5).
 */
export async function runAgentStep(input: RunAgentInput): Promise<AgentResult> {
  const { workspace, draft, found, config } = input;
  const own = await readLocalFile(workspace.dir, ".chant/prompts/implement.md");
  const template = own.kind === "text" ? own.text : await bundledPrompt("implement");
  const prompt = renderPrompt({
    template,
    projectName: (await projectName(workspace.dir)) ?? input.repoName,
    spec: { ...draft, path: draft.path },
    informedBy: [
      { path: found.research.path, text: serializeSpec(found.research) },
      // Every research document of the chain (root cause, impact map, ...), as the spec's informed_by.
      ...(found.chain.documents ?? found.chain.rcaDocuments),
    ],
    issue: input.issue && {
      number: input.issue.number,
      title: input.issue.title,
      body: input.issue.body,
    },
  });
  const promptFile = join(workspace.scratch, "prompt.md");
  await writeFile(promptFile, prompt, { mode: 0o644 });
  await copyForAgent(workspace);

  const result = await input.agent.run({
    workspace: workspace.agentDir,
    sandbox: input.sandbox,
    privateDir: workspace.privateDir,
    prompt,
    promptFile,
    specPath: draft.path,
    specId: draft.id,
    model: config.agent.model,
    maxTurns: config.agent.max_turns,
    timeoutMs: config.agent.timeout_minutes * 60_000,
    signal: input.signal,
    onProgress: input.onProgress,
    // What the agent prints reaches the status comment: redact the worker's secrets too.
    redact: workspace.redact,
  });
  const tail = result.outputTail
    ? ["", "```text", workspace.redact(result.outputTail).slice(-3000), "```"]
    : [];
  switch (result.outcome) {
    case "done":
    case "needs_research":
      return result;
    case "cancelled":
      throw new PipelineStop("cancelled", "cancelled: the agent was stopped", [], "cancelled");
    case "timed_out":
      throw new PipelineStop(
        "agent_timed_out",
        `the agent did not finish within ${plural(config.agent.timeout_minutes, "minute")}`,
        [
          "It was stopped (its whole process group). Raise `agent.timeout_minutes` in `.github/chant.yml` if the fix needs longer.",
          ...tail,
        ],
      );
    case "not_started":
      throw new PipelineStop("agent_not_started", "the agent could not start", [
        result.error ?? "",
        ...tail,
      ]);
    case "failed":
      throw new PipelineStop(
        "agent_failed",
        `the agent failed${result.exitCode === null ? "" : ` (exit ${result.exitCode})`}`,
        [result.error ?? "", ...tail],
      );
  }
}

/** `project.name` from `.chant/config.md`, as chant's `{{project.name}}`. */
async function projectName(dir: string): Promise<string | undefined> {
  const read = await readLocalFile(dir, ".chant/config.md");
  if (read.kind !== "text") return undefined;
  const match = /^---\r?\n([\s\S]*?)\r?\n---/.exec(read.text);
  if (!match) return undefined;
  try {
    const data = parseYaml(match[1]!).data as { project?: { name?: unknown } } | null;
    return typeof data?.project?.name === "string" ? data.project.name : undefined;
  } catch {
    return undefined;
  }
}
