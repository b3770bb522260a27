import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/support/setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Tests share one Redis, each with its own key prefix; files still run in parallel.
    pool: "forks",
  },
});
