/**
 * The ingress baseline: a bare Probot app whose handlers do nothing, behind
 * Probot's own `createNodeMiddleware` (signature check, dispatch), configured
 * from the same environment variables as chant-bot. Prints its port.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createNodeMiddleware, createProbot } from "probot";

const probot = createProbot({ env: process.env });
const middleware = await createNodeMiddleware(
  (app) => {
    app.on("issue_comment.created", async () => undefined);
    app.on("issues.labeled", async () => undefined);
  },
  { probot },
);
const server = createServer((req, res) => {
  void middleware(req, res, () => {
    res.writeHead(404).end();
  });
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`bare probot: listening on port ${(server.address() as AddressInfo).port}`);
});
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
