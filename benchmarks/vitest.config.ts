import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * The benchmark harness's own tests (`npm run test:bench`; .ci/run runs them beside the benchmark smoke test). The root
 * config leaves benchmarks/ out of the unit suite.
 */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL("..", import.meta.url)),
    include: ["benchmarks/**/*.test.ts"],
    exclude: ["benchmarks/results/**"],
    testTimeout: 60_000,
  },
});
