import { Interface } from "ethers";
import { TronWeb, type Types } from "tronweb";
import { EscrowVault__factory } from "../../../typechain-types/index.js";
import { NonRetryableUserError, RetryableError } from "../common/errors.js";
import type { Metrics } from "../common/metrics.js";
import { tronAddressFromHex } from "./tron.js";
import { CallRevertedError, type ChainWriter, type TxFees, type TxReceipt } from "./writer.js";

/** TRON addresses are 0x41 followed by the 20 bytes the VM sees. */
const TRON_ADDRESS_PREFIX = "41";
/** A TRON selector plus arguments: triggerSmartContract takes the selector as a signature string. */
const SELECTOR_HEX_CHARS = 10;
/** How the node says it has the transaction already. */
const DUPLICATE_CODES = new Set(["DUP_TRANSACTION_ERROR"]);

/** A reference block, as tronweb would fetch it (getCurrentRefBlockParams); given in tests and dry runs. */
export interface TronBlockHeader {
  ref_block_bytes: string;
  ref_block_hash: string;
  expiration: number;
  timestamp: number;
}

export interface TronWriterConfig {
  name: string;
  /** Full-node HTTP API (not /jsonrpc). */
  fullHost: string;
  /** Operator key, 64 hex digits (0x optional). Pays energy and bandwidth only. */
  privateKey: string;
  /** Most sun one transaction may burn. */
  feeLimitSun: bigint;
  /** Build against this reference block instead of asking the node (offline signing, tests). */
  blockHeader?: () => TronBlockHeader;
  headers?: Record<string, string>;
}

/**
 * The write side of TRON with tronweb: TriggerSmartContract transactions carrying ethers-encoded call
 * data and a fee limit. TRON has no nonces and no fee bumps; a transaction expires
 * (raw_data.expiration) instead, and the journal rebuilds an expired unconfirmed one.
 */
export function createTronWriter(config: TronWriterConfig, deps: { metrics?: Metrics } = {}): ChainWriter {
  const privateKey = config.privateKey.replace(/^0x/, "");
  const tronWeb = new TronWeb({ fullHost: config.fullHost, privateKey, ...(config.headers ? { headers: config.headers } : {}) });
  const ownerBase58 = TronWeb.address.fromPrivateKey(privateKey);
  if (!ownerBase58) throw new NonRetryableUserError(`${config.name}: the operator key is not a valid TRON private key`);
  const address = `0x${TronWeb.address.toHex(ownerBase58).slice(2).toLowerCase()}`;

  async function node<T>(method: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      deps.metrics?.rpcErrors.inc({ chain: config.name, method });
      throw new RetryableError(`${config.name}: ${method} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  return {
    chain: config.name,
    kind: "tron",
    address,
    getPendingNonce: async () => null,
    getMinedNonce: async () => null,
    async getChainTime() {
      const block = await node("getCurrentBlock", () => tronWeb.trx.getCurrentBlock());
      const raw = block.block_header.raw_data;
      // The HTTP API reports milliseconds; the VM's block.timestamp is seconds.
      return { number: raw.number, timestamp: Math.floor(raw.timestamp / 1000) };
    },
    async buildAndSign(call, { fees }) {
      const feeLimit = fees.kind === "tron" ? fees.feeLimitSun : config.feeLimitSun;
      const blockHeader = config.blockHeader?.();
      // tronweb hashes the function's signature itself: give it the signature, not the selector.
      const fragment = vaultInterface().getFunction(call.data.slice(0, SELECTOR_HEX_CHARS));
      if (!fragment) throw new CallRevertedError(`${config.name}: ${call.data.slice(0, SELECTOR_HEX_CHARS)} is not a vault function`);
      const selector = fragment.format("sighash");
      const built = await node("triggerSmartContract", () =>
        tronWeb.transactionBuilder.triggerSmartContract(
          TRON_ADDRESS_PREFIX + call.to.slice(2),
          selector,
          { feeLimit: Number(feeLimit), rawParameter: call.data.slice(SELECTOR_HEX_CHARS), ...(blockHeader ? { txLocal: true, blockHeader } : {}) },
          [],
          TRON_ADDRESS_PREFIX + address.slice(2),
        ),
      );
      const transaction = (built as { transaction: Types.Transaction }).transaction;
      if (!transaction?.txID) throw new CallRevertedError(`${config.name}: the node refused to build the call: ${JSON.stringify((built as { result?: unknown }).result)}`);
      const signed = await tronWeb.trx.sign(transaction, privateKey);
      return { raw: JSON.stringify(signed), hash: `0x${signed.txID}`, gasLimit: null, expiresAtMs: signed.raw_data.expiration };
    },
    async broadcast(raw) {
      const result = await node("sendRawTransaction", () => tronWeb.trx.sendRawTransaction(JSON.parse(raw) as Types.SignedTransaction));
      const reply = result as { result?: boolean; code?: string; message?: string };
      if (reply.result || (reply.code && DUPLICATE_CODES.has(reply.code))) return;
      throw new RetryableError(`${config.name}: the node refused the transaction: ${reply.code ?? "unknown"} ${decodeMessage(reply.message)}`, {
        hints: ["BANDWIDTH or BALANCE errors mean the operator account needs TRX."],
      });
    },
    async isKnown(hash) {
      const tx = await node("getTransaction", () => tronWeb.trx.getTransaction(hash.slice(2)).catch(() => null));
      return Boolean(tx && (tx as { txID?: string }).txID);
    },
    async getReceipt(hash): Promise<TxReceipt | null> {
      // Solidified info: once present the transaction is final (TRON's DPoS does not reorganise it).
      const info = await node("getTransactionInfo", () => tronWeb.trx.getTransactionInfo(hash.slice(2)));
      if (!info || !info.id) return null;
      const failed = (info as { result?: string }).result === "FAILED" || (info.receipt?.result !== undefined && info.receipt.result !== "SUCCESS");
      return {
        hash,
        success: !failed,
        blockNumber: info.blockNumber,
        blockHash: "",
        logs: (info.log ?? []).map((log) => ({
          address: `0x${log.address.replace(/^41/, "").slice(-40).toLowerCase()}`,
          topics: log.topics.map((t) => `0x${t}`),
          data: `0x${log.data ?? ""}`,
        })),
        final: true,
      };
    },
    suggestFees: async (): Promise<TxFees> => ({ kind: "tron", feeLimitSun: config.feeLimitSun }),
    close: async () => undefined,
  };
}

let vaultAbi: Interface | undefined;
function vaultInterface(): Interface {
  vaultAbi ??= new Interface(EscrowVault__factory.abi);
  return vaultAbi;
}

/** Display form of the operator, for logs. */
export function tronOperatorAddress(writer: ChainWriter): string {
  return tronAddressFromHex(writer.address);
}

function decodeMessage(message: string | undefined): string {
  if (!message) return "";
  return /^[0-9a-fA-F]+$/.test(message) ? Buffer.from(message, "hex").toString("utf8") : message;
}
