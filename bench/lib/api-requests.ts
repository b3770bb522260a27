/**
 * GitHub requests of one implement flow, by endpoint, and the budget the
 * test (test/bench/api-budget.test.ts) holds them to. BENCHMARKS.md says
 * where the numbers come from.
 */
import type { RecordedRequest } from "../../test/support/fake-github/index.js";
import type { FlowResult } from "./implement-flow.js";

export type Phase = keyof FlowResult["phases"];
export const PHASES: Phase[] = ["web", "implement", "checks"];

/**
 * Requests that count against GitHub's API limits (REST and GraphQL, the
 * installation-token requests included), per phase of one flow. Measured:
 * 5 / 12 / 8 = 25 (55 before the status comment's record moved to Redis,
 * the config, repository and issue rode in the job data, and check runs were
 * listed once per commit and made in their first real state; 52 before the
 * scoped tokens; 72 before that). The total is the ceiling issue 12 set (26):
 * a new request in a flow is a decision someone made, not an accident.
 */
export const API_BUDGET: Record<Phase | "total", number> = {
  web: 5,
  implement: 13,
  checks: 9,
  total: 26,
};

/** Writes (POST, PATCH, PUT, DELETE; token requests and GraphQL reads not counted) per flow: measured 12. */
export const WRITE_BUDGET = 14;

/**
 * A check that runs IN_PROGRESS_AFTER_MS or longer is shown `in_progress`
 * before its completion: one more request and write, decided by how fast the
 * machine ran the check, not by the code. The budget allows exactly one per
 * such check (by the times the app wrote on its check run), so the test holds
 * on a loaded machine and still fails on a progress write nobody explains.
 */
export function progressAllowance(flow: FlowResult, inProgressAfterMs: number): number {
  return flow.checkRuns.filter((run) => {
    if (run.completedAt === null) return false;
    const ms = Date.parse(run.completedAt) - Date.parse(run.startedAt);
    // The app's own clock decided: allow for the milliseconds between its timer and its sums.
    return ms >= inProgressAfterMs - 100;
  }).length;
}

/** Git smart-HTTP requests (clone, fetch, push): not API-rate-limited, but counted. Measured 11. */
export const GIT_BUDGET = 13;

export function isApi(r: RecordedRequest): boolean {
  return r.api === "rest" || r.api === "graphql";
}

/** `GET /repos/{owner}/{repo}/issues/{n}/comments` style names, so that counts group. */
export function endpointOf(r: RecordedRequest): string {
  if (r.api === "graphql") return `${r.method} /graphql`;
  if (r.api === "git") {
    const service = /service=([\w-]+)/.exec(r.query)?.[1];
    const path = r.path.replace(/^\/git\/[^/]+\/[^/]+?\.git/, "");
    return `git ${r.method} ${path}${service ? `?service=${service}` : ""}`;
  }
  const path = r.path
    .replace(/^\/repos\/[^/]+\/\.github(?=\/|$)/, "/repos/{owner}/.github")
    .replace(/^\/repos\/[^/]+\/(?!\.github\/)[^/]+/, "/repos/{owner}/{repo}")
    .replace(/\/[0-9a-f]{40}(?=\/|$)/g, "/{sha}")
    .replace(/\/(issues|pulls)\/\d+/g, "/$1/{n}")
    .replace(/\/(comments|check-runs|installations)\/\d+/g, "/$1/{id}")
    .replace(/\/collaborators\/[^/]+/, "/collaborators/{user}")
    .replace(/\/git\/trees\/[^/]+/, "/git/trees/{ref}");
  return `${r.method} ${path}`;
}

export interface EndpointCount {
  endpoint: string;
  web: number;
  implement: number;
  checks: number;
  total: number;
}

export function countByEndpoint(flow: FlowResult): EndpointCount[] {
  const rows = new Map<string, EndpointCount>();
  for (const phase of PHASES) {
    for (const r of flow.phases[phase]) {
      const endpoint = endpointOf(r);
      const row = rows.get(endpoint) ?? { endpoint, web: 0, implement: 0, checks: 0, total: 0 };
      row[phase]++;
      row.total++;
      rows.set(endpoint, row);
    }
  }
  return [...rows.values()].sort(
    (a, b) => b.total - a.total || a.endpoint.localeCompare(b.endpoint),
  );
}

export interface ApiCounts {
  api: Record<Phase | "total", number>;
  writes: Record<Phase | "total", number>;
  git: number;
}

export function countApi(flow: FlowResult): ApiCounts {
  const api = { web: 0, implement: 0, checks: 0, total: 0 };
  const writes = { web: 0, implement: 0, checks: 0, total: 0 };
  let git = 0;
  for (const phase of PHASES) {
    for (const r of flow.phases[phase]) {
      if (r.api === "git") git++;
      if (!isApi(r)) continue;
      api[phase]++;
      api.total++;
      // Probot's throttle spaces these (GraphQL counts as a write there; the blob
      // query is a read on GitHub's side, so it is not counted as one here).
      if (r.api === "rest" && r.method !== "GET" && !r.path.endsWith("/access_tokens")) {
        writes[phase]++;
        writes.total++;
      }
    }
  }
  return { api, writes, git };
}
