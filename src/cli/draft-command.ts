import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { loadLocalConfig } from "../forge/local/local-config.js";
import { ConfigError } from "../domain/repo-config.js";
import { LocalFiles } from "../process/local-files.js";
import { draftForIssue } from "../pipeline/draft-spec/draft-for-issue.js";
import { describeResearchOutcome } from "../pipeline/find-research/describe-outcome.js";
import { findResearchSpec } from "../pipeline/find-research/find-research-spec.js";
import { EXIT, failure, parseCommandArgs, positiveIntegerFlag, type Command } from "./command.js";

export const draftCommand: Command = {
  name: "draft",
  summary: "print the implementation spec drafted from an issue's research spec",
  usage: `chant-bot draft --repo DIR --issue N [--title T] [--body-file F] [--spec ID] [--force] [--json]

Finds the research chain of issue N in DIR's .chant/specs/ and .chant/archive/
(specs labelled issue-N, titled "Issue #N", or writing .chant/research/issue-N-*.md,
and the phases linked to them by depends_on and informed_by), and prints the
implementation spec chant-bot would commit: informed by every research document
of the chain, depending on its last research spec. Nothing is written.

  --repo DIR    the checkout (default: the current directory)
  --issue N     the issue number (required)
  --title T     the issue's title, used in the spec title
  --body-file F a file holding the issue's text: a spec id or .chant/specs/ path
                mentioned there names the research, as on GitHub
  --spec ID     use this research spec (id or path) instead of searching
  --force       draft even when the research spec is not completed
  --json        print JSON: the research spec found, the chain, the RCA, the
                reproduction tests, the drafted spec's path and content, and the
                files committed with it (chant's implement prompt, when missing)

Exit status: 0 drafted, 1 nothing to draft (the reason is printed), 2 usage error.`,

  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      repo: { type: "string", default: "." },
      issue: { type: "string" },
      title: { type: "string" },
      "body-file": { type: "string" },
      spec: { type: "string" },
      force: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    });
    if (values.help) {
      io.out(this.usage);
      return EXIT.ok;
    }
    const issueNumber = positiveIntegerFlag(values.issue, "--issue");
    const dir = resolve(values.repo);
    const fail = failure(io, "draft", values.json);

    let config;
    try {
      config = await loadLocalConfig(dir);
    } catch (error) {
      if (error instanceof ConfigError) return fail(error.message);
      throw error;
    }
    let body: string;
    try {
      body = values["body-file"] ? await readFile(values["body-file"], "utf8") : "";
    } catch (error) {
      return fail(`--body-file ${values["body-file"]}: ${(error as Error).message}`);
    }
    const files = new LocalFiles(dir);
    const outcome = await findResearchSpec(files, {
      issueNumber,
      texts: body ? [body] : [],
      explicit: values.spec,
      force: values.force,
      // Read here, at the command line: hints say `--spec ID --force`.
      audience: "cli",
    });
    const text = describeResearchOutcome(outcome);
    if (outcome.kind !== "found" && outcome.kind !== "ambiguous")
      return fail(text.headline, text.details);

    const draft = await draftForIssue(files, outcome, {
      issueNumber,
      issueTitle: values.title,
      status: config.spec_status,
    });
    if (values.json) {
      io.out(
        JSON.stringify(
          {
            ok: true,
            research: {
              id: outcome.research.id,
              path: outcome.research.path,
              status: outcome.research.frontmatter.status,
              rule: outcome.rule,
              others: outcome.candidates.slice(1).map((c) => c.path),
            },
            chain: (outcome.chain.members ?? []).map((m) => ({
              id: m.spec.id,
              path: m.spec.path,
              phase: m.phase,
              status: m.spec.frontmatter.status,
            })),
            documents: (outcome.chain.documents ?? []).map((d) => ({
              path: d.path,
              phase: d.phase,
            })),
            rca: outcome.chain.rcaDocuments.map((d) => d.path),
            missingRca: outcome.chain.missingRca,
            reproductionTests: outcome.chain.reproductionTests,
            notes: outcome.notes,
            draft: {
              id: draft.id,
              path: draft.path,
              title: draft.title,
              missing: draft.missing,
              content: draft.content,
              files: (draft.companionFiles ?? []).map((f) => ({
                path: f.path,
                reason: f.reason,
                content: f.content,
              })),
            },
          },
          null,
          2,
        ),
      );
    } else {
      io.err(
        [
          text.headline,
          ...text.details,
          ...(draft.companionFiles ?? []).map((f) => `- ${f.reason}`),
        ].join("\n"),
      );
      io.out(draft.content);
    }
    return EXIT.ok;
  },
};
