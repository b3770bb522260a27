/**
 * The first start without App credentials (outside production): a page at
 * /probot that registers the GitHub App from app.yml through GitHub's manifest
 * flow and writes its credentials to `.env`, as Probot's setup page does, with
 * a webhook URL that can work, or a plain statement that it cannot:
 *
 * - WEBHOOK_PROXY_URL set: GitHub delivers there (a smee.io channel you
 *   forward to this port, a tunnel, or this server's public address ending in
 *   /api/github/webhooks);
 * - otherwise the App is registered with this page's own address plus
 *   /api/github/webhooks (the path chant-bot serves webhooks at; Probot's page
 *   registered `http://localhost:3000/`, the wrong path), and when that address
 *   is local, the page and the log say that GitHub cannot reach it and what to
 *   set.
 *
 * Probot's own page opened a smee.io channel when it could (fetching
 * smee-client with npx at run time) and registered it; chant-bot does not
 * forward from a smee channel by itself, so such an App received nothing
 * after the restart. This page registers no channel of its own.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isIP } from "node:net";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { packageRoot } from "../util/package-root.js";
import { DEFAULT_WEBHOOK_PATH } from "../web/http-server.js";

export interface SetupPageOptions {
  port: number;
  host?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Where `.env` is written (the working directory). */
  dir: string;
  /** One line for the person at the terminal. */
  say: (line: string) => void;
}

export interface SetupPage {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** The webhook URL the App is registered with, for a page opened at `origin`. */
export function webhookUrlFor(origin: string, env: NodeJS.ProcessEnv): string {
  const proxy = env.WEBHOOK_PROXY_URL?.trim();
  return proxy || `${origin}${DEFAULT_WEBHOOK_PATH}`;
}

/** Whether GitHub (on the internet) cannot reach `url`: loopback, private or a bare host name. */
export function unreachableFromGitHub(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  } catch {
    return true;
  }
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".local")) return true;
  if (isIP(host) === 4) {
    const [a = 0, b = 0] = host.split(".").map(Number);
    return (
      a === 127 ||
      a === 10 ||
      a === 0 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (isIP(host) === 6)
    return (
      host === "::1" || host.startsWith("fc") || host.startsWith("fd") || host.startsWith("fe80")
    );
  // A name without a dot ("devbox") only resolves on a local network.
  return !host.includes(".");
}

/** What to set when GitHub cannot reach the webhook URL: one line, for the log and the page. */
export function unreachableAdvice(webhookUrl: string, port: number): string {
  const local = `http://localhost:${port}${DEFAULT_WEBHOOK_PATH}`;
  return `GitHub cannot deliver webhooks to ${webhookUrl}: set WEBHOOK_PROXY_URL to a URL GitHub can reach that ends up at ${local} (a https://smee.io channel forwarded with \`npx smee-client --url <channel> --target ${local}\`, a tunnel, or this server's public https://<host>${DEFAULT_WEBHOOK_PATH}) and restart before registering, or register now and change the Webhook URL in the App's settings (General) later`;
}

function githubWeb(env: NodeJS.ProcessEnv): string {
  return `${env.GHE_PROTOCOL || "https"}://${env.GHE_HOST || "github.com"}`;
}

function githubApi(env: NodeJS.ProcessEnv): string {
  return env.GHE_HOST
    ? `${env.GHE_PROTOCOL || "https"}://${env.GHE_HOST}/api/v3`
    : "https://api.github.com";
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** app.yml (chant-bot's own), the manifest's base. */
function appManifest(): Record<string, unknown> {
  const text = readFileSync(join(packageRoot(), "app.yml"), "utf8");
  const parsed: unknown = parseYaml(text);
  return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
}

/** The origin the page was opened at, from the request (as Probot's page takes it). */
function originOf(req: IncomingMessage, port: number): string {
  const forwardedProto = req.headers["x-forwarded-proto"];
  const proto = (Array.isArray(forwardedProto) ? forwardedProto[0] : forwardedProto)
    ?.split(",")[0]
    ?.trim();
  const forwardedHost = req.headers["x-forwarded-host"];
  const host =
    (Array.isArray(forwardedHost) ? forwardedHost[0] : forwardedHost) ??
    req.headers.host ??
    `localhost:${port}`;
  return `${proto === "https" ? "https" : "http"}://${host}`;
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
  });
  res.end(html);
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem}
code{background:#f2f2f2;padding:0 .2em}.warn{border-left:4px solid #d29922;padding:.5rem 1rem;background:#fff8e5}
button{font-size:1rem;padding:.5rem 1rem}</style></head><body>
${body}
</body></html>`;
}

/** Merge `values` into the `.env` in `dir` (other lines kept), readable by its owner only. */
function writeEnv(dir: string, values: Record<string, string>): void {
  const path = join(dir, ".env");
  const kept = existsSync(path)
    ? readFileSync(path, "utf8")
        .split("\n")
        .filter((line) => {
          const name = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1];
          return line.trim() !== "" && (name === undefined || !(name in values));
        })
    : [];
  const lines = Object.entries(values).map(
    ([name, value]) =>
      `${name}="${value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`,
  );
  writeFileSync(path, `${[...kept, ...lines].join("\n")}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/**
 * Serve the setup page on `port` until the process stops. Says in the log
 * where to open it, and, when GitHub could not reach the webhook URL it will
 * register, what to set.
 */
export async function serveSetupPage(options: SetupPageOptions): Promise<SetupPage> {
  const { env, port } = options;
  const states = new Set<string>();
  const manifestBase = appManifest();
  const name = String(manifestBase.name ?? "chant-bot");
  const org = env.GH_ORG?.trim();
  const createAppUrl = `${githubWeb(env)}${org ? `/organizations/${encodeURIComponent(org)}` : ""}/settings/apps/new`;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://setup.invalid");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (url.pathname === "/") {
      res.writeHead(302, { location: "/probot" }).end();
      return;
    }
    if (url.pathname === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"setup"}');
      return;
    }
    if (url.pathname === "/probot") {
      const origin = originOf(req, port);
      const hook = webhookUrlFor(origin, env);
      const unreachable = unreachableFromGitHub(hook);
      const state = randomBytes(16).toString("hex");
      states.add(state);
      const manifest = {
        ...manifestBase,
        name,
        url: manifestBase.url ?? "https://github.com/chant-bot/chant-bot",
        hook_attributes: { url: hook, active: true },
        redirect_url: `${origin}/probot/setup`,
        public: manifestBase.public ?? false,
      };
      const warning = unreachable
        ? `<p class="warn"><strong>GitHub cannot reach this address.</strong> ${escapeHtml(unreachableAdvice(hook, port)).replace(/`([^`]+)`/g, "<code>$1</code>")}.</p>`
        : "";
      send(
        res,
        200,
        page(
          `Register ${name}`,
          `<h1>Register the GitHub App <code>${escapeHtml(name)}</code></h1>
<p>GitHub will create the App from <code>app.yml</code> (its events and permissions) and send you back here; its credentials are then written to <code>.env</code> in <code>${escapeHtml(options.dir)}</code>. Restart chant-bot afterwards.</p>
<p>Webhook URL: <code>${escapeHtml(hook)}</code>${env.WEBHOOK_PROXY_URL ? " (WEBHOOK_PROXY_URL)" : ""}</p>
${warning}
<form action="${escapeHtml(`${createAppUrl}?state=${state}`)}" method="post">
<input type="hidden" name="manifest" value="${escapeHtml(JSON.stringify(manifest))}">
<button type="submit">Register the GitHub App on ${escapeHtml(githubWeb(env))}</button>
</form>
<p>Or register it by hand and set <code>APP_ID</code>, <code>PRIVATE_KEY_PATH</code> and <code>WEBHOOK_SECRET</code> yourself: docs/deployment.md, "Register the GitHub App".</p>`,
        ),
      );
      return;
    }
    if (url.pathname === "/probot/setup") {
      const code = url.searchParams.get("code") ?? "";
      const state = url.searchParams.get("state") ?? "";
      if (!/^[A-Za-z0-9_-]{1,200}$/.test(code) || !states.has(state)) {
        send(
          res,
          400,
          page(
            "Setup",
            '<p>This link is not from a registration started on this page: <a href="/probot">start again</a>.</p>',
          ),
        );
        return;
      }
      states.delete(state);
      const answer = await fetch(`${githubApi(env)}/app-manifests/${code}/conversions`, {
        method: "POST",
        headers: { accept: "application/vnd.github+json", "user-agent": "chant-bot" },
      });
      if (!answer.ok) {
        options.say(`GitHub did not convert the App manifest: HTTP ${answer.status}`);
        send(
          res,
          502,
          page(
            "Setup",
            `<p>GitHub answered HTTP ${answer.status}: <a href="/probot">start again</a>.</p>`,
          ),
        );
        return;
      }
      const app = (await answer.json()) as {
        id: number;
        pem: string;
        webhook_secret: string | null;
        client_id?: string;
        client_secret?: string;
        html_url: string;
      };
      writeEnv(options.dir, {
        APP_ID: String(app.id),
        PRIVATE_KEY: app.pem,
        WEBHOOK_SECRET: app.webhook_secret ?? "",
        ...(app.client_id ? { GITHUB_CLIENT_ID: app.client_id } : {}),
        ...(app.client_secret ? { GITHUB_CLIENT_SECRET: app.client_secret } : {}),
      });
      options.say(
        `registered the GitHub App ${app.html_url} and wrote its credentials to ${join(options.dir, ".env")}: install it on your repositories (${app.html_url}/installations/new), then restart chant-bot`,
      );
      res.writeHead(302, { location: `${app.html_url}/installations/new` }).end();
      return;
    }
    res
      .writeHead(404, { "content-type": "text/plain" })
      .end("Not found: the setup page is at /probot\n");
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.say(`setup page: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) send(res, 500, page("Setup", "<p>Something failed; see the log.</p>"));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  const pageUrl = `http://localhost:${bound}/probot`;
  options.say(`open ${pageUrl} to register the GitHub App from app.yml (then restart)`);
  const hook = webhookUrlFor(`http://localhost:${bound}`, env);
  if (unreachableFromGitHub(hook)) options.say(unreachableAdvice(hook, bound));
  else options.say(`the App's webhook URL will be ${hook}`);
  return {
    server,
    url: pageUrl,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
