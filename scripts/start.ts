/**
 * `npm start`: the whole local stack on embedded defaults.
 *
 * Starts a Hardhat node on 127.0.0.1 (LOCAL_RPC_PORT, default 8545), deploys the vault and a
 * USDT-like test token with a 1% fee, walks through a payment released by the payer, one refunded by
 * the merchant, one disputed and resolved, and one closed by its timeout, printing each step. Then it
 * starts the relayer (`relayer dev --demo`: embedded PGlite in .relayer-data/local, the API on
 * http://localhost:8080 or LOCAL_API_PORT, a demo merchant and API key, and a bundled receiver that
 * verifies and prints each webhook) and keeps everything running until Ctrl-C.
 * START_EXIT_AFTER_DEMO=1 stops once the relayer is up and its first webhook was verified (tests).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { JsonRpcProvider } from "ethers";
import { deployVault, writeDeployment } from "./lib/deploy-vault";
import { runDemo } from "./lib/demo";

const HOST = "127.0.0.1";
const PORT = Number(process.env.LOCAL_RPC_PORT ?? 8545);
const NODE_START_TIMEOUT_MS = 60_000;
const DEMO_FEE_BPS = 100;
const RELAYER_START_TIMEOUT_MS = 90_000;
const FIRST_WEBHOOK_TIMEOUT_MS = 30_000;
const RELAYER_STOP_TIMEOUT_MS = 15_000;
const ROOT = join(__dirname, "..");

/** True when a JSON-RPC server answers at `url`. */
async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}',
    });
    return response.status > 0;
  } catch {
    return false;
  }
}

async function waitForNode(url: string, node: ChildProcess): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < NODE_START_TIMEOUT_MS) {
    if (node.exitCode !== null) {
      throw new Error(`the Hardhat node exited with code ${node.exitCode}; if port ${PORT} is taken, set LOCAL_RPC_PORT to a free one`);
    }
    if (await answers(url)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the Hardhat node did not answer on ${url} within ${NODE_START_TIMEOUT_MS / 1000} s`);
}

/** Starts `relayer dev --demo` and echoes its output; resolves once its API is up. */
function startRelayer(url: string, deploymentPath: string): { child: ChildProcess; ready: Promise<void>; firstWebhook: Promise<void> } {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "relayer", "src", "cli.ts"), "dev", "--demo", "--fresh", "--rpc-url", url, "--deployment", deploymentPath], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    env: process.env,
  });
  const exited = new Promise<never>((_resolve, reject) =>
    child.on("exit", (code) => reject(new Error(`the relayer exited with code ${code}; its error is printed above`))),
  );
  const lines = createInterface({ input: child.stdout! });
  const seen = (pattern: RegExp, timeoutMs: number, what: string) =>
    Promise.race([
      new Promise<void>((resolve) => lines.on("line", (line) => pattern.test(line) && resolve())),
      exited,
      new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error(`${what} within ${timeoutMs / 1000} s`)), timeoutMs).unref()),
    ]);
  lines.on("line", (line) => console.log(line));
  const ready = seen(/^Relayer API on /, RELAYER_START_TIMEOUT_MS, "the relayer did not start");
  const firstWebhook = seen(/^webhook endpoint\.test /, FIRST_WEBHOOK_TIMEOUT_MS, "the demo receiver got no verified webhook");
  // Either may never be awaited (Ctrl-C first); an unobserved rejection must not end the process.
  ready.catch(() => undefined);
  firstWebhook.catch(() => undefined);
  return { child, ready, firstWebhook };
}

/** SIGTERM, then wait for the relayer to finish its work in progress (bounded). */
async function stopRelayer(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, RELAYER_STOP_TIMEOUT_MS).unref())]);
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

async function main(): Promise<void> {
  const url = `http://${HOST}:${PORT}`;
  if (await answers(url)) {
    throw new Error(`something already answers on ${url}: stop it, or set LOCAL_RPC_PORT to a free port`);
  }
  console.log(`Starting a local Hardhat node on ${url}…`);
  const node = spawn(process.execPath, [require.resolve("hardhat/internal/cli/cli"), "node", "--hostname", HOST, "--port", String(PORT)], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, HARDHAT_CHAIN_ID: process.env.HARDHAT_CHAIN_ID ?? "31337" },
  });
  // Set once the relayer starts; the signal handlers are installed before that.
  const running: { relayer?: ChildProcess } = {};
  const stop = () => {
    const relayer = running.relayer;
    if (relayer && relayer.exitCode === null && relayer.signalCode === null) relayer.kill("SIGKILL");
    if (node.exitCode === null) node.kill("SIGTERM");
  };
  process.on("SIGINT", () => {
    console.log("\nStopping the local stack…");
    void stopRelayer(running.relayer).finally(() => {
      stop();
      process.exit(0);
    });
  });
  process.on("exit", stop);

  await waitForNode(url, node);
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, pollingInterval: 200 });
  const [deployer, merchant, payer, arbiter, anyone] = await Promise.all([0, 1, 2, 3, 4].map((i) => provider.getSigner(i)));

  const record = await deployVault(deployer, "localhost", { feeBps: DEMO_FEE_BPS, deployTestToken: true });
  const deploymentPath = join(__dirname, "..", "deployments", "localhost.json");
  writeDeployment(deploymentPath, record);
  console.log(`Recorded the deployment in ${deploymentPath}\n`);

  console.log("Walkthrough: four invoices, four endings.");
  await runDemo(provider, record.contracts.EscrowVault.address, record.contracts.TestToken.address, { merchant, payer, arbiter, anyone });

  console.log(`
The local stack is up:
  chain        ${url} (chain id ${record.chainId}); Hardhat's default accounts are funded
  vault        ${record.contracts.EscrowVault.address}
  test token   ${record.contracts.TestToken.address} (6 decimals, anyone may mint)
  deployment   deployments/localhost.json
Starting the relayer on it (npm run relayer -- dev --demo)…`);

  const started = startRelayer(url, deploymentPath);
  const relayer = (running.relayer = started.child);
  await started.ready;
  if (process.env.START_EXIT_AFTER_DEMO === "1") {
    await started.firstWebhook;
    console.log("The relayer is up and its first webhook was delivered and verified.");
    await stopRelayer(relayer);
    stop();
    return;
  }
  console.log(`Also try: npm run bench:gas, or point a wallet at ${url}. Ctrl-C stops everything.`);
  await new Promise<void>((resolve) => node.on("exit", () => resolve()));
  await stopRelayer(relayer);
}

main().catch((error: Error) => {
  console.error(`npm start failed: ${error.message}`);
  process.exitCode = 1;
  process.exit(1);
});
