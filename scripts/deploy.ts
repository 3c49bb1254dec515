/**
 * EVM deployment: `npm run deploy -- --network <name>`.
 *
 * Deploys EscrowVault (and, on local networks or with DEPLOY_TEST_TOKEN=1, a USDT-like test token),
 * allowlists ALLOWED_TOKENS and records addresses, blocks, transactions and constructor arguments in
 * deployments/<network>.json. Configuration comes from the environment: VAULT_OWNER, FEE_RECIPIENT,
 * FEE_BPS, ALLOWED_TOKENS (comma-separated), DEPLOY_TEST_TOKEN, and for remote networks
 * <NETWORK>_RPC_URL and DEPLOYER_PRIVATE_KEY (see hardhat.config.ts).
 */
import { join } from "node:path";
import { ethers, network } from "hardhat";
import { deployVault, optionsFromEnv, writeDeployment } from "./lib/deploy-vault";

const LOCAL_NETWORKS = new Set(["hardhat", "localhost"]);

async function main(): Promise<void> {
  const [deployer] = await ethers.getSigners();
  if (!deployer) {
    throw new Error(`No deployer account for network "${network.name}": set DEPLOYER_PRIVATE_KEY in the environment.`);
  }
  const options = optionsFromEnv(process.env, LOCAL_NETWORKS.has(network.name));
  const record = await deployVault(deployer, network.name, options);
  const path = join(process.env.DEPLOYMENTS_DIR ?? join(__dirname, "..", "deployments"), `${network.name}.json`);
  writeDeployment(path, record);
  console.log(`Recorded the deployment in ${path}`);
}

main().catch((error: Error) => {
  console.error(`Deployment failed: ${error.message}`);
  process.exitCode = 1;
});
