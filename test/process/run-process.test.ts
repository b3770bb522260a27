import { isAlive } from "../support/processes.js";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { childEnv } from "../../src/process/command-line.js";
import { runProcess } from "../../src/process/run-process.js";
import type { RunOptions } from "../../src/process/run-process.js";

const NODE = process.execPath;
const workDir = mkdtempSync(join(tmpdir(), "chant-run-process-"));
const strays: number[] = [];

afterAll(() => {
  // Processes a test deliberately let escape our process group.
  for (const pid of strays) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  rmSync(workDir, { recursive: true, force: true });
});

function options(extra: Partial<RunOptions> = {}): RunOptions {
  return { cwd: workDir, env: childEnv({}), ...extra };
}

function node(script: string): string[] {
  return [NODE, "-e", script];
}

async function waitUntil(condition: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return condition();
}

/** Resolves with the first line the child prints, e.g. a pid or "ready". */
function firstLine(): { onStdout: (chunk: string) => void; line: Promise<string> } {
  let buffer = "";
  let resolveLine: (line: string) => void = () => {};
  const line = new Promise<string>((resolve) => (resolveLine = resolve));
  return {
    onStdout: (chunk) => {
      buffer += chunk;
      const newline = buffer.indexOf("\n");
      if (newline !== -1) resolveLine(buffer.slice(0, newline));
    },
    line,
  };
}

describe("runProcess: exit status", () => {
  it("reports exit codes and captures both streams", async () => {
    const result = await runProcess(["sh", "-c", "echo out; echo err >&2; exit 7"], options());
    expect(result).toMatchObject({
      exitCode: 7,
      signal: null,
      timedOut: false,
      cancelled: false,
      stdout: "out\n",
      stderr: "err\n",
      droppedBytes: 0,
    });
    expect(result.startError).toBeUndefined();
    expect(result.output.split("\n").sort()).toEqual(["", "err", "out"]);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("reports exit code 0", async () => {
    const result = await runProcess(["true"], options());
    expect(result.exitCode).toBe(0);
  });

  it("reports death by signal", async () => {
    const result = await runProcess(["sh", "-c", "kill -USR1 $$"], options());
    expect(result.exitCode).toBeNull();
    expect(result.signal).toBe("SIGUSR1");
  });

  it("keeps stdout and stderr interleaved in arrival order in output", async () => {
    const script = `
      const lines = ["1", "2", "3", "4"];
      let i = 0;
      const next = () => {
        if (i === lines.length) return;
        (i % 2 === 0 ? process.stdout : process.stderr).write(lines[i++] + "\\n", () => setTimeout(next, 30));
      };
      next();`;
    const result = await runProcess(node(script), options());
    expect(result.output).toBe("1\n2\n3\n4\n");
    expect(result.stdout).toBe("1\n3\n");
    expect(result.stderr).toBe("2\n4\n");
  });
});

describe("runProcess: start errors", () => {
  it("reports a missing command as startError, without throwing", async () => {
    const result = await runProcess(["chant-no-such-command-xyz", "--version"], options());
    expect(result.startError).toBe("command not found: chant-no-such-command-xyz");
    expect(result.exitCode).toBeNull();
    expect(result.timedOut).toBe(false);
  });

  it("reports a file that is not executable", async () => {
    const script = join(workDir, "not-executable.sh");
    writeFileSync(script, "#!/bin/sh\necho hi\n");
    chmodSync(script, 0o644);
    const result = await runProcess([script], options());
    expect(result.startError).toBe(`permission denied: ${script}`);
  });

  it("reports a missing working directory as such", async () => {
    const cwd = join(workDir, "does-not-exist");
    const result = await runProcess(["true"], options({ cwd }));
    expect(result.startError).toBe(`working directory not found: ${cwd}`);
  });

  it("reports an empty argv and arguments spawn refuses", async () => {
    expect((await runProcess([], options())).startError).toBe("no command given");
    const nul = await runProcess(["echo", "a\0b"], options());
    expect(nul.startError).toMatch(/could not start echo/);
  });
});

describe("runProcess: stdin", () => {
  it("delivers input on stdin and closes it", async () => {
    const result = await runProcess(["cat"], options({ input: "hello\nworld\n" }));
    expect(result.stdout).toBe("hello\nworld\n");
  });

  it("delivers large input without deadlocking", async () => {
    const input = "0123456789abcdef\n".repeat(300_000); // ~5 MB, far beyond a pipe buffer
    const result = await runProcess(["wc", "-c"], options({ input }));
    expect(result.stdout.trim()).toBe(String(input.length));
  });

  it("closes stdin at once when there is no input", async () => {
    const result = await runProcess(["cat"], options({ timeoutMs: 5000 }));
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, stdout: "" });
  });

  it("does not fail when the child exits without reading its input", async () => {
    const result = await runProcess(["true"], options({ input: "x".repeat(10_000_000) }));
    expect(result.exitCode).toBe(0);
    expect(result.startError).toBeUndefined();
  });
});

describe("runProcess: environment", () => {
  it("gives the child exactly the environment passed, nothing from process.env", async () => {
    process.env.GITHUB_TOKEN = "ghs_should_never_reach_a_child";
    process.env.CHANT_TEST_LEAK = "leak";
    try {
      const env = childEnv({ CHANT_SPEC_ID: "2026-01-29-003-ghi" });
      const result = await runProcess(["/usr/bin/env"], options({ env }));
      const seen = Object.fromEntries(
        result.stdout
          .trim()
          .split("\n")
          .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
      );
      expect(seen).toEqual(env);
      expect(result.stdout).not.toContain("GITHUB_TOKEN");
      expect(result.stdout).not.toContain("CHANT_TEST_LEAK");
    } finally {
      delete process.env.GITHUB_TOKEN;
      delete process.env.CHANT_TEST_LEAK;
    }
  });

  it("passes an environment with only the variables given", async () => {
    const result = await runProcess(["/usr/bin/env"], options({ env: { ONLY: "this" } }));
    expect(result.stdout).toBe("ONLY=this\n");
  });
});

describe("runProcess: timeouts, cancellation and process groups", () => {
  it("on timeout kills the whole group, grandchildren included", async () => {
    const { onStdout, line } = firstLine();
    const run = runProcess(
      ["sh", "-c", "sleep 1000 & echo $!; wait"],
      options({ timeoutMs: 300, killGraceMs: 2000, onStdout }),
    );
    const grandchild = Number(await line);
    expect(isAlive(grandchild)).toBe(true);
    const result = await run;
    expect(result.timedOut).toBe(true);
    expect(result.cancelled).toBe(false);
    expect(result.signal).toBe("SIGTERM");
    // SIGTERM was enough: well within the grace period.
    expect(result.durationMs).toBeLessThan(2000);
    expect(await waitUntil(() => !isAlive(grandchild), 1000)).toBe(true);
  });

  it("on abort kills the whole group and reports cancelled", async () => {
    const controller = new AbortController();
    const { onStdout, line } = firstLine();
    const run = runProcess(
      ["sh", "-c", "sleep 1000 & echo $!; wait"],
      options({ signal: controller.signal, killGraceMs: 2000, onStdout }),
    );
    const grandchild = Number(await line);
    controller.abort();
    const result = await run;
    expect(result).toMatchObject({ cancelled: true, timedOut: false, exitCode: null });
    expect(await waitUntil(() => !isAlive(grandchild), 1000)).toBe(true);
  });

  it("does not start at all when the signal is already aborted", async () => {
    const marker = join(workDir, "should-not-exist");
    const result = await runProcess(["touch", marker], options({ signal: AbortSignal.abort() }));
    expect(result.cancelled).toBe(true);
    expect(() => readFileSync(marker)).toThrow();
  });

  it("SIGKILLs a child that ignores SIGTERM after the grace period", async () => {
    const controller = new AbortController();
    const { onStdout, line } = firstLine();
    const script = `process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000);`;
    const run = runProcess(
      node(script),
      options({ signal: controller.signal, killGraceMs: 500, onStdout }),
    );
    expect(await line).toBe("ready");
    const abortedAt = Date.now();
    controller.abort();
    const result = await run;
    const waited = Date.now() - abortedAt;
    expect(result.signal).toBe("SIGKILL");
    expect(result.cancelled).toBe(true);
    expect(waited).toBeGreaterThanOrEqual(450);
    expect(waited).toBeLessThan(2000);
  });

  it("SIGKILLs a grandchild that ignores SIGTERM after the grace period", async () => {
    const { onStdout, line } = firstLine();
    const run = runProcess(
      ["sh", "-c", "trap '' TERM; sleep 1000 & echo $!; wait"],
      options({ timeoutMs: 200, killGraceMs: 400, onStdout }),
    );
    const grandchild = Number(await line);
    const result = await run;
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe("SIGKILL");
    expect(result.durationMs).toBeLessThan(2000);
    expect(await waitUntil(() => !isAlive(grandchild), 1000)).toBe(true);
  });

  it("does not hang when a grandchild keeps the pipes open after the child exits", async () => {
    const result = await runProcess(
      ["sh", "-c", "sleep 1000 & echo $!; echo done; exit 3"],
      options({ killGraceMs: 3000 }),
    );
    expect(result.exitCode).toBe(3);
    expect(result.timedOut).toBe(false);
    // The leftover got SIGTERM as soon as its parent exited: no grace period needed.
    expect(result.durationMs).toBeLessThan(1500);
    const [grandchild] = result.stdout.split("\n");
    expect(result.stdout).toContain("done\n");
    expect(await waitUntil(() => !isAlive(Number(grandchild)), 1000)).toBe(true);
  });

  it("does not hang when a leftover ignoring SIGTERM keeps the pipes open", async () => {
    const result = await runProcess(
      ["sh", "-c", "trap '' TERM; sleep 1000 & echo $!; exit 0"],
      options({ killGraceMs: 300 }),
    );
    expect(result.exitCode).toBe(0);
    expect(result.durationMs).toBeGreaterThanOrEqual(250);
    expect(result.durationMs).toBeLessThan(1500);
    expect(await waitUntil(() => !isAlive(Number(result.stdout.trim())), 1000)).toBe(true);
  });

  it("does not hang when a process outside the group holds the pipes", async () => {
    // A grandchild that starts its own session escapes the group kill; the runner
    // stops waiting for the pipes after the grace period.
    const script = `
      const { spawn } = require("node:child_process");
      const c = spawn("sleep", ["1000"], { detached: true, stdio: ["ignore", "inherit", "inherit"] });
      c.unref();
      console.log(c.pid);`;
    const result = await runProcess(node(script), options({ killGraceMs: 300 }));
    const escaped = Number(result.stdout.trim());
    strays.push(escaped);
    expect(result.exitCode).toBe(0);
    expect(result.durationMs).toBeLessThan(1500);
  });

  it("kills running groups when the parent process exits", async () => {
    // A parent that exits while its child runs must not leave the child behind.
    const runner = new URL("../../src/process/run-process.ts", import.meta.url).href;
    const script = join(workDir, "exit-while-running.mjs");
    writeFileSync(
      script,
      `import { runProcess } from ${JSON.stringify(runner)};
      void runProcess(["sh", "-c", "echo $$; sleep 1000"], {
        cwd: ${JSON.stringify(workDir)},
        env: { PATH: process.env.PATH },
        onStdout: (chunk) => { process.stdout.write(chunk); process.exit(0); },
      });`,
    );
    const result = await runProcess([NODE, "--import", "tsx", script], {
      cwd: process.cwd(),
      env: childEnv({}),
      timeoutMs: 20_000,
    });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false });
    const grandchild = Number(result.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    expect(await waitUntil(() => !isAlive(grandchild), 1000)).toBe(true);
  });

  it("waits for a child that closes its stdout but keeps running", async () => {
    const result = await runProcess(
      ["sh", "-c", "echo before; exec >&- 2>&-; sleep 0.4; exit 4"],
      options({ timeoutMs: 5000 }),
    );
    expect(result).toMatchObject({ exitCode: 4, timedOut: false, stdout: "before\n" });
    expect(result.durationMs).toBeGreaterThanOrEqual(350);
  });

  it("kills a child that closed its stdout and then hangs, at the timeout", async () => {
    const result = await runProcess(
      ["sh", "-c", "exec >&- 2>&-; sleep 1000"],
      options({ timeoutMs: 300, killGraceMs: 1000 }),
    );
    expect(result.timedOut).toBe(true);
    expect(result.durationMs).toBeLessThan(1500);
  });
});

describe("runProcess: output", () => {
  it("bounds 10 MB of output, keeping head and tail and counting the rest", async () => {
    const body = 10 * 1024 * 1024;
    const script = `
      process.stdout.write("HEAD-");
      const block = "x".repeat(64 * 1024);
      for (let i = 0; i < ${body} / block.length; i++) process.stdout.write(block);
      process.stdout.write("-TAIL");`;
    const maxOutputBytes = 64 * 1024;
    const result = await runProcess(node(script), options({ maxOutputBytes }));
    const total = body + "HEAD-".length + "-TAIL".length;
    expect(result.exitCode).toBe(0);
    expect(result.droppedBytes).toBe(total - maxOutputBytes);
    expect(result.stdout.startsWith("HEAD-xxx")).toBe(true);
    expect(result.stdout.endsWith("xxx-TAIL")).toBe(true);
    expect(result.stdout).toContain(`[… ${total - maxOutputBytes} bytes dropped …]`);
    expect(Buffer.byteLength(result.stdout)).toBeLessThan(maxOutputBytes + 100);
    expect(result.output).toBe(result.stdout);
  });

  it("bounds output with the default of 1 MiB", async () => {
    const result = await runProcess(
      node(`process.stdout.write("y".repeat(3 * 1024 * 1024))`),
      options(),
    );
    expect(result.droppedBytes).toBe(2 * 1024 * 1024);
    expect(result.stdout.length).toBeLessThan(1024 * 1024 + 100);
  });

  it("cuts at character boundaries", async () => {
    // 3-byte characters: a byte-exact cut would leave half characters at the seam.
    const result = await runProcess(
      node(`process.stdout.write("€".repeat(100000))`),
      options({ maxOutputBytes: 1000 }),
    );
    expect(result.stdout).not.toContain("\uFFFD");
    const kept = result.stdout.replace(/\n\[… \d+ bytes dropped …\]\n/, "");
    expect(kept).toMatch(/^€+$/);
    expect(result.droppedBytes).toBe(300000 - Buffer.byteLength(kept));
  });

  it("gives onStdout every byte in order, characters whole", async () => {
    const script = `
      let i = 0;
      const write = () => {
        while (i < 100000) {
          if (!process.stdout.write(i++ + " é€😀\\n")) return process.stdout.once("drain", write);
        }
      };
      write();`;
    const chunks: string[] = [];
    const errChunks: string[] = [];
    const result = await runProcess(
      node(script),
      options({
        maxOutputBytes: 1000,
        onStdout: (chunk) => chunks.push(chunk),
        onStderr: (chunk) => errChunks.push(chunk),
      }),
    );
    const expected = Array.from({ length: 100000 }, (_, i) => `${i} é€😀\n`).join("");
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join("")).toBe(expected);
    expect(chunks.join("")).not.toContain("\uFFFD");
    expect(errChunks).toEqual([]);
    expect(result.droppedBytes).toBe(
      Buffer.byteLength(expected) -
        Buffer.byteLength(result.stdout.replace(/\n\[… \d+ bytes dropped …\]\n/, "")),
    );
  });

  it("survives a callback that throws", async () => {
    const result = await runProcess(
      ["sh", "-c", "echo a; echo b"],
      options({
        onStdout: () => {
          throw new Error("consumer bug");
        },
      }),
    );
    expect(result).toMatchObject({ exitCode: 0, stdout: "a\nb\n" });
  });
});
