import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runProcess } from "../../src/process/run-process.js";
import { packageRoot } from "../../src/util/package-root.js";

/**
 * docker-compose.yml cannot be run here (no Docker engine): these tests read
 * it, check what an operator relies on, and run the web healthcheck's script
 * against a real /readyz.
 */
const root = packageRoot();
const compose = parse(readFileSync(join(root, "docker-compose.yml"), "utf8"), {
  merge: true,
}) as Compose;

interface Service {
  build?: string;
  image?: string;
  command?: string[];
  env_file?: string | string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  deploy?: { replicas?: number };
  secrets?: string[];
  stop_grace_period?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file: string }>;
}

const service = (name: string): Service => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};

describe("docker-compose.yml", () => {
  it("has Redis 7 with AOF, noeviction and a volume", () => {
    const redis = service("redis");
    expect(redis.image).toMatch(/^redis:7(\b|-)/);
    const command = redis.command!.join(" ");
    expect(command).toContain("--appendonly yes");
    expect(command).toContain("--maxmemory-policy noeviction");
    const [volume, mount] = redis.volumes![0]!.split(":");
    expect(mount).toBe("/data");
    expect(compose.volumes).toHaveProperty(volume!);
    expect(redis.ports).toBeUndefined();
  });

  it("runs one web and two workers from the repository's Dockerfile, on that Redis", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["redis", "web", "worker"]);
    expect(existsSync(join(root, "Dockerfile"))).toBe(true);
    const web = service("web");
    const worker = service("worker");
    expect(web.command).toEqual(["node", "dist/src/cli/bin.js", "web"]);
    expect(worker.command).toEqual(["node", "dist/src/cli/bin.js", "worker"]);
    expect(web.deploy?.replicas ?? 1).toBe(1);
    expect(worker.deploy?.replicas).toBe(2);
    expect(web.ports).toEqual(["3000:3000"]);
    for (const app of [web, worker]) {
      expect(app.build).toBe(".");
      expect(app.env_file).toBe(".env");
      expect(app.environment?.CHANT_REDIS_URL).toBe("redis://redis:6379");
      expect(app.depends_on?.redis?.condition).toBe("service_healthy");
      expect(app.environment?.PRIVATE_KEY_PATH).toBe("/run/secrets/github-app-private-key");
      expect(app.secrets).toEqual(["github-app-private-key"]);
    }
    expect(compose.secrets?.["github-app-private-key"]?.file).toBe("./private-key.pem");
    // Longer than the workers' default shutdown grace (25 s) so running jobs can finish.
    expect(parseInt(worker.stop_grace_period ?? "10", 10)).toBeGreaterThan(25);
  });

  it("checks the web container's health on /readyz, with a script that works", async () => {
    const test = service("web").healthcheck!.test;
    expect(test.slice(0, 3)).toEqual(["CMD", "node", "-e"]);
    const script = test[3]!;
    expect(script).toContain("/readyz");

    let status = 200;
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url ?? "");
      res.writeHead(status).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const probe = () =>
      runProcess([process.execPath, "-e", script], {
        cwd: root,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PORT: String(port) },
        timeoutMs: 10_000,
      });
    try {
      expect((await probe()).exitCode).toBe(0);
      status = 503;
      expect((await probe()).exitCode).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(paths).toEqual(["/readyz", "/readyz"]);
    // Nothing listening: unhealthy, not a hang.
    expect((await probe()).exitCode).toBe(1);
  });
});
