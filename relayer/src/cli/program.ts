import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { createLogger } from "../common/logger.js";
import type { RelayerConfig } from "../config.js";
import { startRelayer, type RunningRelayer } from "../runtime.js";
import * as admin from "./admin.js";
import { DEV_API_PORT, devConfig, localChainTime, payLocalInvoice, readDeployment, setUpDemo, type DemoSetup } from "./dev.js";
import { configFrom, reportError, type CliIo } from "./io.js";

/**
 * The `relayer` command line. `runCli` never calls process.exit: it returns the exit code, so tests
 * run commands in-process and `cli.ts` decides how the process ends.
 */

const DEFAULT_CONFIG = "relayer.config.json";

const integer = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("must be a whole number");
  return n;
};
const collect = (value: string, previous: string[] = []) => [...previous, value];

export interface CliHooks {
  /** Resolves when the service should stop (SIGINT/SIGTERM in the real process). */
  untilStopped: () => Promise<string>;
}

export function buildProgram(io: CliIo, hooks: CliHooks): Command {
  const program = new Command("relayer")
    .description("USDT escrow relayer: ingests vault events, sends webhooks and timeouts, serves the merchant API.")
    .option("-c, --config <file>", "configuration file (.json or .ts); secrets come from the environment", DEFAULT_CONFIG)
    .showHelpAfterError("(add --help for usage)")
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, "")), writeErr: (s) => io.err(s.replace(/\n$/, "")) })
    .exitOverride();
  const config = (command: Command): Promise<RelayerConfig> => configFrom(io, (command.optsWithGlobals() as { config: string }).config);
  const sub = (parent: Command, name: string, description: string) => parent.command(name).description(description).exitOverride();

  sub(program, "start", "run the relayer (production): ingestion, timeouts, webhooks and the HTTP API; SIGINT/SIGTERM stop it cleanly").action(async (_opts, command: Command) => {
    const loaded = await config(command);
    await serve(io, hooks, await startRelayer(loaded, { logger: createLogger({ level: loaded.logLevel }) }));
  });

  sub(program, "dev", "run the relayer on embedded defaults against a local Hardhat node (npm start)")
    .option("--deployment <file>", "deployment record of the local vault", "deployments/localhost.json")
    .option("--rpc-url <url>", "local node (default http://127.0.0.1:$LOCAL_RPC_PORT or :8545)")
    .option("--port <port>", "API port (default $LOCAL_API_PORT or 8080)", integer)
    .option("--data-dir <dir>", "embedded database directory", ".relayer-data/local")
    .option("--fresh", "delete the local database first (the local chain was restarted)")
    .option("--demo", "also create a demo merchant, API key and a webhook endpoint at a bundled receiver that verifies and prints events")
    .option("--receiver-port <port>", "port of the demo receiver (default: a free one)", integer)
    .action(async (opts: { deployment: string; rpcUrl?: string; port?: number; dataDir: string; fresh?: boolean; demo?: boolean; receiverPort?: number }) => {
      const loaded = devConfig(opts, io.env);
      const demo = opts.demo ? await setUpDemo(loaded, { ...(opts.receiverPort ? { receiverPort: opts.receiverPort } : {}), print: io.out }) : undefined;
      const rpcUrl = loaded.chains[0]!.rpcUrl;
      const local = demo ? { token: readDeployment(opts.deployment).contracts.TestToken?.address ?? "<token address>", rpcUrl, chainTime: await localChainTime(rpcUrl) } : undefined;
      const running = await startRelayer(loaded, { logger: createLogger({ level: io.env.LOG_LEVEL ?? "warn" }), apiKeyMode: "test" });
      // No await between these lines: the demo's instructions print before any webhook line can.
      io.out(`Relayer API on ${running.url} (chain "local", database ${loaded.dataDir})`);
      if (demo && local) printDemo(io, running, demo, local);
      try {
        await serve(io, hooks, running);
      } finally {
        await demo?.receiver.close();
      }
    });

  sub(program, "pay-local", "pay an invoice on the local node from Hardhat's account #2, as a wallet would (development only)")
    .argument("<invoice-id>", "invoice id (0x…)")
    .requiredOption("--api-key <key>", "the merchant's API key, to read the invoice")
    .option("--api-url <url>", "relayer API (default http://localhost:$LOCAL_API_PORT or 8080)")
    .option("--rpc-url <url>", "local node (default http://127.0.0.1:$LOCAL_RPC_PORT or :8545)")
    .action(async (invoiceId: string, opts: { apiKey: string; apiUrl?: string; rpcUrl?: string }) => {
      await payLocalInvoice(
        {
          invoiceId,
          apiKey: opts.apiKey,
          apiUrl: opts.apiUrl ?? `http://localhost:${io.env.LOCAL_API_PORT ?? DEV_API_PORT}`,
          rpcUrl: opts.rpcUrl ?? `http://127.0.0.1:${io.env.LOCAL_RPC_PORT ?? 8545}`,
        },
        io.out,
      );
    });

  sub(program, "migrate", "apply pending database migrations (each once, in order)").action(async (_opts, command: Command) => {
    await admin.runMigrate(io, await config(command));
  });

  const merchant = sub(program, "merchant", "manage merchants");
  sub(merchant, "create", "create a merchant and its invoice signing key")
    .requiredOption("--name <name>", "display name")
    .option("--address <chain:address>", "a chain the merchant sells on and its payout address (repeatable)", collect, [])
    .option("--chain <name>", "a chain where the generated signing key itself is the merchant (repeatable)", collect, [])
    .action(async (opts: { name: string; address: string[]; chain: string[] }, command: Command) => {
      await admin.createMerchant(io, await config(command), { name: opts.name, addresses: opts.address, chains: opts.chain });
    });

  const apikey = sub(program, "apikey", "manage merchants' API keys");
  sub(apikey, "create", "create an API key (printed once)")
    .requiredOption("--merchant <id>", "merchant id (mer_…)")
    .option("--description <text>", "what the key is for")
    .option("--test", "issue an sk_test_ key instead of sk_live_")
    .action(async (opts: { merchant: string; description?: string; test?: boolean }, command: Command) => {
      await admin.createApiKey(io, await config(command), opts);
    });
  sub(apikey, "revoke", "revoke an API key")
    .argument("<id>", "API key id (key_…)")
    .requiredOption("--merchant <id>", "merchant the key belongs to")
    .action(async (id: string, opts: { merchant: string }, command: Command) => {
      await admin.revokeApiKey(io, await config(command), { id, merchant: opts.merchant });
    });

  const webhook = sub(program, "webhook", "manage webhook endpoints");
  sub(webhook, "add", "add a webhook endpoint (its signing secret is printed once)")
    .requiredOption("--merchant <id>", "merchant id")
    .requiredOption("--url <url>", "https URL that receives events")
    .option("--description <text>", "what the endpoint is for")
    .option("--event <type>", "subscribe to this event type only (repeatable; default all)", collect)
    .action(async (opts: { merchant: string; url: string; description?: string; event?: string[] }, command: Command) => {
      await admin.addWebhook(io, await config(command), { merchant: opts.merchant, url: opts.url, ...(opts.description ? { description: opts.description } : {}), ...(opts.event ? { events: opts.event } : {}) });
    });
  sub(webhook, "test", "queue an endpoint.test event to an endpoint")
    .argument("<endpoint>", "endpoint id (ep_…)")
    .action(async (endpoint: string, _opts, command: Command) => admin.testWebhook(io, await config(command), endpoint));
  sub(webhook, "rotate", "issue a new signing secret; the old one keeps signing during a grace period")
    .argument("<endpoint>", "endpoint id (ep_…)")
    .option("--grace-hours <hours>", "how long the previous secret keeps signing (default 24)", integer)
    .action(async (endpoint: string, opts: { graceHours?: number }, command: Command) => admin.rotateWebhook(io, await config(command), endpoint, opts.graceHours));

  const deliveries = sub(program, "deliveries", "inspect and resend webhook deliveries");
  sub(deliveries, "list", "list an endpoint's deliveries, newest first")
    .requiredOption("--endpoint <id>", "endpoint id")
    .addOption(new Option("--status <status>", "only this status").choices(["pending", "delivering", "succeeded", "failed", "dead"]))
    .option("--limit <n>", "at most this many (default 50, max 100)", integer)
    .action(async (opts: { endpoint: string; status?: string; limit?: number }, command: Command) => admin.listDeliveries(io, await config(command), opts));
  sub(deliveries, "redeliver", "send one delivery again, or every failed one of an endpoint since a time")
    .argument("[id]", "delivery id (dlv_…)")
    .option("--endpoint <id>", "with --failed-since: the endpoint whose failed deliveries to resend")
    .option("--failed-since <iso>", "with --endpoint: resend failed and dead deliveries created since this time")
    .action(async (id: string | undefined, opts: { endpoint?: string; failedSince?: string }, command: Command) => {
      const loaded = await config(command);
      if (id && !opts.endpoint && !opts.failedSince) return admin.redeliverOne(io, loaded, id);
      if (!id && opts.endpoint && opts.failedSince) return admin.redeliverFailed(io, loaded, { endpoint: opts.endpoint, failedSince: opts.failedSince });
      command.error("error: give either a delivery id, or --endpoint <id> with --failed-since <iso>", { exitCode: 1 });
    });

  const escrow = sub(program, "escrow", "inspect escrows");
  sub(escrow, "show", "print an escrow as the relayer has ingested it")
    .argument("<chain>", "configured chain name")
    .argument("<id>", "escrow id (the invoice id, 0x…)")
    .action(async (chain: string, id: string, _opts, command: Command) => admin.showEscrow(io, await config(command), chain, id));

  return program;
}

/** Runs until a stop signal, then stops the relayer and lets its loops finish their work. */
async function serve(io: CliIo, hooks: CliHooks, running: RunningRelayer): Promise<void> {
  const signal = await hooks.untilStopped();
  io.err(`Received ${signal}; stopping (finishing work in progress)…`);
  await running.stop();
}

function printDemo(io: CliIo, running: RunningRelayer, demo: DemoSetup, local: { token: string; rpcUrl: string; chainTime: number }): void {
  const { token, rpcUrl } = local;
  // payBy on the chain's clock: the walkthrough moved it weeks ahead of the wall clock that expiresIn counts from.
  const payBy = local.chainTime + 7 * 86_400;
  const rpc = (method: string, params: string) => `curl -s ${rpcUrl} -H 'content-type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"${method}","params":${params}}'`;
  const body = JSON.stringify({ chain: "local", token, amount: "10000000", payBy, holdPeriod: 60, timeoutAction: "release", merchantReference: "order-1" });
  io.out(`Demo merchant ${demo.merchantId} with API key ${demo.apiKey}`);
  io.out(`Webhooks go to the bundled receiver at ${demo.receiver.url} (endpoint ${demo.endpointId}); it verifies each signature and prints "webhook <type> <id> <data>" here.`);
  io.out(`
Try next:
  1. Create an invoice (10 USDT, held 60 s, then released by timeout):
     curl -s -X POST ${running.url}/v1/invoices -H 'authorization: Bearer ${demo.apiKey}' -H 'content-type: application/json' -d '${body}'
  2. Pay it from the local payer (account #2), in another terminal:
     npm run relayer -- pay-local <id from step 1> --api-key ${demo.apiKey} --api-url ${running.url} --rpc-url ${rpcUrl}
  3. Watch this terminal: "webhook invoice.paid …" arrives.
  4. Let the hold period pass on the chain (Hardhat's clock moves only with blocks):
     ${rpc("evm_increaseTime", "[61]")}; ${rpc("evm_mine", "[]")}
     The relayer sends the timeout itself and "webhook escrow.timeout_executed …" follows.
  API reference: ${running.url}/v1/openapi.json   health: ${running.url}/readyz   metrics: ${running.url}/metrics`);
}

export async function runCli(argv: string[], io: CliIo, hooks: CliHooks): Promise<number> {
  const program = buildProgram(io, hooks);
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    return reportError(io, error);
  }
}
