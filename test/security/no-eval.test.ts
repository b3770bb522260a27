/**
 * Nothing a repository wrote is ever evaluated in the worker (which holds the
 * GitHub App's private key). gray-matter `eval`'d a `---js` frontmatter; it is
 * gone, and every file the app reads with a frontmatter or YAML is checked
 * here with a live payload: JavaScript that, if run, sets
 * `globalThis.__chantPwned` and writes a canary file.
 *
 * What a `---js` (or `---javascript`, `--- json`...) opener means now:
 * - a spec: SpecError `missing_frontmatter` at line 1 ("has no YAML frontmatter...");
 * - a prompt template: not frontmatter at all; the template is used whole, as plain text;
 * - `.chant/config.md`: no project name read (the repository's name is used).
 * A YAML tag (`!!js/function`, `!foo`...) in a file the app parses itself
 * (parseYaml) is an error; in `.github/chant.yml` read through Probot's config
 * plugin (the `yaml` package, YAML 1.2 core schema) it is a plain string.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { ProbotOctokit } from "probot";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Agent, AgentResult, AgentRun } from "../../src/agents/agent.js";
import { renderPrompt } from "../../src/agents/render-prompt.js";
import { ConfigError, DEFAULT_CONFIG, parseRepoConfig } from "../../src/domain/repo-config.js";
import type { Octokit } from "../../src/forge/github/octokit.js";
import type { DraftedSpec } from "../../src/pipeline/draft-spec/draft-implementation-spec.js";
import type { FoundResearch } from "../../src/pipeline/draft-spec/draft-for-issue.js";
import { runAgentStep } from "../../src/pipeline/run-agent/run-agent-step.js";
import type { Workspace } from "../../src/pipeline/workspace/prepare-workspace.js";
import { parseSpec } from "../../src/chant-format/parse-spec.js";
import { SpecError } from "../../src/chant-format/spec-error.js";
import { loadRepoConfig } from "../../src/forge/github/github-config.js";
import { UnsandboxedSandbox } from "../../src/sandbox/direct.js";

const FLAG = "__chantPwned";
const root = join(import.meta.dirname, "..", "..");
let dir: string;

/** JavaScript that sets the flag and writes `canary` when evaluated (as gray-matter did, with `require` in scope). */
function payload(canary: string): string {
  return [
    "(function () {",
    `  globalThis.${FLAG} = true;`,
    `  require("node:fs").writeFileSync(${JSON.stringify(canary)}, "pwned");`,
    '  return { name: "implement" };',
    "})()",
  ].join("\n");
}

function pwned(): unknown {
  return (globalThis as Record<string, unknown>)[FLAG];
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "chant-no-eval-"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  delete (globalThis as Record<string, unknown>)[FLAG];
});

it("the payload is live: evaluated on purpose (in a sandbox), it sets the flag and writes the file", () => {
  const canary = join(dir, "control-canary");
  const sandbox: Record<string, unknown> = { require: createRequire(import.meta.url) };
  runInNewContext(payload(canary), sandbox);
  expect(sandbox[FLAG]).toBe(true);
  expect(readFileSync(canary, "utf8")).toBe("pwned");
  expect(pwned()).toBeUndefined();
});

describe("a repository's prompt template and .chant/config.md (the implement step)", () => {
  const spec = parseSpec(
    ".chant/specs/2026-01-29-001-abc.md",
    "---\ntype: code\nstatus: in_progress\n---\n# Fix issue #42: lost writes\n",
  );
  const research = parseSpec(
    ".chant/specs/2026-01-29-000-res.md",
    "---\ntype: research\nstatus: completed\n---\n# Research\n",
  );

  /** runAgentStep as the worker runs it, in a checkout holding `files`; answers the prompt. */
  async function implementPrompt(files: Record<string, string>): Promise<string> {
    const checkout = mkdtempSync(join(dir, "checkout-"));
    const scratch = mkdtempSync(join(dir, "scratch-"));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(checkout, path, ".."), { recursive: true });
      writeFileSync(join(checkout, path), text);
    }
    let prompt: string | undefined;
    // Only what runAgentStep calls: the agent gets the rendered prompt.
    const agent = {
      name: "command",
      run(run: AgentRun): Promise<AgentResult> {
        prompt = run.prompt;
        return Promise.resolve({
          outcome: "done",
          exitCode: 0,
          summary: "",
          durationMs: 0,
          outputTail: "",
        });
      },
    } as Partial<Agent> as Agent;
    await runAgentStep({
      agent,
      // The agent above never starts a process: no sandbox is needed to render the prompt.
      sandbox: new UnsandboxedSandbox(),
      workspace: {
        dir: checkout,
        scratch,
        agentDir: join(scratch, "agent"),
        privateDir: join(scratch, "sandbox"),
        redact: (text) => text,
      } as Partial<Workspace> as Workspace,
      draft: {
        ...spec,
        title: "Fix issue #42: lost writes",
        content: "",
        missing: [],
      } satisfies DraftedSpec,
      found: {
        kind: "found",
        research,
        chain: { rcaDocuments: [], missingRca: [], reproductionSpecs: [], reproductionTests: [] },
        notes: [],
      } as Partial<FoundResearch> as FoundResearch,
      issue: undefined,
      config: DEFAULT_CONFIG,
      repoName: "repo-name",
    });
    if (prompt === undefined) throw new Error("the agent was not run");
    return prompt;
  }

  it.each(["---js", "---javascript", "---coffee"])(
    "uses a %s template as plain text, and reads no project name from a %s config",
    async (opener) => {
      const canary = join(dir, `canary${opener}`);
      const template = `${opener}\n${payload(canary)}\n---\nHouse rules for {{spec.id}} in {{project.name}}.\n`;
      const prompt = await implementPrompt({
        ".chant/prompts/implement.md": template,
        ".chant/config.md": `${opener}\n${payload(canary)}\n---\n# Config\n`,
      });
      expect(pwned()).toBeUndefined();
      expect(existsSync(canary)).toBe(false);
      // Documented choice: not a frontmatter, so the whole template is the prompt's text.
      expect(prompt).toContain(
        `${opener}\n${payload(canary)}\n---\nHouse rules for 2026-01-29-001-abc in repo-name.`,
      );
    },
  );

  it("reads no project name from a .chant/config.md whose YAML carries JavaScript tags", async () => {
    const canary = join(dir, "canary-config-tags");
    const js = JSON.stringify(`function () { ${payload(canary)} }`);
    for (const config of [
      `---\nproject:\n  name: !!js/function ${js}\n---\n`,
      `---\nproject: !<tag:yaml.org,2002:js/undefined> ${js}\n---\n`,
      `---\nproject:\n  name: !!js/regexp /x/\n---\n`,
    ]) {
      const prompt = await implementPrompt({
        ".chant/prompts/implement.md": "---\nname: implement\n---\nWork on {{project.name}}.\n",
        ".chant/config.md": config,
      });
      expect(prompt, config).toMatch(/^Work on repo-name\./);
    }
    expect(pwned()).toBeUndefined();
    expect(existsSync(canary)).toBe(false);
    // The control: a plain config.md does name the project.
    const plain = await implementPrompt({
      ".chant/prompts/implement.md": "Work on {{project.name}}.\n",
      ".chant/config.md": "---\nproject:\n  name: kv-store\n---\n",
    });
    expect(plain).toMatch(/^Work on kv-store\./);
  });

  it("uses a template whose YAML frontmatter carries a JavaScript tag as plain text", () => {
    const canary = join(dir, "canary-template-tag");
    const template = `---\nname: !!js/function ${JSON.stringify(`function () { ${payload(canary)} }`)}\n---\nRules.\n`;
    const prompt = renderPrompt({ template, projectName: "P", spec, informedBy: [] });
    expect(prompt).toBe(template);
    expect(pwned()).toBeUndefined();
    expect(existsSync(canary)).toBe(false);
  });
});

describe("a spec file", () => {
  it.each(["---js", "---javascript", "---coffee", "--- js"])(
    "with a %s frontmatter is refused with a SpecError at line 1, unevaluated",
    (opener) => {
      const canary = join(dir, `canary-spec${opener.replace(" ", "_")}`);
      let error: unknown;
      try {
        parseSpec(
          ".chant/specs/2026-01-29-001-abc.md",
          `${opener}\n${payload(canary)}\n---\n# T\n`,
        );
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(SpecError);
      expect((error as SpecError).code).toBe("missing_frontmatter");
      expect((error as SpecError).message).toMatch(
        /^\.chant\/specs\/2026-01-29-001-abc\.md:1: has no YAML frontmatter: the first line starts with `---` but is not exactly `---`/,
      );
      expect(pwned()).toBeUndefined();
      expect(existsSync(canary)).toBe(false);
    },
  );

  it("with a JavaScript tag in its YAML is refused with a SpecError naming the line", () => {
    const canary = join(dir, "canary-spec-tag");
    const js = JSON.stringify(`function () { ${payload(canary)} }`);
    expect(() =>
      parseSpec(".chant/specs/x.md", `---\ntype: code\nbranch: !!js/function ${js}\n---\n# T\n`),
    ).toThrow(
      /^\.chant\/specs\/x\.md:3: invalid YAML: unsupported YAML tag `!!js\/function`: only plain YAML is read/,
    );
    expect(pwned()).toBeUndefined();
    expect(existsSync(canary)).toBe(false);
  });
});

describe(".github/chant.yml", () => {
  const canary = () => join(dir, "canary-chant-yml");
  const hostileConfig = () =>
    [
      `label: !!js/function ${JSON.stringify(`function () { ${payload(canary())} }`)}`,
      `spec_status: !<tag:yaml.org,2002:js/undefined> ""`,
      "agent:",
      "  model: !!js/regexp /sonnet/",
      "",
    ].join("\n");

  /** Probot's own Octokit (with its config plugin, what `context.config` uses) serving `text` as the file. */
  function octokitServing(text: string): Octokit {
    return new ProbotOctokit({
      auth: { token: "ghs_test" },
      retry: { enabled: false },
      throttle: { enabled: false },
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      request: {
        fetch: (url: string) => {
          const path = decodeURIComponent(new URL(url).pathname);
          return Promise.resolve(
            path === "/repos/acme/kv-store/contents/.github/chant.yml"
              ? new Response(text, { headers: { "content-type": "text/plain; charset=utf-8" } })
              : new Response(JSON.stringify({ message: "Not Found" }), {
                  status: 404,
                  headers: { "content-type": "application/json; charset=utf-8" },
                }),
          );
        },
      },
    }) as unknown as Octokit;
  }

  it("read through Probot's config plugin: JavaScript tags are plain strings, never run", async () => {
    // @probot/octokit-plugin-config parses with the `yaml` package (YAML 1.2 core schema),
    // not js-yaml: an unknown tag is a warning and its value stays the text it was written as.
    const octokit = octokitServing(hostileConfig());
    const { config } = await octokit.config.get({
      owner: "acme",
      repo: "kv-store",
      path: ".github/chant.yml",
    });
    expect(config).toEqual({
      label: `function () { ${payload(canary())} }`,
      spec_status: "",
      agent: { model: "/sonnet/" },
    });
    // And chant-bot's loader refuses those values as settings.
    await expect(loadRepoConfig(octokit, "acme", "kv-store")).rejects.toBeInstanceOf(ConfigError);
    expect(pwned()).toBeUndefined();
    expect(existsSync(canary())).toBe(false);
  });

  it("read through Probot's config plugin: an alias bomb is refused, not expanded", async () => {
    const lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (let i = 1; i < 12; i++) {
      lines.push(
        `l${i}: &l${i} [${Array(9)
          .fill(i === 1 ? "*a" : `*l${i - 1}`)
          .join(", ")}]`,
      );
    }
    const started = Date.now();
    await expect(
      octokitServing(lines.join("\n")).config.get({
        owner: "acme",
        repo: "kv-store",
        path: ".github/chant.yml",
      }),
    ).rejects.toThrow(/could not be parsed .* \(invalid YAML\)/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("parsed by chant-bot itself (parseRepoConfig): a tag is a ConfigError naming the line", () => {
    let error: unknown;
    try {
      parseRepoConfig(hostileConfig(), ".github/chant.yml");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(
      /line 1: is not valid YAML: unsupported YAML tag `!!js\/function`/,
    );
    expect(pwned()).toBeUndefined();
    expect(existsSync(canary())).toBe(false);
  });
});

it("gray-matter is gone, and no source file evaluates text", () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  expect(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })).not.toContain("gray-matter");
  expect(readFileSync(join(root, "package-lock.json"), "utf8")).not.toContain(
    "node_modules/gray-matter",
  );
  const require = createRequire(import.meta.url);
  expect(() => require.resolve("gray-matter")).toThrow();

  const offenders: string[] = [];
  const src = join(root, "src");
  for (const file of readdirSync(src, { recursive: true, encoding: "utf8" })) {
    if (!file.endsWith(".ts")) continue;
    const text = readFileSync(join(src, file), "utf8");
    for (const [what, pattern] of [
      ["gray-matter", /["']gray-matter["']/],
      ["js-yaml", /["']js-yaml["']/],
      ["eval", /(?<![.\w])eval\s*\(/],
      ["new Function", /\bnew\s+Function\s*\(/],
      ["node:vm", /["'](node:)?vm["']/],
    ] as const) {
      if (pattern.test(text)) offenders.push(`${file}: ${what}`);
    }
  }
  expect(offenders).toEqual([]);
});
