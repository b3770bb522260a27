import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeGitHub } from "../support/fake-github/index.js";
import { installationOctokit, statusOf } from "./octokit.js";

const owner = "acme";
const repo = "checks";

let fake: FakeGitHub;
let sha: string;

beforeAll(async () => {
  fake = new FakeGitHub();
  await fake.start();
  sha = (await fake.addRepo({ owner, name: repo, files: { "a.js": "let a = 1\n" } })).headSha!;
});

afterAll(async () => {
  await fake.stop();
});

const annotation = (line: number) => ({
  path: "a.js",
  start_line: line,
  end_line: line,
  annotation_level: "warning" as const,
  message: `problem on line ${line}`,
});

describe("check runs", () => {
  it("creates queued runs, moves them on, and appends annotations across updates", async () => {
    const octokit = installationOctokit(fake);
    const { status, data: run } = await octokit.rest.checks.create({
      owner,
      repo,
      name: "chant/lint",
      head_sha: sha,
    });
    expect(status).toBe(201);
    expect(run).toMatchObject({
      name: "chant/lint",
      head_sha: sha,
      status: "queued",
      conclusion: null,
    });

    await octokit.rest.checks.update({ owner, repo, check_run_id: run.id, status: "in_progress" });
    await octokit.rest.checks.update({
      owner,
      repo,
      check_run_id: run.id,
      output: {
        title: "Lint",
        summary: "first batch",
        annotations: Array.from({ length: 50 }, (_, i) => annotation(i + 1)),
      },
    });
    const { data: done } = await octokit.rest.checks.update({
      owner,
      repo,
      check_run_id: run.id,
      conclusion: "failure",
      output: {
        title: "Lint",
        summary: "60 problems",
        text: "log tail",
        annotations: [annotation(51), annotation(52)],
      },
    });
    expect(done).toMatchObject({
      status: "completed",
      conclusion: "failure",
      output: { summary: "60 problems", annotations_count: 52 },
    });
    expect(done.completed_at).toBeTruthy();
    expect(fake.checkRuns(`${owner}/${repo}`, sha)[0]!.annotations).toHaveLength(52);

    const { data: annotations } = await octokit.rest.checks.listAnnotations({
      owner,
      repo,
      check_run_id: run.id,
      per_page: 100,
    });
    expect(annotations).toHaveLength(52);
  });

  it("validates like GitHub: 50 annotations per request, 65535 bytes of output, a conclusion when completed", async () => {
    const octokit = installationOctokit(fake);
    const { data: run } = await octokit.rest.checks.create({
      owner,
      repo,
      name: "chant/format",
      head_sha: sha,
    });

    const tooMany = await statusOf(
      octokit.rest.checks.update({
        owner,
        repo,
        check_run_id: run.id,
        output: {
          title: "t",
          summary: "s",
          annotations: Array.from({ length: 51 }, (_, i) => annotation(i + 1)),
        },
      }),
    );
    expect(tooMany.status).toBe(422);
    expect(tooMany.data).toMatchObject({
      message: expect.stringContaining("No more than 50 items are allowed; 51 were supplied."),
    });

    const ok = await octokit.rest.checks.update({
      owner,
      repo,
      check_run_id: run.id,
      output: { title: "t", summary: "s".repeat(65535) },
    });
    expect(ok.status).toBe(200);
    const long = await statusOf(
      octokit.rest.checks.update({
        owner,
        repo,
        check_run_id: run.id,
        output: { title: "t", summary: "s".repeat(65536) },
      }),
    );
    expect(long.status).toBe(422);
    // Bytes, not characters: 40,000 two-byte characters are too many.
    const wide = await statusOf(
      octokit.rest.checks.update({
        owner,
        repo,
        check_run_id: run.id,
        output: { title: "t", summary: "s", text: "é".repeat(40_000) },
      }),
    );
    expect(wide.status).toBe(422);
    expect(wide.data).toMatchObject({
      errors: [{ field: "text", message: "text exceeds a maximum bytesize of 65535" }],
    });

    expect(
      (
        await statusOf(
          octokit.rest.checks.update({ owner, repo, check_run_id: run.id, status: "completed" }),
        )
      ).status,
    ).toBe(422);
    expect(
      (
        await statusOf(
          octokit.request("PATCH /repos/{owner}/{repo}/check-runs/{id}", {
            owner,
            repo,
            id: run.id,
            status: "done",
          }),
        )
      ).status,
    ).toBe(422);
    const badLevel = await statusOf(
      octokit.rest.checks.update({
        owner,
        repo,
        check_run_id: run.id,
        output: {
          title: "t",
          summary: "s",
          annotations: [{ ...annotation(1), annotation_level: "error" as "failure" }],
        },
      }),
    );
    expect(badLevel.status).toBe(422);
    const missing = await statusOf(
      octokit.request("PATCH /repos/{owner}/{repo}/check-runs/{id}", {
        owner,
        repo,
        id: run.id,
        output: { title: "t", summary: "s", annotations: [{ message: "no path" }] },
      }),
    );
    expect(missing.data).toMatchObject({
      message: expect.stringContaining(
        '"path", "start_line", "end_line", "annotation_level" weren\'t supplied.',
      ),
    });

    // Nothing of a refused request was applied.
    expect(fake.checkRuns(`${owner}/${repo}`).find((r) => r.id === run.id)!.annotations).toEqual(
      [],
    );

    const unknownSha = await statusOf(
      octokit.rest.checks.create({ owner, repo, name: "x", head_sha: "f".repeat(40) }),
    );
    expect(unknownSha.status).toBe(422);
  });

  it("lists runs for a ref, latest per name by default", async () => {
    const octokit = installationOctokit(fake);
    const again = await octokit.rest.checks.create({
      owner,
      repo,
      name: "chant/lint",
      head_sha: sha,
      status: "in_progress",
    });
    const { data: latest } = await octokit.rest.checks.listForRef({
      owner,
      repo,
      ref: "main",
      check_name: "chant/lint",
    });
    expect(latest.total_count).toBe(1);
    expect(latest.check_runs[0]!.id).toBe(again.data.id);
    const { data: all } = await octokit.rest.checks.listForRef({
      owner,
      repo,
      ref: sha,
      check_name: "chant/lint",
      filter: "all",
    });
    expect(all.total_count).toBe(2);
    const { data: everything } = await octokit.rest.checks.listForRef({ owner, repo, ref: sha });
    expect(everything.check_runs.map((r) => r.name).sort()).toEqual(["chant/format", "chant/lint"]);
    const { data: got } = await octokit.rest.checks.get({
      owner,
      repo,
      check_run_id: again.data.id,
    });
    expect(got.status).toBe("in_progress");
  });
});
