import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingHttpHeaders } from "node:http";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startEgressProxy, type EgressProxy } from "../../src/sandbox/egress-proxy.js";
import type { EgressRule } from "../../src/sandbox/sandbox.js";

const dir = mkdtempSync(join(tmpdir(), "chant-egress-proxy-"));
let echo: Server;
let echoPort: number;
/** Connections the echo server accepted: a refused destination must never get one. */
let echoConnections = 0;
const echoSockets = new Set<Socket>();
let proxies: EgressProxy[] = [];
let count = 0;

beforeAll(async () => {
  echo = createServer((socket) => {
    echoConnections += 1;
    echoSockets.add(socket);
    socket.on("close", () => echoSockets.delete(socket));
    socket.on("error", () => undefined);
    socket.pipe(socket);
  });
  echoPort = await listen(echo);
});

afterEach(async () => {
  for (const proxy of proxies) await proxy.close();
  proxies = [];
});

afterAll(async () => {
  for (const socket of echoSockets) socket.destroy();
  await new Promise((done) => echo.close(done));
  rmSync(dir, { recursive: true, force: true });
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return (server.address() as AddressInfo).port;
}

async function proxyWith(
  allow: readonly EgressRule[] | "public",
  resolve: (host: string) => Promise<string[]> = () => Promise.reject(new Error("no DNS in tests")),
  log?: { info: () => void; warn: () => void; error: () => void },
): Promise<EgressProxy> {
  count += 1;
  const proxy = await startEgressProxy({
    socketPath: join(dir, `egress-${count}.sock`),
    allow,
    resolve,
    log,
  });
  proxies.push(proxy);
  return proxy;
}

interface Answer {
  status: number;
  head: string;
  socket: Socket;
  /** What came after the response head (body of a refusal, or tunnelled bytes). */
  rest: Buffer;
}

/** Sends raw bytes to the proxy's socket and reads the response head. */
function rawRequest(socketPath: string, text: string | Buffer): Promise<Answer> {
  return new Promise((done, fail) => {
    const socket = connect(socketPath);
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf("\r\n\r\n");
      if (end === -1) return;
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.pause();
      const head = buffer.subarray(0, end).toString("latin1");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? NaN);
      done({ status, head, socket, rest: buffer.subarray(end + 4) });
    };
    const onClose = () => fail(new Error(`closed without an answer: ${buffer.toString()}`));
    socket.on("data", onData);
    socket.on("close", onClose);
    socket.on("error", () => undefined);
    socket.write(text);
  });
}

function connectThrough(socketPath: string, target: string, head = ""): Promise<Answer> {
  return rawRequest(socketPath, `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n${head}`);
}

/** Everything until the other side closes. */
function readToEnd(answer: Answer): Promise<string> {
  return new Promise((done) => {
    const chunks = [answer.rest];
    answer.socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    answer.socket.on("close", () => done(Buffer.concat(chunks).toString()));
    answer.socket.resume();
  });
}

/** Reads until `expected` bytes arrived. */
function readBytes(answer: Answer, expected: number): Promise<string> {
  return new Promise((done, fail) => {
    let got = answer.rest;
    const check = () => {
      if (got.length >= expected) {
        answer.socket.off("data", onData);
        done(got.toString());
      }
    };
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      check();
    };
    answer.socket.on("data", onData);
    answer.socket.once("close", () => fail(new Error(`closed after ${got.toString()}`)));
    answer.socket.resume();
    check();
  });
}

async function refusal(
  socketPath: string,
  target: string,
): Promise<{ status: number; body: string }> {
  const answer = await connectThrough(socketPath, target);
  const body = await readToEnd(answer);
  return { status: answer.status, body };
}

const localEcho = (): EgressRule[] => [{ host: "127.0.0.1", port: echoPort }];

describe("CONNECT", () => {
  it("tunnels to an allowed IP literal, bytes flowing both ways", async () => {
    const proxy = await proxyWith(localEcho());
    const before = echoConnections;
    const answer = await connectThrough(proxy.socketPath, `127.0.0.1:${echoPort}`, "early;");
    expect(answer.status).toBe(200);
    expect(answer.head).toContain("Connection Established");
    answer.socket.write("hello through the tunnel");
    const echoed = await readBytes(answer, "early;hello through the tunnel".length);
    expect(echoed).toBe("early;hello through the tunnel");
    expect(echoConnections).toBe(before + 1);
    expect(proxy.decisions).toEqual([{ host: "127.0.0.1", port: echoPort, allowed: true }]);
    answer.socket.destroy();
  });

  it("refuses a host not on the allow-list, with the reason", async () => {
    const resolve = vi.fn(async () => ["93.184.216.34"]);
    const proxy = await proxyWith([{ host: "api.example.com", port: undefined }], resolve);
    const answer = await refusal(proxy.socketPath, "evil.example.net:443");
    expect(answer.status).toBe(403);
    expect(answer.body).toBe("chant-bot sandbox: evil.example.net:443 not on the allow-list\n");
    // Allowed host, wrong port: refused too.
    const port = await refusal(proxy.socketPath, "api.example.com:8443");
    expect(port.status).toBe(403);
    expect(port.body).toContain("api.example.com:8443 not on the allow-list");
    // Nothing was even looked up.
    expect(resolve).not.toHaveBeenCalled();
    expect(proxy.decisions).toEqual([
      { host: "evil.example.net", port: 443, allowed: false, reason: "not on the allow-list" },
      { host: "api.example.com", port: 8443, allowed: false, reason: "not on the allow-list" },
    ]);
  });

  it("refuses the echo server's own port on another IP spelling when the rule names 127.0.0.1", async () => {
    const proxy = await proxyWith(localEcho());
    const before = echoConnections;
    for (const target of [
      `localhost:${echoPort}`,
      `[::ffff:127.0.0.1]:${echoPort}`,
      `127.0.0.1:${echoPort + 1}`,
    ]) {
      expect((await refusal(proxy.socketPath, target)).status).toBe(403);
    }
    expect(echoConnections).toBe(before);
  });

  it.each([
    ["127.0.0.1"],
    ["169.254.169.254"],
    ["10.0.0.1"],
    ["::1"],
    ["::ffff:127.0.0.1"],
    ["fd00:ec2::254"],
  ])("refuses an allowed name that resolves to %s (DNS rebinding)", async (address) => {
    const resolve = vi.fn(async () => [address]);
    const proxy = await proxyWith([{ host: "api.example.com", port: echoPort }], resolve);
    const before = echoConnections;
    const answer = await refusal(proxy.socketPath, `api.example.com:${echoPort}`);
    expect(answer.status).toBe(403);
    expect(answer.body).toBe(
      `chant-bot sandbox: api.example.com:${echoPort} not a public address (loopback, private, link-local or metadata)\n`,
    );
    expect(resolve).toHaveBeenCalledWith("api.example.com");
    expect(echoConnections).toBe(before);
    expect(proxy.decisions).toEqual([
      {
        host: "api.example.com",
        port: echoPort,
        allowed: false,
        reason: "not a public address (loopback, private, link-local or metadata)",
      },
    ]);
  });

  it("refuses a wildcard name whose every address is private", async () => {
    const proxy = await proxyWith([{ host: "*.example.com", port: echoPort }], async () => [
      "10.0.0.1",
      "127.0.0.1",
      "169.254.169.254",
    ]);
    const before = echoConnections;
    expect((await refusal(proxy.socketPath, `a.example.com:${echoPort}`)).status).toBe(403);
    expect(echoConnections).toBe(before);
  });

  it("says when a name does not resolve", async () => {
    const proxy = await proxyWith([{ host: "api.example.com", port: undefined }], async () => {
      throw new Error("ENOTFOUND");
    });
    const answer = await refusal(proxy.socketPath, "api.example.com:443");
    expect(answer.status).toBe(403);
    expect(answer.body).toContain("api.example.com:443 name does not resolve");
  });

  describe('allow: "public"', () => {
    it.each<[string, (port: number) => string]>([
      ["127.0.0.1", (port) => `127.0.0.1:${port}`],
      ["::1", (port) => `[::1]:${port}`],
      ["::ffff:127.0.0.1", (port) => `[::ffff:127.0.0.1]:${port}`],
      // IPv4-mapped in hex and other spellings: they reach 127.0.0.1 all the same.
      ["::ffff:7f00:1", (port) => `[::ffff:7f00:1]:${port}`],
      ["0::ffff:127.0.0.1", (port) => `[0::ffff:127.0.0.1]:${port}`],
      ["::7f00:1", (port) => `[::7f00:1]:${port}`],
      ["169.254.169.254", () => "169.254.169.254:80"],
      ["fd00:ec2::254", () => "[fd00:ec2::254]:80"],
      ["10.0.0.1", () => "10.0.0.1:443"],
      ["192.168.1.1", () => "192.168.1.1:443"],
      ["0.0.0.0", () => "0.0.0.0:443"],
    ])("refuses %s", async (_, target) => {
      const proxy = await proxyWith("public");
      const before = echoConnections;
      const answer = await refusal(proxy.socketPath, target(echoPort));
      expect(answer.status).toBe(403);
      expect(answer.body).toContain("not a public address");
      expect(echoConnections).toBe(before);
    });

    it("refuses a name that resolves to the host's loopback or a metadata address", async () => {
      const proxy = await proxyWith("public", async (host) =>
        host === "rebind.example" ? ["127.0.0.1"] : ["169.254.169.254"],
      );
      const before = echoConnections;
      expect((await refusal(proxy.socketPath, `rebind.example:${echoPort}`)).status).toBe(403);
      expect((await refusal(proxy.socketPath, "metadata.example:80")).status).toBe(403);
      expect(echoConnections).toBe(before);
    });

    it("refuses Redis on the host", async () => {
      const proxy = await proxyWith("public");
      const answer = await refusal(proxy.socketPath, "127.0.0.1:6379");
      expect(answer.status).toBe(403);
    });
  });

  it.each([
    "no-port",
    "host:",
    "host:abc",
    "user@host:443",
    "host:443/path",
    "host:123456",
    "[::1:443",
  ])("answers 400 to the bad target %s", async (target) => {
    const proxy = await proxyWith("public");
    const answer = await refusal(proxy.socketPath, target);
    expect(answer.status).toBe(400);
    expect(proxy.decisions).toEqual([
      { host: target, port: 0, allowed: false, reason: "bad target" },
    ]);
  });

  it.each(["host:0", "host:65536", "host:99999"])("refuses the port of %s", async (target) => {
    const resolve = vi.fn(async () => ["8.8.8.8"]);
    const proxy = await proxyWith("public", resolve);
    const answer = await refusal(proxy.socketPath, target);
    expect(answer.status).toBe(403);
    expect(answer.body).toContain("bad port");
    expect(resolve).not.toHaveBeenCalled();
  });

  it("answers 502 when the allowed destination does not accept", async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise((done) => closed.close(done));
    const proxy = await proxyWith([{ host: "127.0.0.1", port }]);
    const answer = await connectThrough(proxy.socketPath, `127.0.0.1:${port}`);
    expect(answer.status).toBe(502);
  });
});

describe("plain http", () => {
  let upstream: ReturnType<typeof createHttpServer>;
  let upstreamPort: number;
  const seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    upstream = createHttpServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (body += chunk));
      req.on("end", () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(201, { "x-upstream": "yes", "content-type": "text/plain" });
        res.end(`got ${req.method} ${req.url} ${body}`);
      });
    });
    await new Promise<void>((done) => upstream.listen(0, "127.0.0.1", done));
    upstreamPort = (upstream.address() as AddressInfo).port;
  });

  afterAll(async () => {
    upstream.closeAllConnections();
    await new Promise((done) => upstream.close(done));
  });

  /**
   * A proxy request written by hand: node:http's client is intercepted by nock
   * in the tests, and a sandboxed tool speaks to the socket the same way.
   */
  async function viaProxy(
    socketPath: string,
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body = "",
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
    const lines = [
      `${method} ${path} HTTP/1.1`,
      "host: proxied",
      "connection: close",
      `content-length: ${Buffer.byteLength(body)}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    const answer = await rawRequest(socketPath, `${lines.join("\r\n")}\r\n\r\n${body}`);
    let text = await readToEnd(answer);
    const parsed: IncomingHttpHeaders = {};
    for (const line of answer.head.split("\r\n").slice(1)) {
      const colon = line.indexOf(":");
      parsed[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    if (parsed["transfer-encoding"] === "chunked") {
      let decoded = "";
      for (let rest = text; ;) {
        const eol = rest.indexOf("\r\n");
        const size = parseInt(rest.slice(0, eol), 16);
        if (!size) break;
        decoded += rest.slice(eol + 2, eol + 2 + size);
        rest = rest.slice(eol + 2 + size + 2);
      }
      text = decoded;
    }
    return { status: answer.status, headers: parsed, body: text };
  }

  it("forwards method, path, query, headers and body to an allowed IP literal, without proxy credentials", async () => {
    const proxy = await proxyWith([{ host: "127.0.0.1", port: upstreamPort }]);
    seen.length = 0;
    const answer = await viaProxy(
      proxy.socketPath,
      "POST",
      `http://127.0.0.1:${upstreamPort}/x/y?q=1&r=2`,
      {
        "proxy-authorization": "Basic c2VjcmV0OnNlY3JldA==",
        "proxy-connection": "keep-alive",
        "x-custom": "kept",
        "content-type": "text/plain",
      },
      "the payload",
    );
    expect(answer.status).toBe(201);
    expect(answer.headers["x-upstream"]).toBe("yes");
    expect(answer.body).toBe("got POST /x/y?q=1&r=2 the payload");
    expect(seen).toHaveLength(1);
    const got = seen[0]!;
    expect(got.method).toBe("POST");
    expect(got.url).toBe("/x/y?q=1&r=2");
    expect(got.body).toBe("the payload");
    expect(got.headers["x-custom"]).toBe("kept");
    expect(got.headers.host).toBe(`127.0.0.1:${upstreamPort}`);
    expect(got.headers["proxy-authorization"]).toBeUndefined();
    expect(got.headers["proxy-connection"]).toBeUndefined();
    expect(proxy.decisions).toEqual([{ host: "127.0.0.1", port: upstreamPort, allowed: true }]);
  });

  it("forwards a GET", async () => {
    const proxy = await proxyWith([{ host: "127.0.0.1", port: upstreamPort }]);
    const answer = await viaProxy(
      proxy.socketPath,
      "GET",
      `http://127.0.0.1:${upstreamPort}/plain`,
    );
    expect(answer.status).toBe(201);
    expect(answer.body).toBe("got GET /plain ");
  });

  it("refuses a destination not on the list, and a name resolving to loopback", async () => {
    const proxy = await proxyWith([{ host: "api.example.com", port: upstreamPort }], async () => [
      "127.0.0.1",
    ]);
    seen.length = 0;
    const other = await viaProxy(proxy.socketPath, "GET", `http://127.0.0.1:${upstreamPort}/`);
    expect(other.status).toBe(403);
    expect(other.body).toBe(`chant-bot sandbox: 127.0.0.1:${upstreamPort} not on the allow-list\n`);
    const rebound = await viaProxy(
      proxy.socketPath,
      "GET",
      `http://api.example.com:${upstreamPort}/`,
    );
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain("not a public address");
    expect(seen).toHaveLength(0);
  });

  it("refuses loopback in public mode", async () => {
    const proxy = await proxyWith("public");
    seen.length = 0;
    const answer = await viaProxy(proxy.socketPath, "GET", `http://127.0.0.1:${upstreamPort}/`);
    expect(answer.status).toBe(403);
    const mapped = await viaProxy(
      proxy.socketPath,
      "GET",
      `http://[::ffff:7f00:1]:${upstreamPort}/`,
    );
    expect(mapped.status).toBe(403);
    expect(seen).toHaveLength(0);
  });

  it("answers 400 to an https URL and to a relative one", async () => {
    const proxy = await proxyWith("public");
    const https = await viaProxy(proxy.socketPath, "GET", "https://api.example.com/");
    expect(https.status).toBe(400);
    expect(https.body).toBe("chant-bot sandbox: use CONNECT for https\n");
    const relative = await viaProxy(proxy.socketPath, "GET", "/just/a/path");
    expect(relative.status).toBe(400);
    expect(relative.body).toContain("needs an absolute http:// URL");
    expect(proxy.decisions).toEqual([]);
  });

  it("answers 502 when the allowed destination is down", async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise((done) => closed.close(done));
    const proxy = await proxyWith([{ host: "127.0.0.1", port }]);
    const answer = await viaProxy(proxy.socketPath, "GET", `http://127.0.0.1:${port}/`);
    expect(answer.status).toBe(502);
  });

  it("drops the upstream request when the sandbox side goes away before the answer", async () => {
    // A model API that never answers: a stopped agent must not leave the request (and the
    // process that runs the proxy) waiting for it.
    let upstreamClosed = false;
    const silent = createHttpServer((req) => {
      req.socket.on("close", () => (upstreamClosed = true));
    });
    const port = await listen(silent as unknown as Server);
    try {
      const proxy = await proxyWith([{ host: "127.0.0.1", port }]);
      const client = connect(proxy.socketPath);
      await new Promise<void>((done) => client.once("connect", () => done()));
      client.write(`GET http://127.0.0.1:${port}/v1/messages HTTP/1.1\r\nhost: x\r\n\r\n`);
      // Wait until the request reached the upstream.
      const connections = () =>
        new Promise<number>((done) => silent.getConnections((_, n) => done(n)));
      const until = Date.now() + 5000;
      while ((await connections()) === 0 && Date.now() < until) {
        await new Promise((done) => setTimeout(done, 20));
      }
      client.destroy();
      const deadline = Date.now() + 3000;
      while (!upstreamClosed && Date.now() < deadline) {
        await new Promise((done) => setTimeout(done, 20));
      }
      expect(upstreamClosed).toBe(true);
    } finally {
      silent.closeAllConnections();
      await new Promise((done) => silent.close(done));
    }
  });
});

describe("the proxy itself", () => {
  it("records every decision in order and logs refusals", async () => {
    const warn = vi.fn();
    const proxy = await proxyWith(localEcho(), async () => ["127.0.0.1"], {
      info: () => undefined,
      warn,
      error: () => undefined,
    });
    const ok = await connectThrough(proxy.socketPath, `127.0.0.1:${echoPort}`);
    ok.socket.destroy();
    await refusal(proxy.socketPath, "nope.example:443");
    await refusal(proxy.socketPath, "no-port");
    expect(proxy.decisions).toEqual([
      { host: "127.0.0.1", port: echoPort, allowed: true },
      { host: "nope.example", port: 443, allowed: false, reason: "not on the allow-list" },
      { host: "no-port", port: 0, allowed: false, reason: "bad target" },
    ]);
    expect(warn).toHaveBeenCalledWith(
      { host: "nope.example", port: 443, reason: "not on the allow-list" },
      "sandbox egress refused",
    );
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it("makes its socket reachable by the sandbox's user and replaces a stale file", async () => {
    const socketPath = join(dir, "stale.sock");
    writeFileSync(socketPath, "left over");
    const proxy = await startEgressProxy({ socketPath, allow: "public" });
    proxies.push(proxy);
    const stat = statSync(socketPath);
    expect(stat.isSocket()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o666);
  });

  it("close() ends open tunnels and removes the socket", async () => {
    const proxy = await proxyWith(localEcho());
    const answer = await connectThrough(proxy.socketPath, `127.0.0.1:${echoPort}`);
    expect(answer.status).toBe(200);
    answer.socket.write("ping");
    expect(await readBytes(answer, 4)).toBe("ping");
    expect(echoSockets.size).toBeGreaterThan(0);
    const clientClosed = new Promise<void>((done) => answer.socket.once("close", () => done()));
    await proxy.close();
    proxies = proxies.filter((p) => p !== proxy);
    await clientClosed;
    expect(existsSync(proxy.socketPath)).toBe(false);
    // The upstream side of the tunnel is gone too.
    const deadline = Date.now() + 2000;
    while (echoSockets.size > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(echoSockets.size).toBe(0);
    // And nothing listens there any more.
    await expect(
      new Promise((done, fail) => connect(proxy.socketPath).on("connect", done).on("error", fail)),
    ).rejects.toThrow(/ENOENT/);
  });
});
