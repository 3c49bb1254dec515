import { HDNodeWallet, Interface, Wallet, ZeroAddress, ZeroHash } from "ethers";
import { INVOICE_TYPES, vaultTypedDataDomain } from "../../scripts/lib/vault-typed-data.js";
import { EscrowVault__factory } from "../../typechain-types/index.js";
import type { HardhatNode, VaultFixture } from "../../test/relayer/support/hardhat-node.js";

/**
 * Chain side of the relayer benchmark: real `payInvoice` transactions on a Hardhat node, sent in
 * JSON-RPC batches with explicit nonces and packed many to a block, and a watcher that records the
 * wall time at which each block was first seen.
 */

/** Transactions per JSON-RPC batch and per mined block while generating. */
const TXS_PER_BLOCK = 400;
/** A payInvoice opening an escrow uses about 150k gas; the margin covers a fresh nonce-bitmap word. */
const PAY_GAS_LIMIT = 300_000n;
/** Room for TXS_PER_BLOCK payments in one block (Hardhat's default limit is 30M gas). */
const BLOCK_GAS_LIMIT = 1_000_000_000n;
/** Generation gives up after this, whatever the count: the benchmark must end. */
const GENERATION_MAX_MS = 15 * 60_000;
const PROGRESS_EVERY_MS = 5_000;
/** Block watcher poll: first-seen times are late by at most this. */
const WATCH_INTERVAL_MS = 20;

const MNEMONIC = "test test test test test test test test test test test junk";
const vaultInterface = new Interface(EscrowVault__factory.abi);
export const ESCROW_OPENED_TOPIC = vaultInterface.getEvent("EscrowOpened")!.topicHash;
export const ESCROW_TIMED_OUT_TOPIC = vaultInterface.getEvent("EscrowTimedOut")!.topicHash;
export const AMOUNT = 1_000_000n;

/** Hardhat's account `index` as a local wallet (the merchant signs invoices off the node). */
export const accountKey = (index: number) => HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).privateKey;

interface RpcCall {
  method: string;
  params: unknown[];
}

/** One JSON-RPC batch; throws on the first error reply. */
export async function rpcBatch(url: string, calls: RpcCall[]): Promise<unknown[]> {
  const body = JSON.stringify(calls.map((call, i) => ({ jsonrpc: "2.0", id: i, ...call })));
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  const replies = (await response.json()) as { id: number; result?: unknown; error?: { message: string } }[];
  replies.sort((a, b) => a.id - b.id);
  const failed = replies.find((reply) => reply.error);
  if (failed) throw new Error(`${calls[failed.id]?.method}: ${failed.error!.message}`);
  return replies.map((reply) => reply.result);
}

/** Signs invoices as the merchant and turns them into payer transactions with explicit nonces. */
export interface Payments {
  /** An eth_sendTransaction call for one more paid invoice held for `holdPeriod` seconds. */
  next(holdPeriod: number): Promise<RpcCall>;
  readonly sent: number;
}

export async function createPayments(node: HardhatNode, fx: VaultFixture): Promise<Payments> {
  const merchant = new Wallet(accountKey(1));
  const payer = (await fx.payer.getAddress()).toLowerCase();
  let nonce = Number(BigInt(await node.rpc<string>("eth_getTransactionCount", [payer, "pending"])));
  const domain = vaultTypedDataDomain(fx.chainId, fx.vault);
  const merchantAddress = await fx.merchant.getAddress();
  let invoiceNonce = BigInt(Date.now()) * 1_000_000n;
  let sent = 0;
  return {
    get sent() {
      return sent;
    },
    async next(holdPeriod) {
      const invoice = {
        merchant: merchantAddress,
        token: fx.token,
        amount: AMOUNT,
        payBy: BigInt(Math.floor(Date.now() / 1000) + 10 * 365 * 86_400),
        holdPeriod: BigInt(holdPeriod),
        timeoutAction: 0,
        arbiter: ZeroAddress,
        payer: ZeroAddress,
        merchantReference: ZeroHash,
        nonce: invoiceNonce++,
      };
      const signature = await merchant.signTypedData(domain, INVOICE_TYPES, invoice);
      const data = vaultInterface.encodeFunctionData("payInvoice", [invoice, signature]);
      sent += 1;
      return { method: "eth_sendTransaction", params: [{ from: payer, to: fx.vault, data, gas: `0x${PAY_GAS_LIMIT.toString(16)}`, nonce: `0x${(nonce++).toString(16)}` }] };
    },
  };
}

/**
 * Pays `count` invoices, TXS_PER_BLOCK to a block, with automining off; `holdOf(i)` gives each
 * escrow's hold period. Returns the last block mined. Leaves automining on.
 */
export async function generatePayments(
  node: HardhatNode,
  payments: Payments,
  count: number,
  holdOf: (i: number) => number,
  progress: (line: string) => void,
): Promise<number> {
  await node.rpc("evm_setAutomine", [false]);
  await node.rpc("evm_setBlockGasLimit", [`0x${BLOCK_GAS_LIMIT.toString(16)}`]);
  const started = Date.now();
  let lastReport = started;
  try {
    for (let done = 0; done < count; ) {
      if (Date.now() - started > GENERATION_MAX_MS) throw new Error(`generation passed ${GENERATION_MAX_MS / 60_000} min at ${done}/${count} transactions`);
      const size = Math.min(TXS_PER_BLOCK, count - done);
      const calls: RpcCall[] = [];
      for (let i = 0; i < size; i++) calls.push(await payments.next(holdOf(done + i)));
      await rpcBatch(node.url, calls);
      await node.rpc("evm_mine");
      done += size;
      if (Date.now() - lastReport >= PROGRESS_EVERY_MS || done === count) {
        lastReport = Date.now();
        progress(`  generated ${done}/${count} payInvoice transactions (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      }
    }
    await assertNoneFailed(node);
  } finally {
    await node.rpc("evm_setAutomine", [true]);
  }
  return Number(BigInt(await node.rpc<string>("eth_blockNumber")));
}

/** The last block's transactions all succeeded (a reverted payment would emit no event). */
async function assertNoneFailed(node: HardhatNode): Promise<void> {
  const block = await node.rpc<{ transactions: string[] }>("eth_getBlockByNumber", ["latest", false]);
  const receipts = (await rpcBatch(node.url, block.transactions.map((hash) => ({ method: "eth_getTransactionReceipt", params: [hash] })))) as { status: string }[];
  const failed = receipts.filter((r) => BigInt(r.status) !== 1n).length;
  if (failed > 0) throw new Error(`${failed} payInvoice transactions of the last block reverted`);
}

/** Counts logs of `topic` from the vault since `fromBlock`. */
export async function countLogs(node: Pick<HardhatNode, "rpc">, vault: string, topic: string, fromBlock: number): Promise<number> {
  const logs = await node.rpc<unknown[]>("eth_getLogs", [{ address: vault, topics: [topic], fromBlock: `0x${fromBlock.toString(16)}`, toBlock: "latest" }]);
  return logs.length;
}

/** Records when each block number was first seen (wall clock, ms), polling the node's head. */
export function watchBlocks(node: HardhatNode, maxMs: number): { firstSeen: Map<number, number>; stop(): Promise<void> } {
  const firstSeen = new Map<number, number>();
  let stopped = false;
  const deadline = Date.now() + maxMs;
  const loop = (async () => {
    let last = -1;
    while (!stopped && Date.now() < deadline) {
      const head = Number(BigInt(await node.rpc<string>("eth_blockNumber")));
      const now = Date.now();
      // Interval mining adds one block at a time; anything skipped is stamped late, never early.
      for (let n = last + 1; n <= head; n++) if (last >= 0 && !firstSeen.has(n)) firstSeen.set(n, now);
      last = Math.max(last, head);
      await new Promise((resolve) => setTimeout(resolve, WATCH_INTERVAL_MS));
    }
  })();
  return {
    firstSeen,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}
