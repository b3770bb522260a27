/**
 * GitHub's REST API for the webhook-level security tests, answered by
 * persistent nock interceptors for ANY installation, repository and user, so
 * that mutated payloads never run into a missing mock: installation tokens,
 * collaborator permissions (only PERMITTED is one: admin), no
 * `.github/chant.yml` (the defaults), status comments, reactions and pull
 * requests. Every call is recorded in `calls`.
 */
import nock from "nock";

/** The only login the permission API calls a collaborator (admin); everyone else gets 404. */
export const PERMITTED = "alice";

export const calls: string[] = [];

function answer(method: string, uri: string): [number, unknown] {
  const path = uri.split("?")[0]!;
  calls.push(`${method} ${path}`);
  if (method === "POST" && /^\/app\/installations\/[^/]+\/access_tokens$/.test(path)) {
    return [
      201,
      { token: "ghs_fuzztoken0123456789abcdefghijklmnopq", expires_at: "2999-01-01T00:00:00Z" },
    ];
  }
  if (method === "GET" && /\/collaborators\/[^/]+\/permission$/.test(path)) {
    const login = decodeURIComponent(path.split("/").at(-2)!);
    return login === PERMITTED
      ? [200, { permission: "admin", role_name: "admin", user: { login } }]
      : [404, { message: "Not Found" }];
  }
  if (method === "GET" && /\/contents\//.test(path)) return [404, { message: "Not Found" }];
  if (method === "GET" && /\/issues\/\d+\/comments$/.test(path)) return [200, []];
  if (method === "POST" && /\/issues\/\d+\/comments$/.test(path)) {
    return [201, { id: 1, body: "", html_url: "https://github.com/o/r/issues/1#issuecomment-1" }];
  }
  if (method === "PATCH" && /\/issues\/comments\/\d+$/.test(path)) {
    return [200, { id: 1, body: "", html_url: "https://github.com/o/r/issues/1#issuecomment-1" }];
  }
  if (method === "POST" && /\/reactions$/.test(path)) return [201, { id: 1, content: "eyes" }];
  const pull = /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/.exec(path);
  if (method === "GET" && pull) {
    const fullName = `${decodeURIComponent(pull[1]!)}/${decodeURIComponent(pull[2]!)}`;
    return [
      200,
      {
        number: Number(pull[3]),
        title: "A pull request",
        body: "",
        html_url: "https://github.com/o/r/pull/1",
        head: {
          ref: "chant/2026-01-01-001-abc",
          sha: "c".repeat(40),
          repo: { full_name: fullName },
        },
        base: { ref: "main", sha: "d".repeat(40), repo: { full_name: fullName } },
      },
    ];
  }
  return [404, { message: "Not Found" }];
}

/**
 * Answer every GET, POST and PATCH to api.github.com until `stop()`, which
 * removes the interceptors (a method the test did not happen to use would
 * otherwise count as an unused mock in test/support/setup.ts).
 */
export function answerGitHub(): { stop(): void } {
  calls.length = 0;
  const api = nock("https://api.github.com").persist();
  for (const method of ["get", "post", "patch"] as const) {
    api[method](/.*/).reply(function (uri) {
      return answer(this.req.method, uri);
    });
  }
  return { stop: () => nock.cleanAll() };
}
