import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The browser tests of the checkout page and dashboard (npm run test:web), kept out of
// test:relayer: they need Chromium and start a whole stack.
export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/web/**/*.test.ts"],
    testTimeout: 90_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
