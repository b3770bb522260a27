import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/support/setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Tests share one Redis, each with its own key prefix; files still run in parallel.
    pool: "forks",
    // Most tests wait on processes, git and sockets, not on the CPU: two files at a time even on
    // a 2-CPU machine halves the suite (about 5 min to about 2.5 min there).
    maxWorkers: Math.max(2, availableParallelism()),
  },
});
