/**
 * The sandbox the tests run agents and check commands in: the real one
 * (bubblewrap), with the test fixtures (scripted agents, kv-store's fix)
 * readable inside, as an operator would add an agent's directory with
 * CHANT_SANDBOX_READ. Needs Debian's bubblewrap (`.ci/run` installs it).
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { sandboxFromEnv } from "../../src/sandbox/sandbox-from-env.js";

export const TEST_FIXTURES = fileURLToPath(new URL("../fixtures", import.meta.url));

/** What a spawned app or CLI needs in its environment to run the test agents in its sandbox. */
export const SANDBOX_TEST_ENV: Record<string, string> = { CHANT_SANDBOX_READ: TEST_FIXTURES };

/**
 * The tests' work directory: one per user, since the sandbox refuses another
 * user's (a root run's /tmp/chant-test-work stopped a user's run on the same
 * machine with EACCES).
 */
export const TEST_WORK_ROOT = join(tmpdir(), `chant-test-work-${process.getuid?.() ?? 0}`);

let shared: Promise<Sandbox> | undefined;

/** One bubblewrap sandbox for a test file (it holds no state between runs). */
export function testSandbox(): Promise<Sandbox> {
  shared ??= sandboxFromEnv(
    { PATH: process.env.PATH, ...SANDBOX_TEST_ENV },
    { workRoot: TEST_WORK_ROOT },
  );
  return shared;
}
