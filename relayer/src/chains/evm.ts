import { getAddress, isError, JsonRpcProvider, makeError, Network, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import { memoizeBounded } from "../common/memoize.js";
import { ConfigError, NonRetryableUserError, RangeTooLargeError, RetryableError } from "../common/errors.js";
import type { Metrics } from "../common/metrics.js";
import type { BlockHeader, ChainKind, ChainReader, ChainReaderConfig, HeadTag, LogFilter, RawLog } from "./index.js";

/** A node that has not answered by then is treated as down for this call; the loop retries later. */
const DEFAULT_RPC_TIMEOUT_MS = 15_000;
/** Display forms of addresses remembered per reader. */
const FORMATTED_ADDRESSES_KEPT = 10_000;

/**
 * How providers say "ask for fewer blocks": Geth/Erigon/Alchemy/Infura/QuickNode/Ankr/TronGrid wordings
 * (java-tron: "exceed max block range: 5000", "query returned more than 10000 results").
 */
const RANGE_TOO_LARGE_PATTERNS: readonly RegExp[] = [
  /query returned more than/i,
  /block range (?:is )?too (?:large|wide)/i,
  /block range (?:greater than|exceeds|extends)/i,
  /exceed(?:s|ed)? (?:the )?max(?:imum)? block range/i,
  /range (?:is )?too large/i,
  /too many (?:blocks|results|logs)/i,
  /log response size exceeded/i,
  /response (?:size|too large|too big)/i,
  /limit exceeded/i,
  /maximum \[from, to\] blocks distance/i,
];
/** JSON-RPC error codes that mean "limit exceeded" (EIP-1474 -32005). */
const LIMIT_EXCEEDED_CODE = -32005;
const METHOD_NOT_FOUND_CODE = -32601;
const HTTP_PAYLOAD_TOO_LARGE = 413;

interface AddressCodec {
  kind: ChainKind;
  formatAddress(hex: string): string;
  parseAddress(display: string): string;
}

const evmAddresses: AddressCodec = {
  kind: "evm",
  formatAddress: (hex) => getAddress(hex),
  parseAddress: (display) => {
    if (!/^0x[0-9a-fA-F]{40}$/.test(display)) {
      throw new ConfigError(`"${display}" is not an EVM address`, { hints: ["Give a 0x-prefixed 20-byte hex address."] });
    }
    return display.toLowerCase();
  },
};

/**
 * A ChainReader over plain Ethereum JSON-RPC (ethers' JsonRpcProvider with a static network, so it
 * never polls `eth_chainId`). TRON's `/jsonrpc` endpoint speaks the same calls; `tron.ts` passes
 * its own address codec.
 */
export function createJsonRpcReader(
  config: ChainReaderConfig,
  deps: { metrics?: Metrics },
  codec: AddressCodec = evmAddresses,
): ChainReader {
  // The chain id is only used by ethers for formatting we bypass (raw `send`), so a placeholder is fine.
  const network = new Network(config.name, BigInt(config.chainId ?? 0));
  const provider = createJsonRpcProvider(config.rpcUrl, network, config.timeoutMs);
  // Webhooks and logs show each address in its display form (EIP-55 checksum, TRON base58), both
  // hashes computed in JavaScript; the same few addresses (vault, token, merchants) recur.
  const formatAddress = memoizeBounded(codec.formatAddress, FORMATTED_ADDRESSES_KEPT);

  async function call<T>(method: string, params: unknown[]): Promise<T> {
    try {
      const result = (await provider.send(method, params)) as T;
      return result;
    } catch (error) {
      deps.metrics?.rpcErrors.inc({ chain: config.name, method });
      throw classifyRpcError(error, method, config);
    }
  }

  return {
    chain: config.name,
    kind: codec.kind,
    async getChainId() {
      return BigInt(await call<string>("eth_chainId", []));
    },
    async getHeadBlockNumber(tag: HeadTag) {
      if (tag === "latest") return toNumber(await call<string>("eth_blockNumber", []), "eth_blockNumber");
      const block = await call<RpcBlock | null>("eth_getBlockByNumber", [tag, false]);
      if (!block) throw new RetryableError(`${config.name}: the node has no "${tag}" block yet`);
      return toNumber(block.number, "block.number");
    },
    async getBlock(number: number): Promise<BlockHeader> {
      const block = await call<RpcBlock | null>("eth_getBlockByNumber", [toQuantity(number), false]);
      // A load-balanced provider may answer from a node a block behind the one that gave us the head.
      if (!block) throw new RetryableError(`${config.name}: block ${number} is not available yet`);
      return {
        number: toNumber(block.number, "block.number"),
        hash: block.hash.toLowerCase(),
        parentHash: block.parentHash.toLowerCase(),
        timestamp: toNumber(block.timestamp, "block.timestamp"),
      };
    },
    async getLogs(filter: LogFilter): Promise<RawLog[]> {
      const logs = await call<RpcLog[]>("eth_getLogs", [
        {
          fromBlock: toQuantity(filter.fromBlock),
          toBlock: toQuantity(filter.toBlock),
          address: filter.address,
          topics: filter.topics,
        },
      ]);
      return logs.filter((log) => !log.removed).map(toRawLog);
    },
    async call(to: string, data: string): Promise<string> {
      return call<string>("eth_call", [{ to, data }, "latest"]);
    },
    formatAddress,
    parseAddress: codec.parseAddress,
    close: async () => provider.destroy(),
  };
}

/**
 * ethers' JSON-RPC provider over Node's fetch: ethers still numbers requests, matches replies and
 * maps JSON-RPC errors. Its own transport grows a response body by copying it on every chunk and
 * decodes UTF-8 in JavaScript, which made an eth_getLogs answer of a few megabytes cost seconds of
 * CPU; fetch reads the body once and parses it natively.
 */
/** The JSON-RPC provider every EVM (and TRON /jsonrpc) reader and writer talks through. */
export function createJsonRpcProvider(url: string, network: Network, timeoutMs = DEFAULT_RPC_TIMEOUT_MS): JsonRpcProvider {
  return new FetchJsonRpcProvider(url, timeoutMs, network);
}

class FetchJsonRpcProvider extends JsonRpcProvider {
  readonly #url: string;
  readonly #timeoutMs: number;

  constructor(url: string, timeoutMs: number, network: Network) {
    // batchMaxCount 1: a refused eth_getLogs must fail alone, not take a batch of other calls with it.
    super(url, network, { staticNetwork: network, batchMaxCount: 1 });
    this.#url = url;
    this.#timeoutMs = timeoutMs;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    let response: Response;
    try {
      response = await fetch(this.#url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      if (error instanceof Error && error.name === "TimeoutError") throw makeError(`no answer within ${this.#timeoutMs} ms`, "TIMEOUT", { operation: "request.send", reason: "timeout" });
      throw error;
    }
    if (!response.ok) {
      // The shape ethers gives an HTTP error, plus the JSON-RPC error some providers put in the body.
      const body = await response.text().catch(() => "");
      const rpcError = jsonRpcErrorIn(body);
      const error = makeError(`server response ${response.status} ${response.statusText}${rpcError ? `: ${rpcError.message}` : ""}`, "SERVER_ERROR", {
        request: undefined as never,
        response: { statusCode: response.status } as never,
      });
      throw rpcError ? Object.assign(error, { error: rpcError }) : error;
    }
    // Error replies pass through too: ethers maps them (its own _send types them the same way).
    const json = (await response.json()) as JsonRpcResult | JsonRpcResult[];
    return Array.isArray(json) ? json : [json];
  }
}

function jsonRpcErrorIn(body: string): { code?: number; message: string } | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: number; message?: string } };
    return typeof parsed.error?.message === "string" ? { code: parsed.error.code, message: parsed.error.message } : undefined;
  } catch {
    return undefined;
  }
}

interface RpcBlock {
  number: string;
  hash: string;
  parentHash: string;
  timestamp: string;
}

interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  logIndex: string;
  removed?: boolean;
}

function toRawLog(log: RpcLog): RawLog {
  return {
    address: log.address.toLowerCase(),
    topics: log.topics.map((topic) => topic.toLowerCase()),
    data: log.data.toLowerCase(),
    blockNumber: toNumber(log.blockNumber, "log.blockNumber"),
    blockHash: log.blockHash.toLowerCase(),
    transactionHash: normalizeHash(log.transactionHash),
    logIndex: toNumber(log.logIndex, "log.logIndex"),
  };
}

/** TRON's JSON-RPC has returned transaction ids without the 0x prefix in some versions. */
function normalizeHash(hash: string): string {
  const lower = hash.toLowerCase();
  return lower.startsWith("0x") ? lower : `0x${lower}`;
}

function toQuantity(value: number): string {
  return `0x${value.toString(16)}`;
}

function toNumber(value: string | number, field: string): number {
  const parsed = typeof value === "number" ? value : Number(BigInt(value));
  if (!Number.isSafeInteger(parsed)) throw new RetryableError(`the node returned an invalid ${field}: ${String(value)}`);
  return parsed;
}

/** Converts an ethers/JSON-RPC failure into the relayer's error classes, once, here. */
export function classifyRpcError(error: unknown, method: string, config: Pick<ChainReaderConfig, "name" | "rpcUrl">): Error {
  const { code, status, text } = describe(error);
  const where = `${config.name}: ${method} failed`;
  if (method === "eth_getLogs" && (status === HTTP_PAYLOAD_TOO_LARGE || code === LIMIT_EXCEEDED_CODE || RANGE_TOO_LARGE_PATTERNS.some((p) => p.test(text)))) {
    return new RangeTooLargeError(`${where}: the provider refused the block range (${text})`, { cause: error });
  }
  if (code === METHOD_NOT_FOUND_CODE) {
    return new NonRetryableUserError(`${where}: the node does not serve ${method}`, {
      cause: error,
      hints: [`Point the ${config.name} RPC URL at a node with the eth JSON-RPC API enabled (TRON: node.jsonrpc.httpFullNodeEnable / httpSolidityEnable).`],
    });
  }
  if (status === 401 || status === 403) {
    return new NonRetryableUserError(`${where}: the provider answered HTTP ${status}`, {
      cause: error,
      hints: [`Check the API key in the ${config.name} RPC URL.`],
    });
  }
  return new RetryableError(`${where}: ${text}`, { cause: error });
}

function describe(error: unknown): { code?: number; status?: number; text: string } {
  if (!(error instanceof Error)) return { text: String(error) };
  // ethers puts the JSON-RPC error object in `error`, or in `info.error` when it recognised it.
  const e = error as Error & {
    error?: { code?: number; message?: string };
    info?: { error?: { code?: number; message?: string } };
    response?: { statusCode?: number };
  };
  let status = e.response?.statusCode;
  if (status === undefined && isError(error, "SERVER_ERROR")) {
    const match = /server response (\d{3})/.exec(error.message);
    if (match) status = Number(match[1]);
  }
  const rpcError = e.error ?? e.info?.error;
  return { code: rpcError?.code, status, text: rpcError?.message ?? error.message };
}
