/**
 * TRON deployment: `npm run tron:deploy -- --network nile|shasta|mainnet [--dry-run]`.
 *
 * Deploys EscrowVault, then the AcceptorDesk that follows it, with tronweb from the tronbox build (`npm run tron:compile`), or from Hardhat's
 * artifact when there is no tronbox build (same compiler and settings, same runtime code), waits for
 * the transaction to be confirmed, reads the vault's TIP-712 domain back, allowlists ALLOWED_TOKENS
 * and records everything in deployments/tron-<network>.json.
 *
 * Environment (the same names as the EVM deploy script; TRON addresses in base58, 41-hex or 0x form):
 *   TRON_PRIVATE_KEY    deployer key, 64 hex digits (required)
 *   VAULT_OWNER         receives the owner powers. Default: the deployer
 *   FEE_RECIPIENT       receives protocol fees. Default: the owner
 *   FEE_BPS             protocol fee in basis points, at most 500. Default: 0
 *   ALLOWED_TOKENS      comma-separated tokens to allowlist (only when the owner is the deployer). Default: none
 *   TRON_FEE_LIMIT_SUN  most sun a transaction may burn for energy. Default: tronbox.js (1000 TRX)
 *   TRONGRID_API_KEY    TronGrid API key, sent as TRON-PRO-API-KEY (advisable on mainnet). Default: none
 *
 * `--dry-run` checks the key, artifact and arguments and builds and signs the deployment offline
 * (with a placeholder reference block) without contacting the node.
 *
 * The helpers below (building, sending and confirming calls) are also used by nile-smoke.js and the tests.
 */
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { Interface } = require("ethers");
const { TronWeb } = require("tronweb");
const tronbox = require("../../tronbox.js");
const { toBase58, toEvmAddress, toTronHex } = require("./addresses.js");

const ROOT = path.resolve(__dirname, "..", "..");
/** The most energy the deployer pays for a caller when userFeePercentage < 100; ours is 100, so unused. */
const ORIGIN_ENERGY_LIMIT = 10_000_000;
/** Callers pay 100% of the energy of their calls. */
const USER_FEE_PERCENTAGE = 100;
const MAX_FEE_BPS = 500;
const CONFIRM_TIMEOUT_MS = 180_000;
const POLL_INTERVAL_MS = 3_000;
/** TIP-712 chain ids (`block.chainid & 0xffffffff`) of the public TRON networks. */
const TIP712_CHAIN_IDS = { mainnet: 728126428n, shasta: 2494104990n, nile: 3448148188n };
/** Placeholder reference block for --dry-run: a transaction built on it is never valid on a real chain. */
const DRY_RUN_BLOCK_HEADER = {
  ref_block_bytes: "0000",
  ref_block_hash: "0000000000000000",
  expiration: Date.UTC(2030, 0, 1) + 60_000,
  timestamp: Date.UTC(2030, 0, 1),
};

/** Parses `--network <name>` (or `--network=<name>`) and `--dry-run`. */
function parseArgs(argv) {
  const options = { network: undefined, dryRun: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--dry-run") options.dryRun = true;
    else if (arg === "--network") options.network = argv[++i];
    else if (arg.startsWith("--network=")) options.network = arg.slice("--network=".length);
    else throw new Error(`Unknown argument "${arg}". Usage: npm run tron:deploy -- --network <${Object.keys(tronbox.networks).join("|")}> [--dry-run]`);
  }
  if (!options.network || !tronbox.networks[options.network]) {
    throw new Error(`Choose a network: npm run tron:deploy -- --network <${Object.keys(tronbox.networks).join("|")}>`);
  }
  return options;
}

/** The private key from TRON_PRIVATE_KEY without 0x, or an error that says how to set it. */
function privateKeyFromEnv(env) {
  const key = (env.TRON_PRIVATE_KEY ?? "").trim().replace(/^0x/, "");
  if (!key) {
    throw new Error("TRON_PRIVATE_KEY is not set. Export the deployer's private key (64 hex digits), e.g. from a .env file that git ignores.");
  }
  if (!/^[0-9a-fA-F]{64}$/.test(key)) throw new Error("TRON_PRIVATE_KEY must be 64 hex digits (an optional 0x prefix is ignored).");
  return key;
}

/** The compiled contract: the tronbox build if present, else Hardhat's artifact. */
function loadArtifact(name, sourceDir = "") {
  const tronboxFile = path.join(ROOT, tronbox.contracts_build_directory, `${name}.json`);
  const hardhatFile = path.join(ROOT, "artifacts", "contracts", sourceDir, `${name}.sol`, `${name}.json`);
  for (const file of [tronboxFile, hardhatFile]) {
    if (!fs.existsSync(file)) continue;
    const { abi, bytecode } = JSON.parse(fs.readFileSync(file, "utf8"));
    return { name, abi, bytecode, file: path.relative(ROOT, file) };
  }
  throw new Error(`No build of ${name}: run \`npm run tron:compile\` (or \`npx hardhat compile\`) first.`);
}

/** Constructor arguments and tokens from the environment, validated, addresses in base58. */
function deployOptionsFromEnv(env, deployer) {
  const owner = toBase58(env.VAULT_OWNER || deployer);
  const feeRecipient = toBase58(env.FEE_RECIPIENT || owner);
  const feeBps = Number(env.FEE_BPS ?? 0);
  if (!Number.isInteger(feeBps) || feeBps < 0 || feeBps > MAX_FEE_BPS) {
    throw new Error(`FEE_BPS must be an integer from 0 to ${MAX_FEE_BPS}, got "${env.FEE_BPS}".`);
  }
  const allowedTokens = (env.ALLOWED_TOKENS ?? "")
    .split(",")
    .map((token) => token.trim())
    .filter(Boolean)
    .map(toBase58);
  return { owner, feeRecipient, feeBps, allowedTokens };
}

/** A TronWeb for `network` from tronbox.js, signing with `privateKey` when given. */
function connect(network, privateKey, env = process.env) {
  const { fullHost } = tronbox.networks[network];
  const headers = env.TRONGRID_API_KEY ? { "TRON-PRO-API-KEY": env.TRONGRID_API_KEY } : undefined;
  return new TronWeb({ fullHost, headers, ...(privateKey ? { privateKey } : {}) });
}

/**
 * Builds (does not sign) the CreateSmartContract transaction of `artifact` with constructor `args`.
 * Addresses in `args` may be in any form; the ABI encoding is ethers', so it matches the EVM scripts.
 * `blockHeader` builds offline; without it tronweb asks the node for the reference block.
 */
async function buildDeployTransaction(tronWeb, { artifact, deployer, args, feeLimit, blockHeader }) {
  const iface = new Interface(artifact.abi);
  const evmArgs = iface.deploy.inputs.map((input, i) => (input.type === "address" ? toEvmAddress(args[i]) : args[i]));
  const rawParameter = iface.encodeDeploy(evmArgs);
  return tronWeb.transactionBuilder.createSmartContract(
    {
      abi: artifact.abi,
      bytecode: artifact.bytecode,
      rawParameter,
      feeLimit,
      callValue: 0,
      userFeePercentage: USER_FEE_PERCENTAGE,
      originEnergyLimit: ORIGIN_ENERGY_LIMIT,
      name: artifact.name,
      ...(blockHeader ? { blockHeader } : {}),
    },
    toTronHex(deployer),
  );
}

/**
 * Builds (does not sign) a TriggerSmartContract transaction calling `method` of `contract` with
 * `args` (ethers' ABI encoding; addresses inside must be 0x). Returns tronweb's transaction.
 */
async function buildContractCall(tronWeb, { contract, abi, method, args, feeLimit, from, blockHeader }) {
  const iface = new Interface(abi);
  const fragment = iface.getFunction(method);
  if (!fragment) throw new Error(`${method} is not in the ABI`);
  const data = iface.encodeFunctionData(fragment, args);
  const { transaction } = await tronWeb.transactionBuilder.triggerSmartContract(
    toTronHex(contract),
    fragment.format("sighash"),
    { feeLimit, rawParameter: data.slice(10), ...(blockHeader ? { txLocal: true, blockHeader } : {}) },
    [],
    toTronHex(from),
  );
  return transaction;
}

/** Calls a view function through the node (no transaction) and decodes the result with ethers. */
async function callView(tronWeb, { contract, abi, method, args = [], from }) {
  const iface = new Interface(abi);
  const fragment = iface.getFunction(method);
  const data = iface.encodeFunctionData(fragment, args);
  const result = await tronWeb.transactionBuilder.triggerConstantContract(
    toTronHex(contract),
    fragment.format("sighash"),
    { rawParameter: data.slice(10) },
    [],
    toTronHex(from),
  );
  if (!result.result?.result) throw new Error(`${method} failed: ${decodeMessage(result.result?.message)}`);
  return iface.decodeFunctionResult(fragment, `0x${result.constant_result[0]}`);
}

function decodeMessage(message) {
  if (!message) return "no message";
  return /^[0-9a-fA-F]+$/.test(message) ? Buffer.from(message, "hex").toString("utf8") : message;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the solidified transaction info until it appears; throws when the call failed or on timeout. */
async function waitForConfirmation(tronWeb, txId, what, log = console.log) {
  const started = Date.now();
  let lastReport = 0;
  while (Date.now() - started < CONFIRM_TIMEOUT_MS) {
    const info = await tronWeb.trx.getTransactionInfo(txId);
    if (info && info.id) {
      if (info.result === "FAILED" || (info.receipt?.result && info.receipt.result !== "SUCCESS")) {
        throw new Error(
          `${what} failed on chain (tx ${txId}): ${info.receipt?.result ?? info.result} ${decodeMessage(info.resMessage)}. ` +
            "OUT_OF_ENERGY means the fee limit was too low (raise TRON_FEE_LIMIT_SUN); REVERT carries the contract's error.",
        );
      }
      return info;
    }
    const waited = Math.round((Date.now() - started) / 1000);
    if (waited - lastReport >= 15) {
      log(`      …waiting for ${what} to be confirmed (${waited} s; TRON solidifies after about a minute)`);
      lastReport = waited;
    }
    await sleep(POLL_INTERVAL_MS);
  }
  throw new Error(`${what} (tx ${txId}) was not confirmed within ${CONFIRM_TIMEOUT_MS / 1000} s; look it up on the explorer before retrying.`);
}

/** Signs, broadcasts and waits for `transaction`; returns the confirmed transaction info. */
async function sendAndConfirm(tronWeb, transaction, privateKey, what, log = console.log) {
  const signed = await tronWeb.trx.sign(transaction, privateKey);
  const sent = await tronWeb.trx.sendRawTransaction(signed);
  if (!sent.result) throw new Error(`${what} was rejected by the node: ${sent.code ?? ""} ${decodeMessage(sent.message)}`);
  log(`      ${what}: tx ${signed.txID} broadcast`);
  const info = await waitForConfirmation(tronWeb, signed.txID, what, log);
  log(`      ${what}: confirmed in block ${info.blockNumber}, ${info.receipt?.energy_usage_total ?? 0} energy, fee ${(info.fee ?? 0) / 1e6} TRX`);
  return info;
}

/** Writes a deployment record as pretty JSON, creating the directory. */
function writeDeployment(file, record) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
}

async function main() {
  const { network, dryRun } = parseArgs(process.argv.slice(2));
  const privateKey = privateKeyFromEnv(process.env);
  const { feeLimit } = tronbox.networks[network];
  const tronWeb = connect(network, privateKey);
  const deployer = tronWeb.address.fromPrivateKey(privateKey);
  const options = deployOptionsFromEnv(process.env, deployer);
  const artifact = loadArtifact("EscrowVault");
  const args = [options.owner, options.feeRecipient, options.feeBps];
  const steps = dryRun ? 2 : 5;

  console.log(`[1/${steps}] EscrowVault on TRON ${network} from ${deployer} (build: ${artifact.file})`);
  console.log(`      owner ${options.owner}, fee recipient ${options.feeRecipient}, fee ${options.feeBps} bps, fee limit ${feeLimit / 1e6} TRX`);

  if (dryRun) {
    const transaction = await buildDeployTransaction(tronWeb, { artifact, deployer, args, feeLimit, blockHeader: DRY_RUN_BLOCK_HEADER });
    const signed = await tronWeb.trx.sign(transaction, privateKey);
    console.log(`[2/${steps}] Dry run: built and signed offline, ${signed.raw_data_hex.length / 2} bytes of raw data; nothing was sent.`);
    return;
  }

  console.log(`[2/${steps}] Checking the deployer's account on ${tronbox.networks[network].fullHost}…`);
  const balanceSun = await tronWeb.trx.getBalance(deployer);
  const resources = await tronWeb.trx.getAccountResources(deployer);
  const energy = (resources.EnergyLimit ?? 0) - (resources.EnergyUsed ?? 0);
  const energyFee = (await tronWeb.trx.getChainParameters()).find((p) => p.key === "getEnergyFee")?.value;
  console.log(`      balance ${balanceSun / 1e6} TRX, ${energy} staked energy, energy price ${energyFee ?? "?"} sun`);
  if (balanceSun === 0) throw new Error(`${deployer} holds no TRX on ${network}: fund it first (testnets: see docs/tron.md for faucets).`);

  console.log(`[3/${steps}] Deploying…`);
  const transaction = await buildDeployTransaction(tronWeb, { artifact, deployer, args, feeLimit });
  const address = toBase58(transaction.contract_address);
  console.log(`      the vault will be at ${address}`);
  const info = await sendAndConfirm(tronWeb, transaction, privateKey, "EscrowVault deployment");

  console.log(`[4/${steps}] Reading the vault back…`);
  const domain = await callView(tronWeb, { contract: address, abi: artifact.abi, method: "eip712Domain", from: deployer });
  const chainId = domain.chainId;
  const expected = TIP712_CHAIN_IDS[network];
  console.log(`      TIP-712 domain "${domain.name}" v${domain.version}, chain id ${chainId}, verifying contract ${toBase58(domain.verifyingContract)}`);
  if (expected !== undefined && chainId !== expected) {
    console.warn(`      WARNING: expected chain id ${expected} on ${network}; wallets will sign for ${chainId}.`);
  }
  // The vault's constructor creates the deposit router and reads TRON's CREATE2 prefix (0x41) off a probe.
  const [depositRouter] = await callView(tronWeb, { contract: address, abi: artifact.abi, method: "depositRouter", from: deployer });
  const [create2Prefix] = await callView(tronWeb, { contract: address, abi: artifact.abi, method: "create2Prefix", from: deployer });
  console.log(`      deposit router ${toBase58(depositRouter)}, CREATE2 prefix ${create2Prefix}`);
  if (create2Prefix !== "0x41") {
    console.warn(`      WARNING: expected CREATE2 prefix 0x41 on TRON, the vault detected ${create2Prefix}; deposit addresses follow the vault.`);
  }

  // The acceptor desk (P2P orders) follows the vault's allowlist, deposit pause and invoice signers.
  const deskArtifact = loadArtifact("AcceptorDesk");
  const deskTransaction = await buildDeployTransaction(tronWeb, { artifact: deskArtifact, deployer, args: [address], feeLimit });
  const deskAddress = toBase58(deskTransaction.contract_address);
  const deskInfo = await sendAndConfirm(tronWeb, deskTransaction, privateKey, "AcceptorDesk deployment");
  console.log(`      acceptor desk ${deskAddress}`);

  const allowedTokens = [];
  if (options.allowedTokens.length > 0) {
    console.log(`[5/${steps}] Allowlisting ${options.allowedTokens.length} token(s)…`);
    if (options.owner !== toBase58(deployer)) {
      console.warn(`      Skipped: the owner ${options.owner} is not the deployer; the owner must call setTokenAllowed.`);
    } else {
      for (const token of options.allowedTokens) {
        const call = await buildContractCall(tronWeb, {
          contract: address,
          abi: artifact.abi,
          method: "setTokenAllowed",
          args: [toEvmAddress(token), true],
          feeLimit,
          from: deployer,
        });
        await sendAndConfirm(tronWeb, call, privateKey, `setTokenAllowed(${token})`);
        allowedTokens.push(token);
      }
    }
  } else {
    console.log(`[5/${steps}] No ALLOWED_TOKENS: the owner allowlists tokens later with setTokenAllowed.`);
  }

  const record = {
    network: `tron-${network}`,
    chainId: Number(chainId),
    deployer,
    deployedAt: new Date().toISOString(),
    contracts: {
      EscrowVault: {
        address,
        addressHex: toTronHex(address),
        evmAddress: toEvmAddress(address),
        blockNumber: info.blockNumber,
        transactionHash: info.id,
        constructorArgs: args,
        energyUsed: info.receipt?.energy_usage_total ?? 0,
        feeSun: info.fee ?? 0,
        build: artifact.file,
      },
      // Created by the vault's constructor, in the same transaction.
      DepositRouter: {
        address: toBase58(depositRouter),
        addressHex: toTronHex(toBase58(depositRouter)),
        evmAddress: toEvmAddress(toBase58(depositRouter)),
        blockNumber: info.blockNumber,
        transactionHash: info.id,
        constructorArgs: [],
        createdBy: "EscrowVault",
      },
      AcceptorDesk: {
        address: deskAddress,
        addressHex: toTronHex(deskAddress),
        evmAddress: toEvmAddress(deskAddress),
        blockNumber: deskInfo.blockNumber,
        transactionHash: deskInfo.id,
        constructorArgs: [address],
        energyUsed: deskInfo.receipt?.energy_usage_total ?? 0,
        feeSun: deskInfo.fee ?? 0,
        build: deskArtifact.file,
      },
    },
    create2Prefix,
    allowedTokens,
  };
  const file = path.join(process.env.DEPLOYMENTS_DIR ?? path.join(ROOT, "deployments"), `tron-${network}.json`);
  writeDeployment(file, record);
  console.log(`Recorded the deployment in ${path.relative(ROOT, file)}`);
}

module.exports = {
  TIP712_CHAIN_IDS,
  parseArgs,
  privateKeyFromEnv,
  loadArtifact,
  deployOptionsFromEnv,
  connect,
  buildDeployTransaction,
  buildContractCall,
  callView,
  waitForConfirmation,
  sendAndConfirm,
  writeDeployment,
};

if (require.main === module) {
  main().catch((error) => {
    console.error(`tron:deploy failed: ${error.message}`);
    process.exitCode = 1;
  });
}
