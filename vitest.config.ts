import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // libchdb and PGlite bind one data directory per process: every test file runs in its own fork.
    pool: "forks",
    include: ["**/*.test.ts"],
    // The generator's and the oracle's tests run here, since the other tests rely on both. The benchmark harness's own
    // tests do not: they run with benchmarks/vitest.config.ts (`npm run test:bench`), which .ci/run runs beside the
    // benchmark smoke test.
    exclude: ["node_modules/**", "data/**", "benchmarks/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
