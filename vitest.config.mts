import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/relayer/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Database and chain tests start real servers; two cores are better used one file at a time.
    fileParallelism: false,
  },
});
