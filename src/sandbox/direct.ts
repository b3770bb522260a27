/**
 * The two sandboxes chant-bot does not build itself:
 *
 * - `wrapper`: the operator's own (CHANT_AGENT_WRAPPER: a container runtime,
 *   gVisor, Firecracker...), put before every sandboxed command with
 *   `{workspace}` replaced by the directory it works in. What the command may
 *   touch is in the wrapper's environment: CHANT_SANDBOX_WRITABLE and
 *   CHANT_SANDBOX_READONLY (colon-separated paths) and CHANT_SANDBOX_NETWORK
 *   (`none`, `public`, or the allowed `host:port` list). Isolation, network and
 *   limits are the wrapper's: docs/deployment.md says what it must provide.
 * - `off`: no isolation at all (CHANT_SANDBOX=off). Commands run as the
 *   worker's user and can read what it can, the App's private key included.
 *   Only for a machine that holds nothing worth taking; logged loudly.
 */
import { runProcess } from "../process/run-process.js";
import type { Sandbox, SandboxResult, SandboxRun, SandboxRunOptions } from "./sandbox.js";

export class WrapperSandbox implements Sandbox {
  readonly kind = "wrapper" as const;
  readonly description: string;

  constructor(private readonly wrapper: readonly string[]) {
    this.description = `the operator's wrapper (CHANT_AGENT_WRAPPER): ${wrapper.join(" ")}`;
  }

  run(
    argv: readonly string[],
    run: SandboxRun,
    options: SandboxRunOptions = {},
  ): Promise<SandboxResult> {
    const prefix = this.wrapper.map((arg) => arg.replaceAll("{workspace}", run.cwd));
    const network =
      run.network.kind === "none"
        ? "none"
        : run.network.allow === "public"
          ? "public"
          : run.network.allow.map((r) => `${r.host}:${r.port ?? "80,443"}`).join(" ");
    return runProcess([...prefix, ...argv], {
      ...options,
      cwd: run.cwd,
      env: {
        ...run.env,
        CHANT_SANDBOX_WRITABLE: run.writable.join(":"),
        CHANT_SANDBOX_READONLY: (run.readOnly ?? []).join(":"),
        CHANT_SANDBOX_NETWORK: network,
      },
    });
  }
}

export class UnsandboxedSandbox implements Sandbox {
  readonly kind = "off" as const;
  readonly description =
    "NONE (CHANT_SANDBOX=off): agents and check commands run as the worker's user and can read its secrets";

  run(
    argv: readonly string[],
    run: SandboxRun,
    options: SandboxRunOptions = {},
  ): Promise<SandboxResult> {
    return runProcess(argv, { ...options, cwd: run.cwd, env: run.env });
  }
}
