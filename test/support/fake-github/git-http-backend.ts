/**
 * Smart HTTP for clones and pushes: `git http-backend` run as a CGI per
 * request. The request body is streamed to its stdin (gunzipped first when git
 * sent it gzip-encoded) and its CGI headers become the HTTP response.
 */
import { spawn } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createGunzip } from "node:zlib";
import { isolatedGitEnv } from "./git.js";

export interface GitHttpRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** Directory holding `<owner>/<name>.git`. */
  projectRoot: string;
  /** `/<owner>/<name>.git/info/refs` etc. */
  pathInfo: string;
  queryString: string;
  remoteUser: string;
  /** Runs after git finished and before the response ends (pushes are recorded here). */
  onComplete?: () => Promise<void>;
}

/** Resolves with the HTTP status sent once the response is complete. */
export function serveGitHttp(request: GitHttpRequest): Promise<number> {
  const { req, res } = request;
  const env = isolatedGitEnv({
    GIT_PROJECT_ROOT: request.projectRoot,
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: request.pathInfo,
    QUERY_STRING: request.queryString,
    REQUEST_METHOD: req.method ?? "GET",
    CONTENT_TYPE: String(req.headers["content-type"] ?? ""),
    REMOTE_USER: request.remoteUser,
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
    // Protocol v2 is negotiated through this header; http-backend reads it from the env.
    ...(req.headers["git-protocol"] ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) } : {}),
    // Pushes over HTTP are off by default in http-backend; GitHub also serves
    // partial and shallow clones, which the worker may use.
    GIT_CONFIG_COUNT: "3",
    GIT_CONFIG_KEY_0: "http.receivepack",
    GIT_CONFIG_VALUE_0: "true",
    GIT_CONFIG_KEY_1: "uploadpack.allowFilter",
    GIT_CONFIG_VALUE_1: "true",
    GIT_CONFIG_KEY_2: "uploadpack.allowAnySHA1InWant",
    GIT_CONFIG_VALUE_2: "true",
  });

  return new Promise((resolve) => {
    const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });

    const gzipped = String(req.headers["content-encoding"] ?? "").toLowerCase() === "gzip";
    const source = gzipped ? req.pipe(createGunzip()) : req;
    source.on("error", () => child.kill());
    child.stdin.on("error", () => {});
    source.pipe(child.stdin);

    let headerBuffer = Buffer.alloc(0);
    let headersSent = false;
    let status = 200;

    const fail = (message: string) => {
      if (!res.headersSent) {
        status = 500;
        res.writeHead(500, { "content-type": "text/plain" });
      }
      res.end(message);
    };

    child.stdout.on("data", (chunk: Buffer) => {
      if (headersSent) {
        res.write(chunk);
        return;
      }
      headerBuffer = Buffer.concat([headerBuffer, chunk]);
      const crlf = headerBuffer.indexOf("\r\n\r\n");
      const lf = headerBuffer.indexOf("\n\n");
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
      if (end < 0) return;
      const separator = end === crlf ? 4 : 2;
      const headers: Record<string, string> = {};
      for (const line of headerBuffer.subarray(0, end).toString("latin1").split(/\r?\n/)) {
        const colon = line.indexOf(":");
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 200;
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      headersSent = true;
      const rest = headerBuffer.subarray(end + separator);
      if (rest.length > 0) res.write(rest);
    });

    child.on("error", (error) => {
      fail(`git http-backend could not start: ${error.message}`);
      resolve(500);
    });
    child.on("close", (code) => {
      const finish = () => {
        if (!headersSent) fail(`git http-backend failed (${code}): ${stderr}`);
        else res.end();
        resolve(status);
      };
      if (request.onComplete) request.onComplete().then(finish, finish);
      else finish();
    });
  });
}
