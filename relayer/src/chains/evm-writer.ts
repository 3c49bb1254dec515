import { Network, Transaction, Wallet, isError } from "ethers";
import type { Metrics } from "../common/metrics.js";
import { classifyRpcError, createJsonRpcProvider } from "./evm.js";
import { CallRevertedError, NonceTooLowError, UnderpricedError, type ChainWriter, type TxFees, type TxReceipt } from "./writer.js";

/** Head-room over the node's gas estimate: state can change between estimate and inclusion. */
const GAS_ESTIMATE_MARGIN_PERCENT = 20n;
/** Gas of a plain value transfer, used for nonce fillers (a zero-value transfer to itself). */
const TRANSFER_GAS = 21_000n;

const KNOWN_PATTERNS = [/already known/i, /known transaction/i, /already imported/i];
const NONCE_TOO_LOW_PATTERNS = [/nonce too low/i, /nonce has already been used/i];
const UNDERPRICED_PATTERNS = [/underpriced/i, /fee too low/i];

export interface EvmWriterConfig {
  name: string;
  rpcUrl: string;
  /** Required: signing needs it and it must not be guessed from a node. */
  chainId: bigint;
  /** Operator key, 0x hex. Pays gas only. */
  privateKey: string;
  timeoutMs?: number;
}

/** The write side of an EVM chain over JSON-RPC: EIP-1559 transactions signed locally with ethers. */
export function createEvmWriter(config: EvmWriterConfig, deps: { metrics?: Metrics } = {}): ChainWriter {
  const provider = createJsonRpcProvider(config.rpcUrl, new Network(config.name, config.chainId), config.timeoutMs);
  const wallet = new Wallet(config.privateKey);
  const address = wallet.address.toLowerCase();

  async function call<T>(method: string, params: unknown[]): Promise<T> {
    try {
      return (await provider.send(method, params)) as T;
    } catch (error) {
      deps.metrics?.rpcErrors.inc({ chain: config.name, method });
      throw classifyWriteError(error, method, config);
    }
  }

  async function estimateGas(to: string, data: string): Promise<bigint> {
    const estimate = BigInt(await call<string>("eth_estimateGas", [{ from: address, to, data }]));
    return estimate + (estimate * GAS_ESTIMATE_MARGIN_PERCENT) / 100n;
  }

  return {
    chain: config.name,
    kind: "evm",
    address,
    getPendingNonce: async () => Number(BigInt(await call<string>("eth_getTransactionCount", [address, "pending"]))),
    getMinedNonce: async () => Number(BigInt(await call<string>("eth_getTransactionCount", [address, "latest"]))),
    async getChainTime() {
      const block = await call<{ number: string; timestamp: string }>("eth_getBlockByNumber", ["latest", false]);
      return { number: Number(BigInt(block.number)), timestamp: Number(BigInt(block.timestamp)) };
    },
    async buildAndSign(txCall, { nonce, fees }) {
      if (nonce === null || fees.kind !== "evm") throw new Error("an EVM transaction needs a nonce and EIP-1559 fees");
      const isFiller = txCall.to === address && txCall.data === "0x";
      const gasLimit = txCall.gasLimit ?? (isFiller ? TRANSFER_GAS : await estimateGas(txCall.to, txCall.data));
      const raw = await wallet.signTransaction({
        type: 2,
        chainId: config.chainId,
        nonce,
        to: txCall.to,
        data: txCall.data,
        value: 0n,
        gasLimit,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      });
      return { raw, hash: Transaction.from(raw).hash!.toLowerCase(), gasLimit, expiresAtMs: null };
    },
    async broadcast(raw) {
      try {
        await call<string>("eth_sendRawTransaction", [raw]);
      } catch (error) {
        if (error instanceof Error && KNOWN_PATTERNS.some((p) => p.test(error.message))) return;
        throw error;
      }
    },
    isKnown: async (hash) => (await call<unknown>("eth_getTransactionByHash", [hash])) !== null,
    async getReceipt(hash): Promise<TxReceipt | null> {
      const receipt = await call<RpcReceipt | null>("eth_getTransactionReceipt", [hash]);
      if (!receipt || !receipt.blockHash) return null;
      return {
        hash: receipt.transactionHash.toLowerCase(),
        success: BigInt(receipt.status) === 1n,
        blockNumber: Number(BigInt(receipt.blockNumber)),
        blockHash: receipt.blockHash.toLowerCase(),
        logs: receipt.logs.map((log) => ({ address: log.address.toLowerCase(), topics: log.topics.map((t) => t.toLowerCase()), data: log.data })),
        final: false,
      };
    },
    async suggestFees(): Promise<TxFees> {
      const fee = await provider.getFeeData();
      if (fee.maxFeePerGas === null || fee.maxPriorityFeePerGas === null) {
        throw new CallRevertedError(`${config.name}: the node reports no EIP-1559 fees`, { hints: ["Use an EVM chain with the London fork (type-2 transactions)."] });
      }
      return { kind: "evm", maxFeePerGas: fee.maxFeePerGas, maxPriorityFeePerGas: fee.maxPriorityFeePerGas };
    },
    close: async () => provider.destroy(),
  };
}

interface RpcReceipt {
  transactionHash: string;
  status: string;
  blockNumber: string;
  blockHash: string | null;
  logs: { address: string; topics: string[]; data: string }[];
}

function classifyWriteError(error: unknown, method: string, config: Pick<EvmWriterConfig, "name" | "rpcUrl">): Error {
  const message = rpcMessage(error);
  const where = `${config.name}: ${method} failed`;
  if (NONCE_TOO_LOW_PATTERNS.some((p) => p.test(message))) return new NonceTooLowError(`${where}: ${message}`, { cause: error });
  if (UNDERPRICED_PATTERNS.some((p) => p.test(message))) return new UnderpricedError(`${where}: ${message}`, { cause: error });
  if (KNOWN_PATTERNS.some((p) => p.test(message))) return new Error(message, { cause: error });
  if (method === "eth_estimateGas" && /revert/i.test(message)) {
    return new CallRevertedError(`${where}: the call would revert (${message})`, { cause: error, hints: ["Check the escrow's state and the authorisation; the vault refuses the action as it stands."] });
  }
  if (/insufficient funds/i.test(message)) {
    return new CallRevertedError(`${where}: the operator account cannot pay for gas (${message})`, {
      cause: error,
      hints: ["Fund the operator address with the chain's native coin."],
    });
  }
  return classifyRpcError(error, method, { name: config.name, rpcUrl: config.rpcUrl });
}

function rpcMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const e = error as Error & { error?: { message?: string; data?: unknown }; info?: { error?: { message?: string } } };
  if (isError(error, "CALL_EXCEPTION")) return `revert ${error.shortMessage}`;
  return e.error?.message ?? e.info?.error?.message ?? error.message;
}
