import { ProbotOctokit } from "probot";
import type { FakeGitHub } from "../support/fake-github/index.js";

export const silentLog = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/**
 * Probot's own Octokit against the stand-in, authenticated as the app's
 * installation (JWT -> installation token, exactly as Probot does). Throttling
 * and retries are off unless asked for: Probot's throttle spaces writes 1 s
 * (3 s for comments and pull requests) apart, which would make these tests slow.
 */
export function installationOctokit(
  fake: FakeGitHub,
  options: { throttle?: Record<string, unknown>; retry?: Record<string, unknown> } = {},
): ProbotOctokit {
  return new ProbotOctokit({
    baseUrl: fake.apiUrl,
    auth: { appId: fake.appId, privateKey: fake.privateKey, installationId: fake.installationId },
    throttle: options.throttle ?? { enabled: false },
    retry: options.retry ?? { enabled: false },
    log: silentLog,
  });
}

/** Authenticated as the app itself (JWT only). */
export function appOctokit(fake: FakeGitHub, privateKey = fake.privateKey): ProbotOctokit {
  return new ProbotOctokit({
    baseUrl: fake.apiUrl,
    auth: { appId: fake.appId, privateKey },
    throttle: { enabled: false },
    retry: { enabled: false },
    log: silentLog,
  });
}

/** The HTTP status of a rejected Octokit request (or throws if it did not fail). */
export async function statusOf(
  promise: Promise<unknown>,
): Promise<{ status: number; data: unknown; headers: Record<string, string> }> {
  try {
    await promise;
  } catch (error) {
    const e = error as {
      status?: number;
      response?: { data?: unknown; headers?: Record<string, string> };
    };
    return { status: e.status ?? 0, data: e.response?.data, headers: e.response?.headers ?? {} };
  }
  throw new Error("expected the request to fail");
}
