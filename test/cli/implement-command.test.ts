import {
  readFileSync,
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { shellQuote } from "../../src/process/command-line.js";
import { parseSpec } from "../../src/chant-format/parse-spec.js";
import { FIX_AGENT } from "../support/e2e-stack.js";
import { FIXTURE_REPOS } from "../support/memory-files.js";
import { SANDBOX_TEST_ENV } from "../support/sandbox.js";
import { cliEnv, spawnCli } from "../support/spawn-cli.js";
import { gitIn, kvStoreRepo as newKvStoreRepo } from "../support/git-repo.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const kvStoreRepo = () => newKvStoreRepo("chant-implement-", dirs, "kv-store");

async function implement(args: string[], env: Record<string, string | undefined> = {}) {
  const saved = { ...process.env };
  Object.assign(process.env, {
    ...SANDBOX_TEST_ENV,
    CHANT_AGENT: "command",
    CHANT_AGENT_COMMAND: `${shellQuote(process.execPath)} ${shellQuote(FIX_AGENT)}`,
    CHANT_AGENT_ENV: "FIX_KV_STORE_MODE",
    FIX_KV_STORE_MODE: "fix",
    ...env,
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

// Real processes in the real sandbox: seconds alone, past 20 s under load. Not a timing test.
describe("chant-bot implement (local forge: no GitHub, no Redis)", { timeout: 60_000 }, () => {
  it("creates the branch with the completed spec and the fix, runs the checks, prints a summary, exits 0", async () => {
    const repo = await kvStoreRepo();
    const result = await implement(["--repo", repo, "--issue", "42", "--title", "Lost writes"]);
    expect(result.code).toBe(0);
    const branch = (
      await gitIn(repo, "branch", "--list", "chant/*", "--format=%(refname:short)")
    ).trim();
    expect(branch).toMatch(/^chant\/\d{4}-\d\d-\d\d-001-[0-9a-z]{3}$/);
    const id = branch.slice("chant/".length);
    const spec = parseSpec(
      `.chant/specs/${id}.md`,
      await gitIn(repo, "show", `${branch}:.chant/specs/${id}.md`),
    );
    expect(spec.frontmatter.status).toBe("completed");
    expect(await gitIn(repo, "show", `${branch}:src/store.js`)).toContain(
      "this.writes = write.catch(() => {});",
    );
    expect((await gitIn(repo, "log", "--format=%s", `main..${branch}`)).split("\n")).toEqual([
      `chant(${id}): finalize spec`,
      `chant(${id}): Fix issue #42: Lost writes`,
      `chant(${id}): draft implementation spec`,
    ]);
    // The user's checkout is untouched: still on main, no new files.
    expect(await gitIn(repo, "rev-parse", "--abbrev-ref", "HEAD")).toBe("main");
    expect(await gitIn(repo, "status", "--porcelain")).toBe("");
    expect(result.out).toContain(`Branch ${branch} is in ${repo}`);
    expect(result.out).toContain("Pull request to open (base main): Fix issue #42: Lost writes");
    expect(result.out).toMatch(/chant\/reproduction\s+success/);
    expect(result.err).toContain("done: Run the agent");
  });

  it("prints JSON with --json", async () => {
    const repo = await kvStoreRepo();
    const result = await implement(["--repo", repo, "--issue", "42", "--json", "--no-checks"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({
      ok: true,
      outcome: "succeeded",
      checks: [],
      pullRequest: { base: "main" },
    });
    // --no-checks: no checks step at all, not one said to be done.
    expect(result.err).not.toMatch(/Start the checks/);
  });

  it.each([
    ["no research for the issue", ["--issue", "7"], {}, /No research spec found for issue #7/],
    [
      "an agent that changes nothing",
      ["--issue", "42"],
      { FIX_KV_STORE_MODE: "nothing" },
      /the agent finished without changing any file besides the spec/,
    ],
    [
      "an agent that fails",
      ["--issue", "42"],
      { CHANT_AGENT_COMMAND: "sh -c 'echo boom >&2; exit 2'" },
      /the agent failed \(exit 2\)/,
    ],
    [
      "an agent that is not installed",
      ["--issue", "42"],
      { CHANT_AGENT: "claude", CHANT_AGENT_COMMAND: undefined, PATH: "/usr/bin:/bin" },
      /claude is not installed: it is not on PATH/,
    ],
    ["an unknown agent", ["--issue", "42"], { CHANT_AGENT: "gpt-9" }, /CHANT_AGENT/],
  ])("exits 1 with a clear reason for %s", async (_name, args, env, message) => {
    const repo = await kvStoreRepo();
    const result = await implement(["--repo", repo, ...args], env);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(message);
    // Nothing was pushed into the checkout.
    expect(await gitIn(repo, "branch", "--list", "chant/*")).toBe("");
  });

  it("when the research was wrong, pushes notes and a follow-up research spec, no fix, and exits 1", async () => {
    const repo = await kvStoreRepo();
    const result = await implement(["--repo", repo, "--issue", "42", "--no-checks"], {
      FIX_KV_STORE_MODE: "needs-research",
    });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/the research's approach does not work/);
    const branch = (
      await gitIn(repo, "branch", "--list", "chant/*", "--format=%(refname:short)")
    ).trim();
    const files = (await gitIn(repo, "diff", "--name-only", `main..${branch}`)).split("\n");
    expect(files).not.toContain("src/store.js");
    const id = branch.slice("chant/".length);
    const impl = parseSpec("x.md", await gitIn(repo, "show", `${branch}:.chant/specs/${id}.md`));
    expect(impl.frontmatter.status).toBe("needs_attention");
    const research = files.find((f) => f.startsWith(".chant/specs/") && !f.endsWith(`${id}.md`))!;
    const followUp = parseSpec(research, await gitIn(repo, "show", `${branch}:${research}`));
    expect(followUp.frontmatter).toMatchObject({
      type: "research",
      status: "pending",
      prompt: "research",
      labels: ["research", "issue-42"],
      informed_by: [
        ".chant/specs/2026-01-28-001-res.md",
        ".chant/research/issue-42-rca.md",
        `.chant/specs/${id}.md`,
      ],
    });
    expect(followUp.body).toContain("backend itself, which caches");
  });

  it("refuses a diff that touches .github/workflows unless the config allows it", async () => {
    const repo = await kvStoreRepo();
    const agent = join(repo, "..", `workflow-agent-${Date.now()}.mjs`);
    dirs.push(agent);
    writeFileSync(
      agent,
      `import { mkdirSync, writeFileSync } from "node:fs";\nmkdirSync(".github/workflows", { recursive: true });\nwriteFileSync(".github/workflows/x.yml", "on: push\\n");\n`,
    );
    const result = await implement(["--repo", repo, "--issue", "42"], {
      CHANT_AGENT_COMMAND: `${shellQuote(process.execPath)} ${shellQuote(agent)}`,
      // An agent of the operator's own, outside the system: made readable in the sandbox.
      CHANT_SANDBOX_READ: `${SANDBOX_TEST_ENV.CHANT_SANDBOX_READ}:${agent}`,
    });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/changed GitHub Actions workflows, so nothing was pushed/);
    expect(await gitIn(repo, "branch", "--list", "chant/*")).toBe("");
  });

  it("never writes the spec through a symbolic link the repository made of .chant/specs", async () => {
    const repo = mkdtempSync(join(tmpdir(), "chant-implement-link-"));
    const outside = mkdtempSync(join(tmpdir(), "chant-outside-"));
    dirs.push(repo, outside);
    cpSync(join(FIXTURE_REPOS, "kv-store"), repo, { recursive: true });
    // The research lives on in the archive; `.chant/specs` points out of the checkout.
    renameSync(join(repo, ".chant", "specs"), join(repo, ".chant", "archive"));
    symlinkSync(outside, join(repo, ".chant", "specs"));
    await gitIn(repo, "init", "--quiet", "--initial-branch=main");
    await gitIn(repo, "add", "--all");
    await gitIn(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "x");
    const result = await implement(["--repo", repo, "--issue", "42", "--no-checks"]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/`?\.chant\/specs`? is a symbolic link in the repository/);
    expect(readdirSync(outside)).toEqual([]);
    expect(await gitIn(repo, "branch", "--list", "chant/*")).toBe("");
  });

  it("says the push was rejected when the repository refuses it", async () => {
    const repo = await kvStoreRepo();
    mkdirSync(join(repo, ".git", "hooks"), { recursive: true });
    writeFileSync(
      join(repo, ".git", "hooks", "pre-receive"),
      "#!/bin/sh\necho 'pushes are frozen' >&2\nexit 1\n",
    );
    chmodSync(join(repo, ".git", "hooks", "pre-receive"), 0o755);
    const result = await implement(["--repo", repo, "--issue", "42"]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/the push of `?chant\/[^ ]+`? was rejected/);
    expect(result.err).toContain("pushes are frozen");
  });

  it("exits 2 with usage on a bad command line", async () => {
    expect((await implement(["--issue", "x"])).code).toBe(2);
    const help = await implement(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^chant-bot implement --repo DIR --issue N/);
  });
});

/** Host pids of processes whose command line holds `marker` (the sandbox's, the agent's). */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "latin1").includes(marker)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

// Real processes in the real sandbox: seconds alone, past 20 s under load. Not a timing test.
describe("chant-bot implement stopped from outside", { timeout: 60_000 }, () => {
  it.each(["SIGTERM", "SIGINT"] as const)(
    "%s (a `timeout`, a container stop, Ctrl-C) stops the agent's whole sandbox, then the command exits",
    async (signal) => {
      const repo = await kvStoreRepo();
      const marker = `chant-stop-${signal}-${process.pid}-${Date.now()}`;
      const p = spawnCli(
        ["implement", "--repo", repo, "--issue", "42", "--no-checks"],
        cliEnv({
          CHANT_AGENT: "command",
          CHANT_AGENT_COMMAND: `sh -c 'sleep 600 & wait; : ${marker}'`,
        }),
      );
      const deadline = Date.now() + 20_000;
      while (processesWith(marker).length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(processesWith(marker).length).toBeGreaterThanOrEqual(2);
      const stopped = Date.now();
      p.child.kill(signal);
      expect(await p.exited).toBe(1);
      expect(Date.now() - stopped).toBeLessThan(10_000);
      expect(p.output()).toMatch(/cancelled/);
      // The sandbox's processes die with it (its PID namespace goes when bwrap does): at
      // once, or within moments on a busy machine; never left running.
      const gone = Date.now() + 5000;
      while (processesWith(marker).length > 0 && Date.now() < gone) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(processesWith(marker)).toEqual([]);
    },
    40_000,
  );
});
