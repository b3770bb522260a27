/**
 * The only way out of a sandbox that has network: an HTTP proxy on a Unix
 * socket that is bound into the sandbox (whose own network namespace has
 * nothing but loopback). It serves `CONNECT host:port` (HTTPS and anything
 * tunnelled) and plain `http://` requests, and lets through only what the
 * policy allows. Names are resolved HERE and the connection goes to the
 * address that was checked, so DNS rebinding cannot turn an allowed name into
 * the host's loopback or a metadata address.
 *
 * It parses what a hostile process sends, so it stays small: one request
 * line, headers, then bytes copied both ways; bounded connections and idle
 * time.
 */
import { lookup } from "node:dns/promises";
import { chmod, rm } from "node:fs/promises";
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { connect, isIP, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { isPublicAddress, matchEgressRule } from "./egress-rules.js";
import type { EgressRule, SandboxLog } from "./sandbox.js";

const MAX_CONNECTIONS = 64;
const IDLE_MS = 10 * 60_000;
const CONNECT_TIMEOUT_MS = 15_000;

export interface EgressDecision {
  host: string;
  port: number;
  allowed: boolean;
  /** Why not, in a few words. */
  reason?: string;
}

export interface EgressProxy {
  readonly socketPath: string;
  /** Every destination asked for, in order (bounded). */
  readonly decisions: readonly EgressDecision[];
  close(): Promise<void>;
}

export interface EgressProxyOptions {
  socketPath: string;
  allow: readonly EgressRule[] | "public";
  log?: SandboxLog | undefined;
  /** Name resolution (tests). */
  resolve?: (host: string) => Promise<string[]>;
}

export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const decisions: EgressDecision[] = [];
  const sockets = new Set<Duplex>();
  const resolve =
    options.resolve ??
    (async (host: string) => (await lookup(host, { all: true })).map((a) => a.address));

  const record = (decision: EgressDecision): void => {
    if (decisions.length < 1000) decisions.push(decision);
    if (!decision.allowed) {
      options.log?.warn(
        { host: decision.host, port: decision.port, reason: decision.reason },
        "sandbox egress refused",
      );
    }
  };

  const decide = decider(options.allow, resolve);

  const track = (socket: Duplex): void => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  };

  const server = createServer({ requestTimeout: IDLE_MS, headersTimeout: 30_000 });
  server.maxConnections = MAX_CONNECTIONS;
  server.on("connection", (socket: Socket) => {
    track(socket);
    socket.setTimeout(IDLE_MS, () => socket.destroy());
  });

  server.on("connect", (req: IncomingMessage, client: Duplex, head: Buffer) => {
    client.on("error", () => client.destroy());
    const target = parseAuthority(req.url ?? "");
    if (!target) {
      record({
        host: String(req.url).slice(0, 200),
        port: 0,
        allowed: false,
        reason: "bad target",
      });
      client.end("HTTP/1.1 400 Bad Request\r\n\r\n");
      return;
    }
    void decide(target.host, target.port).then((verdict) => {
      if ("reason" in verdict) {
        record({ ...target, allowed: false, reason: verdict.reason });
        client.end(
          `HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\nchant-bot sandbox: ${target.host}:${target.port} ${verdict.reason}\n`,
        );
        return;
      }
      record({ ...target, allowed: true });
      tunnel(client, head, verdict.address, target.port, track);
    });
  });

  // Plain HTTP through the proxy: `GET http://host:port/path`.
  server.on("request", (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? "");
    } catch {
      res.writeHead(400).end("chant-bot sandbox: a proxy request needs an absolute http:// URL\n");
      return;
    }
    if (url.protocol !== "http:") {
      res.writeHead(400).end("chant-bot sandbox: use CONNECT for https\n");
      return;
    }
    const port = url.port ? Number(url.port) : 80;
    void decide(url.hostname, port).then((verdict) => {
      const host = url.hostname.replace(/^\[|\]$/g, "");
      if ("reason" in verdict) {
        record({ host, port, allowed: false, reason: verdict.reason });
        res.writeHead(403, { "content-type": "text/plain" });
        res.end(`chant-bot sandbox: ${host}:${port} ${verdict.reason}\n`);
        return;
      }
      record({ host, port, allowed: true });
      forward(req, res, url, verdict.address, port);
    });
  });
  server.on("clientError", (_error, socket) => socket.destroy());

  await rm(options.socketPath, { force: true });
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(options.socketPath, () => {
      server.off("error", fail);
      done();
    });
  });
  // The sandbox's user must be able to connect; nobody else has a path to it.
  await chmod(options.socketPath, 0o666);

  return {
    socketPath: options.socketPath,
    decisions,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((done) => server.close(() => done()));
      await rm(options.socketPath, { force: true });
    },
  };
}

type Verdict = { address: string } | { reason: string };

/** For a requested host and port: the address to connect to, or why not. */
function decider(
  allow: readonly EgressRule[] | "public",
  resolve: (host: string) => Promise<string[]>,
): (host: string, port: number) => Promise<Verdict> {
  return async (host, port) => {
    const name = host.replace(/^\[|\]$/g, "").toLowerCase();
    if (!Number.isInteger(port) || port < 1 || port > 65535) return { reason: "bad port" };
    let rule: EgressRule | undefined;
    if (allow !== "public") {
      rule = matchEgressRule(name, port, allow);
      if (!rule) return { reason: "not on the allow-list" };
    }
    let addresses: string[];
    try {
      addresses = isIP(name) ? [name] : await resolve(name);
    } catch {
      return { reason: "name does not resolve" };
    }
    // An IP literal the operator listed is theirs to allow; a name must stay public.
    const explicit = rule !== undefined && isIP(rule.host) !== 0;
    const usable = explicit ? addresses : addresses.filter(isPublicAddress);
    if (usable.length === 0) {
      return { reason: "not a public address (loopback, private, link-local or metadata)" };
    }
    return { address: usable[0]! };
  };
}

/** An allowed CONNECT: the tunnel to `address`, closed with either side. */
function tunnel(
  client: Duplex,
  head: Buffer,
  address: string,
  port: number,
  track: (socket: Duplex) => void,
): void {
  const upstream = connect({ host: address, port });
  track(upstream);
  let connected = false;
  upstream.setTimeout(CONNECT_TIMEOUT_MS, () => upstream.destroy());
  upstream.once("connect", () => {
    connected = true;
    upstream.setTimeout(IDLE_MS, () => upstream.destroy());
    client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  // 'close' follows 'error' and a timeout's destroy alike.
  upstream.on("error", () => undefined);
  upstream.on("close", () => {
    if (!connected) client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
    else client.destroy();
  });
  client.on("close", () => upstream.destroy());
}

/** An allowed plain-HTTP request, forwarded to `address` without the proxy's own headers. */
function forward(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  address: string,
  port: number,
): void {
  const headers = { ...req.headers };
  delete headers["proxy-authorization"];
  delete headers["proxy-connection"];
  const upstream = httpRequest(
    {
      host: address,
      port,
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers: { ...headers, host: url.host },
      timeout: IDLE_MS,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", () => {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  });
  // The sandbox went away (its command was stopped) before the answer ended: so does
  // the request, or a server that never answers holds it (and the worker) for IDLE_MS.
  res.on("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/** `host:port` of a CONNECT request (`[v6]:port` too). */
function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:/@[\]]+):(\d{1,5})$/.exec(authority);
  if (!match) return undefined;
  return { host: match[1]!.replace(/^\[|\]$/g, ""), port: Number(match[2]) };
}
