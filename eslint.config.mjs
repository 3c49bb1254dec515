// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["node_modules/", "artifacts/", "cache/", "typechain-types/", "coverage/", "build/", ".tronbox-home/", "bench/out/"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { console: "readonly", process: "readonly", require: "readonly", module: "writable", __dirname: "readonly", Buffer: "readonly", setTimeout: "readonly", clearTimeout: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // tronbox loads its config and migrations as CommonJS.
    files: ["**/*.js", "**/*.cjs"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // Browser ES modules served by the relayer (checkout page, dashboard).
    files: ["relayer/src/web/static/**/*.js"],
    languageOptions: {
      sourceType: "module",
      globals: { window: "readonly", document: "readonly", navigator: "readonly", fetch: "readonly", EventSource: "readonly", crypto: "readonly", setInterval: "readonly", location: "readonly" },
    },
  },
);
