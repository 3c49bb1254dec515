import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../../relayer/src/cli/program.js";
import type { CliIo } from "../../../relayer/src/cli/io.js";

/** CLI commands run in-process against an embedded database in a temp dir; two run as a real process. */
const VAULT = `0x${"55".repeat(20)}`;
const PAYOUT = `0x${"66".repeat(20)}`;
/** tsx compiles the CLI on start; a cold start on two busy cores takes several seconds. */
const PROCESS_TIMEOUT_MS = 60_000;

let dir: string;
let configPath: string;
const env: NodeJS.ProcessEnv = { RELAYER_MASTER_KEY: randomBytes(32).toString("hex") };

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (line) => out.push(line), err: (line) => err.push(line), env };
  const code = await runCli(argv, io, { untilStopped: () => Promise.resolve("test") });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** Runs the CLI as `npm run relayer` would, for what only a real process shows: exit codes and stderr. */
function cliProcess(...argv: string[]) {
  const result = spawnSync(process.execPath, ["--import", "tsx", "relayer/src/cli.ts", ...argv], {
    encoding: "utf8",
    timeout: PROCESS_TIMEOUT_MS,
    env: { ...process.env, ...env },
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

const capture = (text: string, pattern: RegExp): string => {
  const match = pattern.exec(text);
  if (!match?.[1]) throw new Error(`no ${pattern} in:\n${text}`);
  return match[1];
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "relayer-cli-"));
  configPath = join(dir, "relayer.config.json");
  writeFileSync(
    configPath,
    JSON.stringify({
      chains: [{ name: "local", kind: "evm", rpcUrl: "http://127.0.0.1:1", vaultAddress: VAULT, startBlock: 0 }],
      dataDir: join(dir, "db"),
      webhooks: { allowPrivateNetworks: true },
    }),
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("relayer CLI", () => {
  it("refuses admin commands before migrate, naming the command to run", async () => {
    const result = await cli("merchant", "create", "--config", configPath, "--name", "Shop", "--chain", "local");
    expect(result.code).toBe(1);
    expect(result.err).toContain("The database is not migrated");
    expect(result.err).toContain("hint: Run `relayer migrate");
  });

  it("migrate applies every migration once, reporting each, and is a no-op the second time", async () => {
    const first = await cli("--config", configPath, "migrate");
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/applying 2026-11-22-0001-merchants-and-domain-events\.sql/);
    expect(first.out).toMatch(/Done: \d+ applied, 0 already applied\./);
    const second = await cli("migrate", "--config", configPath);
    expect(second.out).toMatch(/Done: 0 applied, \d+ already applied\./);
  });

  it("creates a merchant, an API key printed once, revokes it, and adds a webhook endpoint", async () => {
    const merchant = await cli("merchant", "create", "--config", configPath, "--name", "Shop", "--address", `local:${PAYOUT}`);
    expect(merchant.code, merchant.err).toBe(0);
    const merchantId = capture(merchant.out, /Created merchant (mer_[0-9a-f]+)/);
    expect(merchant.out).toContain("payouts to 0x6666666666666666666666666666666666666666");
    expect(merchant.out).toMatch(/register the signing key .* data 0x[0-9a-f]+/);

    const key = await cli("apikey", "create", "--config", configPath, "--merchant", merchantId, "--test");
    expect(key.code, key.err).toBe(0);
    const keyId = capture(key.out, /Created API key (key_[0-9a-f]+)/);
    expect(key.out).toMatch(/^ {2}sk_test_\S+$/m);
    expect(key.out).toContain("only time the key is shown");

    const revoked = await cli("apikey", "revoke", keyId, "--config", configPath, "--merchant", merchantId);
    expect(revoked.code, revoked.err).toBe(0);
    const again = await cli("apikey", "revoke", keyId, "--config", configPath, "--merchant", merchantId);
    expect(again.code).toBe(1);
    expect(again.err).toContain(`API key ${keyId} not found or already revoked`);

    const hook = await cli("webhook", "add", "--config", configPath, "--merchant", merchantId, "--url", "https://shop.example.com/hooks", "--event", "invoice.paid");
    expect(hook.code, hook.err).toBe(0);
    const endpointId = capture(hook.out, /Added webhook endpoint (ep_[0-9a-f]+)/);
    expect(hook.out).toMatch(/signing secret: whsec_\S+/);

    const test = await cli("webhook", "test", endpointId, "--config", configPath);
    expect(test.code, test.err).toBe(0);
    const listed = await cli("deliveries", "list", "--config", configPath, "--endpoint", endpointId);
    expect(listed.out).toMatch(/dlv_[0-9a-f]+\tevt_[0-9a-f]+\tendpoint\.test\tpending/);

    const rotated = await cli("webhook", "rotate", endpointId, "--config", configPath);
    expect(rotated.out).toMatch(/New signing secret/);
    const bulk = await cli("deliveries", "redeliver", "--config", configPath, "--endpoint", endpointId, "--failed-since", "2026-01-01T00:00:00Z");
    expect(bulk.code, bulk.err).toBe(0);
    expect(bulk.out).toContain("Queued 0 deliveries");
  });

  it("prints user errors as one line with a hint, without a stack", async () => {
    const badAddress = await cli("merchant", "create", "--config", configPath, "--name", "Shop", "--address", "local:0x12");
    expect(badAddress.code).toBe(1);
    expect(badAddress.err).toMatch(/^error: chains\[0\]\.payoutAddress is not an address/);
    expect(badAddress.err).not.toMatch(/\n\s+at /);
    const badHook = await cli("webhook", "test", "ep_missing", "--config", configPath);
    expect(badHook.err).toContain("error: Webhook endpoint ep_missing not found");
    expect(badHook.err).toContain("hint: ");
    const badDate = await cli("deliveries", "redeliver", "--config", configPath, "--endpoint", "ep_x", "--failed-since", "yesterday");
    expect(badDate.err).toContain('--failed-since "yesterday" is not a date');
    const noChain = await cli("escrow", "show", "nowhere", `0x${"11".repeat(32)}`, "--config", configPath);
    expect(noChain.err).toContain('Unknown chain "nowhere"');
  });

  it.each([
    [[]],
    [["start"]],
    [["dev"]],
    [["migrate"]],
    [["pay-local"]],
    [["merchant", "create"]],
    [["apikey", "create"]],
    [["apikey", "revoke"]],
    [["webhook", "add"]],
    [["webhook", "test"]],
    [["webhook", "rotate"]],
    [["deliveries", "list"]],
    [["deliveries", "redeliver"]],
    [["escrow", "show"]],
  ])("%j --help prints usage and exits 0", async (command) => {
    const result = await cli(...command, "--help");
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^Usage: relayer/);
  });

  it("as a process: a bad config prints the field error and exits 1 without a stack trace", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ chains: [{ name: "local", kind: "evm", rpcUrl: "ftp://node", vaultAddress: VAULT, startBlock: 0 }] }));
    const result = cliProcess("start", "--config", bad);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`Invalid relayer configuration in ${bad}:`);
    expect(result.err).toContain("chains[0].rpcUrl: must be an http(s) URL");
    expect(result.err).not.toMatch(/\n\s+at /);
    const help = cliProcess("escrow", "show", "--help");
    expect(help.code).toBe(0);
    expect(help.out).toContain("Usage: relayer escrow show");
  });
});
