import { Contract, HDNodeWallet, type JsonRpcSigner } from "ethers";
import { createEvmWriter } from "../../../relayer/src/chains/evm-writer.js";
import type { ChainWriter } from "../../../relayer/src/chains/writer.js";
import type { Context } from "../../../relayer/src/common/context.js";
import { silentLogger } from "../../../relayer/src/common/logger.js";
import { createMetrics } from "../../../relayer/src/common/metrics.js";
import type { Db } from "../../../relayer/src/store/db.js";
import { createTimeoutsRepository, type JournalRow, type TimeoutsRepository } from "../../../relayer/src/store/timeouts-repository.js";
import { createTimeoutDriver, type TimeoutDriver, type TimeoutDriverOptions } from "../../../relayer/src/timeouts/index.js";
import { ACTION_TYPES, vaultTypedDataDomain } from "../../../scripts/lib/vault-typed-data.js";
import { EscrowVault__factory, TestToken__factory } from "../../../typechain-types/index.js";
import { drain, makeIngester } from "../ingest/harness.js";
import type { HardhatNode, VaultFixture } from "../support/hardhat-node.js";

/** Upper bound on driver ticks in one wait: more means a bug, not a slow machine. */
const MAX_TICKS = 20;
const MNEMONIC = "test test test test test test test test test test test junk";
export const operatorKey = (index: number) => HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).privateKey;

export interface Harness {
  ctx: Context;
  store: TimeoutsRepository;
  writer: ChainWriter;
  ingest(): Promise<void>;
  driver(options?: Partial<TimeoutDriverOptions>, writer?: ChainWriter): TimeoutDriver;
  journal(): Promise<JournalRow[]>;
  minedNonce(): Promise<number>;
  pendingNonce(): Promise<number>;
}

export function makeHarness(node: HardhatNode, fx: VaultFixture, db: Db, keyIndex = 9): Harness {
  const ctx: Context = { db, logger: silentLogger(), metrics: createMetrics(), signal: new AbortController().signal };
  const store = createTimeoutsRepository(db);
  const writer = createEvmWriter({ name: "local", rpcUrl: node.url, chainId: fx.chainId, privateKey: operatorKey(keyIndex) });
  const ingester = makeIngester({ db, rpcUrl: node.url, chain: { vault: fx.vault, startBlock: fx.deployBlock, confirmations: 0 } });
  return {
    ctx,
    store,
    writer,
    ingest: async () => void (await drain(ingester.ingester)),
    driver: (options = {}, w = writer) =>
      createTimeoutDriver(ctx, { chain: "local", writer: w, store, options: { vault: fx.vault, chainId: fx.chainId, timeoutMarginSeconds: 0, confirmations: 1, holder: "relayer-1", ...options } }),
    journal: () => store.listJournal("local"),
    minedNonce: async () => (await writer.getMinedNonce())!,
    pendingNonce: async () => (await writer.getPendingNonce())!,
  };
}

/** Ticks until every journal row is final (confirmed, replaced or failed); bounded in count. */
export async function tickUntilSettled(h: Harness, driver: TimeoutDriver): Promise<JournalRow[]> {
  for (let i = 0; i < MAX_TICKS; i++) {
    await driver.tick();
    const rows = await h.journal();
    if (rows.length > 0 && rows.every((row) => ["confirmed", "replaced", "failed"].includes(row.state))) return rows;
  }
  throw new Error(`journal not settled after ${MAX_TICKS} ticks: ${JSON.stringify((await h.journal()).map((r) => r.state))}`);
}

export async function passTime(node: HardhatNode, seconds: number): Promise<void> {
  await node.rpc("evm_increaseTime", [seconds]);
  await node.rpc("evm_mine");
}

export const vaultOf = (fx: VaultFixture) => new Contract(fx.vault, EscrowVault__factory.abi, fx.provider);
export const tokenOf = (fx: VaultFixture) => new Contract(fx.token, TestToken__factory.abi, fx.provider);
export const USED = `0x${"0".repeat(63)}1`;

export async function signAction(fx: VaultFixture, signer: JsonRpcSigner, kind: "Release" | "Refund" | "Dispute", fields: Record<string, unknown>) {
  return signer.signTypedData(vaultTypedDataDomain(fx.chainId, fx.vault), { [kind]: [...ACTION_TYPES[kind]] }, fields);
}
