/**
 * The program that starts a command with network inside the sandbox. The
 * sandbox has its own network namespace (loopback only), so tools that
 * honour HTTPS_PROXY / HTTP_PROXY are pointed at 127.0.0.1:<port>, which this
 * bridge forwards to the egress proxy's Unix socket; then it runs the
 * command and exits with its status. It is chant-bot's own code, written into
 * the job's private directory and bound read-only; it holds no privilege (the
 * proxy outside decides what is allowed), so a command that kills or replaces
 * it gains nothing but losing its network.
 */

/** Where the bridge script and the proxy's socket appear inside the sandbox. */
export const BRIDGE_PATH = "/run/chant/egress-bridge.mjs";
export const PROXY_SOCKET_PATH = "/run/chant/egress.sock";
/** The loopback port of the sandbox's own network namespace the bridge listens on. */
export const BRIDGE_PORT = 3128;
/** What the bridge prints when the command does not exist (the sandbox turns it into a start error). */
export const NOT_FOUND_MARK = "chant-bot sandbox: command not found: ";

export const BRIDGE_SOURCE = `// chant-bot egress bridge (see src/sandbox/egress-bridge.ts)
import { spawn } from "node:child_process";
import { connect, createServer } from "node:net";
import { constants } from "node:os";

const [port, socketPath, separator, ...argv] = process.argv.slice(2);
if (separator !== "--" || argv.length === 0) {
  process.stderr.write("usage: egress-bridge PORT SOCKET -- COMMAND...\\n");
  process.exit(2);
}
const server = createServer((client) => {
  const upstream = connect(socketPath);
  client.pipe(upstream);
  upstream.pipe(client);
  client.on("error", () => upstream.destroy());
  upstream.on("error", () => client.destroy());
});
server.on("error", (error) => {
  process.stderr.write("chant-bot sandbox: the egress bridge could not listen: " + error.message + "\\n");
  process.exit(125);
});
server.listen(Number(port), "127.0.0.1", () => {
  const child = spawn(argv[0], argv.slice(1), { stdio: "inherit" });
  for (const name of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(name, () => child.kill(name));
  child.on("error", (error) => {
    if (error.code === "ENOENT") process.stderr.write(${JSON.stringify(NOT_FOUND_MARK)} + argv[0] + "\\n");
    else process.stderr.write("chant-bot sandbox: could not start " + argv[0] + ": " + error.message + "\\n");
    process.exit(127);
  });
  child.on("exit", (code, signal) => {
    server.close();
    process.exit(code ?? 128 + (constants.signals[signal] ?? 9));
  });
});
`;
