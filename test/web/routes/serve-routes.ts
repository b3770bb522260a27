import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import type { Probot } from "probot";
import { createWebServer, type Route } from "../../../src/web/http-server.js";

/**
 * The web process's real HTTP server with these routes, on a free loopback
 * port. No webhook arrives in these tests, so Probot is never called.
 */
export async function serveRoutes(routes: Route[]): Promise<{
  url: string;
  server: Server;
  close(): Promise<void>;
}> {
  const server = createWebServer({
    probot: {} as Probot,
    webhookSecret: "unused",
    log: pino({ level: "silent" }),
    routes,
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
