import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // libchdb and PGlite bind one data directory per process: every test file runs in its own fork.
    pool: "forks",
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "data/**", "benchmarks/results/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
