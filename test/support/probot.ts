import { createHash } from "node:crypto";
import nock from "nock";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { chantBotApp } from "../../src/web/app.js";
import type { WebDeps } from "../../src/web/web-deps.js";
import { APP_ID, INSTALLATION_ID, REPO, testPrivateKey } from "./webhooks.js";

export const WEBHOOK_SECRET = "test-webhook-secret";

/** A Probot with chant-bot loaded, talking to (nock's) api.github.com. */
export async function testProbot(deps: WebDeps): Promise<Probot> {
  const probot = new Probot({
    appId: APP_ID,
    privateKey: testPrivateKey(),
    secret: WEBHOOK_SECRET,
    // No retries or throttling in unit tests: each mocked request answers once, and writes are
    // not spaced a second apart. (A function, so it wins over the options Probot adds.)
    Octokit: ProbotOctokit.defaults((options: Record<string, unknown>) => ({
      ...options,
      retry: { enabled: false },
      throttle: { enabled: false },
    })),
    log: pino({ level: "silent" }),
  });
  await probot.load(chantBotApp(deps));
  return probot;
}

/** nock for the test repository, with the installation token request mocked. */
export function githubApi() {
  return nock("https://api.github.com")
    .post(`/app/installations/${INSTALLATION_ID}/access_tokens`)
    .reply(201, {
      token: "ghs_testtoken0123456789abcdefghijklmnopqr",
      expires_at: "2999-01-01T00:00:00Z",
      permissions: {},
    });
}

export const repoPath = `/repos/${REPO.owner}/${REPO.name}`;

export function mockPermission(scope: nock.Scope, login: string, role: string): nock.Scope {
  const permission = role === "maintain" ? "write" : role === "triage" ? "read" : role;
  return scope
    .get(`${repoPath}/collaborators/${login}/permission`)
    .reply(200, { permission, role_name: role, user: { login } });
}

/** `.github/chant.yml` of the repository: text, or absent (then the owner's .github repo is asked too). */
export function mockConfig(scope: nock.Scope, text: string | undefined): nock.Scope {
  const path = /\/contents\/\.github(%2F|\/)chant\.yml/;
  if (text === undefined) {
    scope
      .get((uri) => uri.startsWith(`${repoPath}/contents/`) && path.test(uri))
      .reply(404, { message: "Not Found" });
    return scope
      .get((uri) => uri.startsWith(`/repos/${REPO.owner}/.github/contents/`) && path.test(uri))
      .reply(404, { message: "Not Found" });
  }
  // The app reads it as JSON (content and blob id); Probot's config plugin (for `_extends`) raw.
  return scope
    .get((uri) => uri.startsWith(`${repoPath}/contents/`) && path.test(uri))
    .reply(function () {
      const raw = /\.raw\b/.test(String(this.req.headers.accept ?? ""));
      return raw
        ? [200, text]
        : [
            200,
            {
              type: "file",
              path: ".github/chant.yml",
              sha: createHash("sha1")
                .update(`blob ${Buffer.byteLength(text)}\0${text}`)
                .digest("hex"),
              encoding: "base64",
              content: Buffer.from(text).toString("base64"),
            },
          ];
    });
}
