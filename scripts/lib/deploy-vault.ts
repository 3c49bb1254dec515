import { writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ContractTransactionResponse, Signer } from "ethers";
import { AcceptorDesk__factory, EscrowVault__factory, TestToken__factory } from "../../typechain-types";

/** What a deployment needs besides the deployer; every field has a default for local networks. */
export interface VaultDeployOptions {
  /** Receives the owner powers. Default: the deployer. */
  owner?: string;
  /** Receives protocol fees. Default: the owner. */
  feeRecipient?: string;
  /** Protocol fee in basis points, at most 500. Default: 0. */
  feeBps?: number;
  /** Tokens to allowlist right after deployment. Default: none. */
  allowedTokens?: string[];
  /** Also deploy a 6-decimal USDT-like test token and allowlist it (local and test networks). */
  deployTestToken?: boolean;
}

export interface DeployedContract {
  address: string;
  blockNumber: number;
  transactionHash: string;
  constructorArgs: unknown[];
}

export interface DeploymentRecord {
  network: string;
  chainId: number;
  deployer: string;
  deployedAt: string;
  contracts: Record<string, DeployedContract>;
  allowedTokens: string[];
  /** The vault's CREATE2 prefix (0xff on EVM chains, 0x41 on TRON): what deposit addresses are derived with. */
  create2Prefix?: string;
}

type Log = (message: string) => void;

async function confirmed(tx: ContractTransactionResponse | null, what: string) {
  if (!tx) throw new Error(`${what}: the deployment transaction is missing`);
  const receipt = await tx.wait();
  if (!receipt) throw new Error(`${what}: no receipt for ${tx.hash}`);
  return receipt;
}

/**
 * Deploys the vault (which creates its deposit router), the acceptor desk next to it (optionally a test token), allowlists tokens and returns the record that
 * `deployments/<network>.json` holds. Each step is logged as it happens.
 */
export async function deployVault(
  deployer: Signer,
  network: string,
  options: VaultDeployOptions,
  log: Log = console.log,
): Promise<DeploymentRecord> {
  const deployerAddress = await deployer.getAddress();
  const { chainId } = await deployer.provider!.getNetwork();
  const owner = options.owner ?? deployerAddress;
  const feeRecipient = options.feeRecipient ?? owner;
  const feeBps = options.feeBps ?? 0;
  const record: DeploymentRecord = {
    network,
    chainId: Number(chainId),
    deployer: deployerAddress,
    deployedAt: new Date().toISOString(),
    contracts: {},
    allowedTokens: [],
  };

  log(`[1/3] Deploying EscrowVault on ${network} (chain ${chainId}) from ${deployerAddress}…`);
  const vaultArgs = [deployerAddress, feeRecipient, feeBps] as const;
  const vault = await new EscrowVault__factory(deployer).deploy(...vaultArgs);
  const vaultReceipt = await confirmed(vault.deploymentTransaction(), "EscrowVault");
  const vaultAddress = await vault.getAddress();
  record.contracts.EscrowVault = {
    address: vaultAddress,
    blockNumber: vaultReceipt.blockNumber,
    transactionHash: vaultReceipt.hash,
    constructorArgs: [...vaultArgs],
  };
  log(`      EscrowVault at ${vaultAddress} (block ${vaultReceipt.blockNumber}, tx ${vaultReceipt.hash})`);
  // The vault's constructor creates the deposit router (scan-to-pay refunds and recoveries) in the same
  // transaction, and reads the chain's CREATE2 prefix off a probe deployment.
  const depositRouter = await vault.depositRouter();
  record.contracts.DepositRouter = {
    address: depositRouter,
    blockNumber: vaultReceipt.blockNumber,
    transactionHash: vaultReceipt.hash,
    constructorArgs: [],
  };
  record.create2Prefix = await vault.create2Prefix();
  log(`      DepositRouter at ${depositRouter} (created by the vault), CREATE2 prefix ${record.create2Prefix}`);
  // The acceptor desk (P2P orders) follows the vault's allowlist, deposit pause and invoice signers.
  const desk = await new AcceptorDesk__factory(deployer).deploy(vaultAddress);
  const deskReceipt = await confirmed(desk.deploymentTransaction(), "AcceptorDesk");
  const deskAddress = await desk.getAddress();
  record.contracts.AcceptorDesk = {
    address: deskAddress,
    blockNumber: deskReceipt.blockNumber,
    transactionHash: deskReceipt.hash,
    constructorArgs: [vaultAddress],
  };
  log(`      AcceptorDesk at ${deskAddress} (block ${deskReceipt.blockNumber}), following the vault`);

  const tokens = [...(options.allowedTokens ?? [])];
  if (options.deployTestToken) {
    log("[2/3] Deploying a 6-decimal USDT-like test token…");
    const tokenArgs = ["Test Tether USD", "USDT", 6] as const;
    const token = await new TestToken__factory(deployer).deploy(...tokenArgs);
    const tokenReceipt = await confirmed(token.deploymentTransaction(), "TestToken");
    const tokenAddress = await token.getAddress();
    record.contracts.TestToken = {
      address: tokenAddress,
      blockNumber: tokenReceipt.blockNumber,
      transactionHash: tokenReceipt.hash,
      constructorArgs: [...tokenArgs],
    };
    tokens.push(tokenAddress);
    log(`      TestToken at ${tokenAddress}`);
  } else {
    log("[2/3] No test token (set DEPLOY_TEST_TOKEN=1 to deploy one).");
  }

  log(`[3/3] Allowlisting ${tokens.length} token(s)${owner !== deployerAddress ? " and handing ownership over" : ""}…`);
  for (const token of tokens) {
    await (await vault.setTokenAllowed(token, true)).wait();
    record.allowedTokens.push(token);
    log(`      allowed ${token}`);
  }
  if (owner !== deployerAddress) {
    // Two-step transfer: the new owner must call acceptOwnership() from its own key.
    await (await vault.transferOwnership(owner)).wait();
    log(`      ownership offered to ${owner}; it must call acceptOwnership()`);
  }
  return record;
}

/** Writes the record where the relayer and the docs expect it. */
export function writeDeployment(path: string, record: DeploymentRecord): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(record, null, 2) + "\n");
}

/** Reads deploy options from the environment, with errors that say what to fix. */
export function optionsFromEnv(env: NodeJS.ProcessEnv, localNetwork: boolean): VaultDeployOptions {
  const address = (name: string): string | undefined => {
    const value = env[name];
    if (value === undefined || value === "") return undefined;
    if (!/^0x[0-9a-fA-F]{40}$/.test(value)) throw new Error(`${name} must be a 0x-prefixed 20-byte hex address, got "${value}"`);
    return value;
  };
  let feeBps: number | undefined;
  if (env.FEE_BPS !== undefined && env.FEE_BPS !== "") {
    feeBps = Number(env.FEE_BPS);
    if (!Number.isInteger(feeBps) || feeBps < 0 || feeBps > 500) {
      throw new Error(`FEE_BPS must be an integer from 0 to 500 (basis points; 100 = 1%), got "${env.FEE_BPS}"`);
    }
  }
  const allowedTokens = (env.ALLOWED_TOKENS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((token, i) => {
      if (!/^0x[0-9a-fA-F]{40}$/.test(token)) throw new Error(`ALLOWED_TOKENS entry ${i + 1} is not an address: "${token}"`);
      return token;
    });
  return {
    owner: address("VAULT_OWNER"),
    feeRecipient: address("FEE_RECIPIENT"),
    feeBps,
    allowedTokens,
    deployTestToken: env.DEPLOY_TEST_TOKEN ? env.DEPLOY_TEST_TOKEN === "1" : localNetwork,
  };
}
