import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ProbotOctokit, createNodeMiddleware, createProbot } from "probot";
import type { Probot } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeGitHub } from "../support/fake-github/index.js";

/**
 * A real Probot app, configured only through `fake.env()`, receiving a signed
 * delivery and answering through the stand-in: the paths Probot itself uses
 * against GHE_HOST (token minting, config with `_extends`) work end to end.
 */
let fake: FakeGitHub;
let server: Server;
let webhookUrl: string;

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  fake = new FakeGitHub();
  await fake.start();
  await fake.addRepo({
    owner: "acme",
    name: "app",
    files: { ".github/chant.yml": "_extends: .github\n" },
  });
  await fake.addRepo({
    owner: "acme",
    name: ".github",
    files: { ".github/chant.yml": "label: chant:go\n" },
  });
  fake.addUser("maintainer", { permission: "maintain" });
  fake.addIssue("acme/app", { number: 1, title: "Bug", user: "reporter" });

  const probot: Probot = createProbot({
    env: { ...fake.env(), LOG_LEVEL: "silent" },
    // Probot's throttle spaces writes 1 s apart (3 s for comments and PRs). An object
    // given to .defaults() does not turn it off (Probot passes its own `throttle` per
    // instance, which wins); a function applied to the instance options does.
    overrides: {
      Octokit: ProbotOctokit.defaults((options: Record<string, unknown>) => ({
        ...options,
        throttle: { ...(options.throttle as object), enabled: false },
      })),
    },
  });
  const middleware = await createNodeMiddleware(
    (app) => {
      app.on("issue_comment.created", async (context) => {
        const config = (await context.config<{ label?: string }>("chant.yml")) ?? {};
        const { data: permission } =
          await context.octokit.rest.repos.getCollaboratorPermissionLevel(
            context.repo({ username: context.payload.sender.login }),
          );
        await context.octokit.rest.reactions.createForIssueComment(
          context.repo({ comment_id: context.payload.comment.id, content: "eyes" as const }),
        );
        await context.octokit.rest.issues.createComment(
          context.issue({ body: `label=${config.label} permission=${permission.permission}` }),
        );
      });
    },
    { probot },
  );
  server = createServer((req, res) => {
    void middleware(req, res, () => {
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await fake.stop();
});

describe("a Probot app against the stand-in", () => {
  it("handles a signed delivery: token, config with _extends, permission, reaction, comment", async () => {
    fake.resetRequests();
    const payload = fake.payloads.issueCommentCreated({
      repo: "acme/app",
      issue: 1,
      body: "/chant implement",
      user: "maintainer",
    });
    const result = await fake.deliver(webhookUrl, "issue_comment", payload);
    expect(result.status).toBe(200);

    const reply = await waitFor(() =>
      fake.comments("acme/app", 1).find((c) => c.user.login === "chant-bot[bot]"),
    );
    expect(reply.body).toBe("label=chant:go permission=write");
    const trigger = (payload.comment as { id: number }).id;
    expect(fake.reactions("acme/app", { comment: trigger }).map((r) => r.content)).toEqual([
      "eyes",
    ]);

    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.auth} ${r.status}`)).toEqual([
      `POST /app/installations/${fake.installationId}/access_tokens app 201`,
      "GET /repos/acme/app/contents/.github%2Fchant.yml installation 200",
      "GET /repos/acme/.github/contents/.github%2Fchant.yml installation 200",
      "GET /repos/acme/app/collaborators/maintainer/permission installation 200",
      `POST /repos/acme/app/issues/comments/${trigger}/reactions installation 201`,
      "POST /repos/acme/app/issues/1/comments installation 201",
    ]);

    // A delivery with a bad signature is refused by Probot.
    const forged = await fake.deliver(webhookUrl, "issue_comment", payload, { secret: "wrong" });
    expect(forged.status).toBe(400);
  });
});
