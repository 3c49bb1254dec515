/**
 * `npm start`: the whole local stack on embedded defaults.
 *
 * Starts a Hardhat node on 127.0.0.1 (LOCAL_RPC_PORT, default 8545), deploys the vault and a
 * USDT-like test token with a 1% fee, walks through a payment released by the payer, one refunded by
 * the merchant, one disputed and resolved, and one closed by its timeout, printing each step; then
 * keeps the chain running until Ctrl-C. START_EXIT_AFTER_DEMO=1 stops after the walkthrough (tests).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { JsonRpcProvider } from "ethers";
import { deployVault, writeDeployment } from "./lib/deploy-vault";
import { runDemo } from "./lib/demo";

const HOST = "127.0.0.1";
const PORT = Number(process.env.LOCAL_RPC_PORT ?? 8545);
const NODE_START_TIMEOUT_MS = 60_000;
const DEMO_FEE_BPS = 100;

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
  const stop = () => {
    if (node.exitCode === null) node.kill("SIGTERM");
  };
  process.on("SIGINT", () => {
    console.log("\nStopping the local stack…");
    stop();
    process.exit(0);
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
Try next: npm run bench:gas, or point a wallet at ${url}. Ctrl-C stops everything.`);

  if (process.env.START_EXIT_AFTER_DEMO === "1") {
    stop();
    return;
  }
  await new Promise<void>((resolve) => node.on("exit", () => resolve()));
}

main().catch((error: Error) => {
  console.error(`npm start failed: ${error.message}`);
  process.exitCode = 1;
  process.exit(1);
});
