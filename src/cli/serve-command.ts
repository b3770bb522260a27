import { existsSync } from "node:fs";
import { secretsFromEnv } from "./process-secrets.js";
import { createLogger, logFormatFromEnv } from "../observability/logger.js";
import { hasAppCredentials, readAppEnv, StartupError } from "./app-env.js";
import { EXIT, parseCommandArgs, type Command, type Output } from "./command.js";
import { serveSetupPage } from "./setup-page.js";
import { startRoles, type Role } from "./start-roles.js";
import { agentCredentialValues } from "../agents/agent-from-env.js";

const ENV_HELP = `Environment (see the README): APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH,
WEBHOOK_SECRET, PORT (3000), CHANT_REDIS_URL (redis://127.0.0.1:6379),
CHANT_QUEUE_PREFIX (chant), CHANT_AGENT / CHANT_AGENT_COMMAND, LOG_LEVEL.
A .env file in the current directory is read first.`;

function serveCommand(name: "start" | "web" | "worker", roles: Role[], summary: string): Command {
  return {
    name,
    summary,
    usage: `chant-bot ${name}

${summary}.
${name === "worker" ? "" : "Without App credentials (and not in production) it serves a setup page at\n/probot, which registers the GitHub App from app.yml (webhook URL: WEBHOOK_PROXY_URL,\nelse the page's address + /api/github/webhooks) and writes its credentials to .env.\n"}
${ENV_HELP}

Exit status: 0 after a clean shutdown (SIGTERM/SIGINT), 1 when it cannot start
(the reason and what to set are printed), 2 usage error.`,
    async run(args, io) {
      const { values } = parseCommandArgs(args, {});
      if (values.help) {
        io.out(this.usage);
        return EXIT.ok;
      }
      loadDotEnv();
      try {
        return await serve(name, roles, io);
      } catch (error) {
        if (error instanceof StartupError) {
          io.err(`chant-bot ${name}: ${error.message}`);
          return EXIT.failed;
        }
        throw error;
      }
    },
  };
}

export const startCommand = serveCommand(
  "start",
  ["web", "worker"],
  "run the web process and a worker in one process",
);
export const webCommand = serveCommand(
  "web",
  ["web"],
  "run the web process only: webhooks, health, metrics, dashboard",
);
export const workerCommand = serveCommand(
  "worker",
  ["worker"],
  "run a worker only: implement and checks jobs",
);

async function serve(name: string, roles: Role[], io: Output): Promise<number> {
  const env = process.env;
  if (!hasAppCredentials(env)) {
    if (!roles.includes("web")) {
      throw new StartupError(
        "a worker needs the GitHub App's credentials: set APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH).",
      );
    }
    if (env.NODE_ENV === "production") {
      throw new StartupError(
        "APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH) are not set; in production chant-bot does not serve the setup page.",
      );
    }
    io.err(`chant-bot ${name}: no GitHub App credentials yet; serving the setup page.`);
    const port = Number(env.PORT ?? 3000);
    try {
      await serveSetupPage({
        port: Number.isInteger(port) ? port : 3000,
        host: env.HOST || undefined,
        env,
        dir: process.cwd(),
        say: (line) => io.err(`chant-bot ${name}: ${line}`),
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new StartupError(
        code === "EADDRINUSE"
          ? `Port ${env.PORT ?? 3000} is already in use: set PORT to a free one.`
          : `Cannot serve the setup page: ${(error as Error).message}`,
      );
    }
    return new Promise<number>(() => undefined);
  }

  const appEnv = readAppEnv(env);
  // The app's own secrets and the agent's credentials: none may show up anywhere.
  const secrets = [
    ...secretsFromEnv({ ...env, PRIVATE_KEY: appEnv.privateKey }),
    ...agentCredentialValues(env),
  ];
  const log = createLogger({ level: env.LOG_LEVEL, format: logFormatFromEnv(env), secrets });
  if (roles.includes("web") && env.WEBHOOK_PROXY_URL?.trim()) {
    // Probot forwarded from it by itself; chant-bot does not.
    log.warn(
      `WEBHOOK_PROXY_URL is set (${env.WEBHOOK_PROXY_URL.trim()}): chant-bot does not forward webhooks from it by itself; for a smee.io channel run \`npx smee-client --url ${env.WEBHOOK_PROXY_URL.trim()} --target http://localhost:${appEnv.port}/api/github/webhooks\``,
    );
  }
  const app = await startRoles({ roles, appEnv, env, log, secrets });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        log.warn(`${signal} again: exiting now`);
        process.exit(EXIT.failed);
      }
      stopping = true;
      log.info(`${signal}: shutting down (running jobs finish or go back to the queue)`);
      app.stop().then(
        () => {
          log.info("stopped");
          resolve(EXIT.ok);
          // Let the last lines out, then leave even if a library keeps a handle open.
          setImmediate(() => process.exit(EXIT.ok));
        },
        (error: unknown) => {
          log.error({ err: error }, "shutdown failed");
          resolve(EXIT.failed);
          setImmediate(() => process.exit(EXIT.failed));
        },
      );
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}

/** Probot apps read `.env`; so does chant-bot (variables already set win). */
function loadDotEnv(): void {
  if (!existsSync(".env")) return;
  try {
    process.loadEnvFile(".env");
  } catch {
    // An unreadable .env is not fatal: the variables it would set are checked below.
  }
}
