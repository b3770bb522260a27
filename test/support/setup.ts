import nock from "nock";
import { afterEach, beforeEach } from "vitest";

/**
 * Every HTTP request a test makes must be mocked, and every mock must be
 * used: an unmocked request or a leftover mock fails the test (Renovate's
 * httpMock rule). Loopback stays open for tests that run real servers.
 */
const unmatched: string[] = [];

nock.disableNetConnect();
nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);
nock.emitter.on(
  "no match",
  (req: { method?: string; path?: string; hostname?: string; host?: string }) => {
    const host = req.hostname ?? req.host ?? "";
    if (/^(127\.0\.0\.1|localhost|::1)$/.test(host)) return;
    unmatched.push(`${req.method ?? "?"} ${host}${req.path ?? ""}`);
  },
);

beforeEach(() => {
  unmatched.length = 0;
});

afterEach(() => {
  const pending = nock.pendingMocks();
  const stray = [...unmatched];
  nock.cleanAll();
  unmatched.length = 0;
  if (stray.length > 0) throw new Error(`unmocked HTTP requests:\n${stray.join("\n")}`);
  if (pending.length > 0) throw new Error(`HTTP mocks never used:\n${pending.join("\n")}`);
});
