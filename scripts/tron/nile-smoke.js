/**
 * `npm run tron:smoke`: a small pay-and-release run of the vault on TRON's Nile testnet.
 *
 * Skipped (exit 0, with the reason) unless TRON_PRIVATE_KEY is set. With it, the key's account is
 * the payer and pays for energy; a merchant key is generated on the spot (a merchant only signs, so it
 * needs no TRX). Steps: use NILE_VAULT or deploy a fresh vault; use NILE_USDT or deploy a TRON-USDT
 * imitation (TronUsdtMock) and mint to the payer; check the vault's TIP-712 chain id (3448148188);
 * the merchant signs an invoice with tronweb's TIP-712 signer and the vault's hashInvoice must equal
 * tronweb's hash; the payer approves and pays it; the payer signs a Release with tronweb and submits
 * releaseWithSig; the merchant must then hold the amount minus the fee.
 *
 * Environment: TRON_PRIVATE_KEY (the payer, funded with Nile TRX), NILE_VAULT (optional vault),
 * NILE_USDT (optional token; the payer must hold SMOKE_AMOUNT of it and the vault must allow it, or
 * the payer must own the vault), TRON_FEE_LIMIT_SUN, TRONGRID_API_KEY.
 */
"use strict";

const { Interface, Wallet, ZeroAddress, encodeBytes32String, hexlify, randomBytes } = require("ethers");
const { Trx, utils: tronUtils } = require("tronweb");
const tronbox = require("../../tronbox.js");
const { toBase58, toEvmAddress } = require("./addresses.js");
const {
  TIP712_CHAIN_IDS,
  buildContractCall,
  buildDeployTransaction,
  callView,
  connect,
  loadArtifact,
  privateKeyFromEnv,
  sendAndConfirm,
} = require("./deploy.js");

const NETWORK = "nile";
/** 0.001 of a 6-decimal token: small enough for any test wallet. */
const SMOKE_AMOUNT = 1_000n;
const HOLD_PERIOD_SECONDS = 3_600n;
const PAY_WITHIN_SECONDS = 3_600n;
const AUTHORIZATION_LIFETIME_SECONDS = 600n;
const USED = `0x${"00".repeat(31)}01`;
const TIMEOUT_ACTION_RELEASE = 0;

// The same EIP-712 types the TypeScript side uses (scripts/lib/vault-typed-data.ts).
const { Invoice, Release } = require("../lib/vault-types.json");
const INVOICE_TYPES = { Invoice };
const RELEASE_TYPES = { Release };

/** Decodes the vault's events from a confirmed transaction's info. */
function parseLogs(iface, info) {
  return (info.log ?? []).flatMap((log) => {
    const parsed = iface.parseLog({ topics: log.topics.map((t) => `0x${t}`), data: `0x${log.data ?? ""}` });
    return parsed ? [parsed] : [];
  });
}

async function main() {
  if (!process.env.TRON_PRIVATE_KEY) {
    console.log(
      "tron:smoke skipped: TRON_PRIVATE_KEY is not set, and the smoke run needs a funded Nile account to pay for energy.\n" +
        "To run it: get Nile TRX from https://nileex.io/join/getJoinPage, then\n" +
        "  TRON_PRIVATE_KEY=<64 hex digits> [NILE_VAULT=T…] [NILE_USDT=T…] npm run tron:smoke",
    );
    return;
  }
  const started = Date.now();
  const privateKey = privateKeyFromEnv(process.env);
  const { feeLimit } = tronbox.networks[NETWORK];
  const tronWeb = connect(NETWORK, privateKey);
  const payer = tronWeb.address.fromPrivateKey(privateKey);
  const merchantWallet = Wallet.createRandom();
  const merchantKey = merchantWallet.privateKey.slice(2);
  const merchant = toBase58(merchantWallet.address);
  const vaultArtifact = loadArtifact("EscrowVault");
  const tokenArtifact = loadArtifact("TronUsdtMock", "mocks");
  const vaultIface = new Interface(vaultArtifact.abi);
  const send = (transaction, what) => sendAndConfirm(tronWeb, transaction, privateKey, what);
  const call = (contract, abi, method, args) =>
    buildContractCall(tronWeb, { contract, abi, method, args, feeLimit, from: payer });
  const view = async (contract, abi, method, args = []) => (await callView(tronWeb, { contract, abi, method, args, from: payer }))[0];

  console.log(`[1/7] Nile smoke run: payer ${payer}, merchant ${merchant} (fresh key), fee limit ${feeLimit / 1e6} TRX`);
  console.log(`      payer balance ${(await tronWeb.trx.getBalance(payer)) / 1e6} TRX`);

  let vault = process.env.NILE_VAULT ? toBase58(process.env.NILE_VAULT) : undefined;
  if (vault) {
    console.log(`[2/7] Using the vault ${vault}`);
  } else {
    console.log("[2/7] No NILE_VAULT: deploying a fresh vault (owner: the payer, fee 0)…");
    const deployment = await buildDeployTransaction(tronWeb, { artifact: vaultArtifact, deployer: payer, args: [payer, payer, 0], feeLimit });
    vault = toBase58(deployment.contract_address);
    await send(deployment, `EscrowVault deployment at ${vault}`);
  }
  const domain = await callView(tronWeb, { contract: vault, abi: vaultArtifact.abi, method: "eip712Domain", from: payer });
  if (domain.chainId !== TIP712_CHAIN_IDS[NETWORK]) {
    throw new Error(`The vault's TIP-712 chain id is ${domain.chainId}, expected ${TIP712_CHAIN_IDS[NETWORK]} on Nile.`);
  }
  console.log(`      TIP-712 chain id ${domain.chainId} as expected`);

  let token = process.env.NILE_USDT ? toBase58(process.env.NILE_USDT) : undefined;
  if (token) {
    console.log(`[3/7] Using the token ${token}`);
  } else {
    console.log("[3/7] No NILE_USDT: deploying a TRON-USDT imitation (transfer returns false) and minting to the payer…");
    const deployment = await buildDeployTransaction(tronWeb, { artifact: tokenArtifact, deployer: payer, args: [], feeLimit });
    token = toBase58(deployment.contract_address);
    await send(deployment, `TronUsdtMock deployment at ${token}`);
    await send(await call(token, tokenArtifact.abi, "mint", [toEvmAddress(payer), SMOKE_AMOUNT]), "mint");
  }
  const payerBalance = await view(token, tokenArtifact.abi, "balanceOf", [toEvmAddress(payer)]);
  if (payerBalance < SMOKE_AMOUNT) throw new Error(`The payer holds ${payerBalance} of ${token}; it needs ${SMOKE_AMOUNT}.`);
  if (!(await view(vault, vaultArtifact.abi, "isTokenAllowed", [toEvmAddress(token)]))) {
    const owner = toBase58(await view(vault, vaultArtifact.abi, "owner"));
    if (owner !== payer) throw new Error(`${token} is not allowed on ${vault} and the payer is not its owner (${owner}).`);
    await send(await call(vault, vaultArtifact.abi, "setTokenAllowed", [toEvmAddress(token), true]), "setTokenAllowed");
  }

  console.log("[4/7] The merchant signs an invoice with tronweb (TIP-712)…");
  const now = BigInt(Math.floor(Date.now() / 1000));
  const invoice = {
    merchant: toEvmAddress(merchant),
    token: toEvmAddress(token),
    amount: SMOKE_AMOUNT,
    payBy: now + PAY_WITHIN_SECONDS,
    holdPeriod: HOLD_PERIOD_SECONDS,
    timeoutAction: TIMEOUT_ACTION_RELEASE,
    arbiter: ZeroAddress,
    payer: toEvmAddress(payer),
    merchantReference: encodeBytes32String("nile-smoke"),
    nonce: BigInt(hexlify(randomBytes(8))),
  };
  // TronLink-style domain: the verifying contract in base58; tronweb encodes it as 20 bytes.
  const tipDomain = { name: domain.name, version: domain.version, chainId: domain.chainId, verifyingContract: vault };
  const tronInvoice = { ...invoice, merchant, token, payer };
  const invoiceSignature = Trx._signTypedData(tipDomain, INVOICE_TYPES, tronInvoice, merchantKey);
  const localHash = tronUtils.typedData.hashTypedData(tipDomain, INVOICE_TYPES, tronInvoice);
  const invoiceId = await view(vault, vaultArtifact.abi, "hashInvoice", [invoice]);
  if (invoiceId !== localHash) throw new Error(`hashInvoice ${invoiceId} differs from tronweb's TIP-712 hash ${localHash}.`);
  console.log(`      invoice id ${invoiceId} (equals tronweb's hash)`);

  console.log("[5/7] The payer approves and pays…");
  if ((await view(token, tokenArtifact.abi, "allowance", [toEvmAddress(payer), toEvmAddress(vault)])) !== 0n) {
    await send(await call(token, tokenArtifact.abi, "approve", [toEvmAddress(vault), 0]), "approve(0)");
  }
  await send(await call(token, tokenArtifact.abi, "approve", [toEvmAddress(vault), SMOKE_AMOUNT]), "approve");
  const paid = await send(await call(vault, vaultArtifact.abi, "payInvoice", [invoice, invoiceSignature]), "payInvoice");
  const opened = parseLogs(vaultIface, paid).find((event) => event.name === "EscrowOpened");
  if (!opened) throw new Error("payInvoice emitted no EscrowOpened event.");
  const escrow = {
    token: opened.args.token,
    payer: opened.args.payer,
    payee: opened.args.payee,
    arbiter: opened.args.arbiter,
    remaining: opened.args.amount,
    payBy: opened.args.payBy,
    deadline: opened.args.deadline,
    disputedAt: 0n,
    feeBps: opened.args.feeBps,
    timeoutAction: opened.args.timeoutAction,
  };

  console.log("[6/7] The payer signs a Release with tronweb and submits releaseWithSig…");
  const nonce = BigInt(hexlify(randomBytes(8)));
  const validBefore = BigInt(Math.floor(Date.now() / 1000)) + AUTHORIZATION_LIFETIME_SECONDS;
  const release = { escrowId: invoiceId, amount: SMOKE_AMOUNT, nonce, validBefore };
  const releaseSignature = Trx._signTypedData(tipDomain, RELEASE_TYPES, release, privateKey);
  const auth = { signer: toEvmAddress(payer), nonce, validBefore, signature: releaseSignature };
  const released = await send(
    await call(vault, vaultArtifact.abi, "releaseWithSig", [invoiceId, escrow, SMOKE_AMOUNT, auth]),
    "releaseWithSig",
  );
  const releasedEvent = parseLogs(vaultIface, released).find((event) => event.name === "EscrowReleased");
  if (!releasedEvent) throw new Error("releaseWithSig emitted no EscrowReleased event.");

  console.log("[7/7] Checking the outcome…");
  const merchantBalance = await view(token, tokenArtifact.abi, "balanceOf", [toEvmAddress(merchant)]);
  const expected = SMOKE_AMOUNT - releasedEvent.args.fee;
  if (merchantBalance !== expected) throw new Error(`The merchant holds ${merchantBalance}, expected ${expected}.`);
  const escrowHash = await view(vault, vaultArtifact.abi, "escrowHashOf", [invoiceId]);
  if (escrowHash !== USED) throw new Error(`escrowHashOf(${invoiceId}) is ${escrowHash}, expected the used marker.`);
  console.log(`      merchant received ${merchantBalance}, escrow closed. Smoke run passed in ${Math.round((Date.now() - started) / 1000)} s.`);
  console.log(`      vault ${vault}, token ${token}: NILE_VAULT=${vault} NILE_USDT=${token} reuses them next time.`);
}

main().catch((error) => {
  console.error(`tron:smoke failed: ${error.message}`);
  process.exitCode = 1;
});
