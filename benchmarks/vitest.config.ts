import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/** The benchmarks' own test run (`npx vitest run --config benchmarks/vitest.config.ts`), kept out of the unit suite. */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL("..", import.meta.url)),
    include: ["benchmarks/**/*.test.ts"],
    testTimeout: 60_000,
  },
});
