import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { join } from "node:path";
import { Contract, JsonRpcProvider, Network, ZeroAddress, ZeroHash, type JsonRpcSigner, type TransactionReceipt } from "ethers";
import { deployVault } from "../../../scripts/lib/deploy-vault.js";
import { INVOICE_TYPES, vaultTypedDataDomain, type Escrow } from "../../../scripts/lib/vault-typed-data.js";
import { EscrowVault__factory, TestToken__factory } from "../../../typechain-types/index.js";

/** Hardhat prints nothing useful for tests; it answers JSON-RPC within a few seconds on two cores. */
const NODE_START_TIMEOUT_MS = 60_000;
const NODE_POLL_INTERVAL_MS = 200;

export interface HardhatNode {
  url: string;
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Starts `hardhat node` on a free loopback port and waits until it answers JSON-RPC. `chainId`: e.g. TRON's 728126428. */
export async function startHardhatNode(options: { chainId?: number } = {}): Promise<HardhatNode> {
  const port = await freePort();
  // Tests run from the repository root (vitest.config.mts); this file is typed as CommonJS, so no import.meta.
  const cli = createRequire(join(process.cwd(), "package.json")).resolve("hardhat/internal/cli/cli");
  const child: ChildProcess = spawn(process.execPath, [cli, "node", "--hostname", "127.0.0.1", "--port", String(port)], {
    stdio: "ignore",
    env: options.chainId === undefined ? process.env : { ...process.env, HARDHAT_CHAIN_ID: String(options.chainId) },
  });
  // A test runner killed mid-run (Ctrl-C, a closed pipe) skips afterAll: never leave a node behind.
  const killNode = () => child.kill("SIGKILL");
  process.once("exit", killNode);
  const url = `http://127.0.0.1:${port}`;
  let id = 0;
  const post = (body: string) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params });
    // Hardhat closes idle keep-alive sockets; a request racing that close is safe to send once more.
    const response = await post(body).catch(() => post(body));
    const reply = (await response.json()) as { result?: T; error?: { message: string } };
    if (reply.error) throw new Error(`${method}: ${reply.error.message}`);
    return reply.result as T;
  };
  const deadline = Date.now() + NODE_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      await rpc("eth_blockNumber");
      return {
        url,
        rpc,
        stop: async () => {
          process.removeListener("exit", killNode);
          killNode();
        },
      };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, NODE_POLL_INTERVAL_MS));
    }
  }
  child.kill("SIGKILL");
  throw new Error(`hardhat node did not start on port ${port}`);
}

export interface InvoiceOptions {
  amount?: bigint;
  holdPeriod?: number;
  timeoutAction?: 0 | 1;
  arbiter?: string;
  nonce?: bigint;
}

/** A deployed vault with a funded payer and helpers for every party action. */
export interface VaultFixture {
  provider: JsonRpcProvider;
  chainId: bigint;
  vault: string;
  token: string;
  /** The AcceptorDesk deployed beside the vault (P2P), lower-case hex. */
  desk: string;
  deployBlock: number;
  merchant: JsonRpcSigner;
  payer: JsonRpcSigner;
  arbiter: JsonRpcSigner;
  /** Cancels a fresh invoice as the merchant; returns its id. */
  cancelInvoice(options?: InvoiceOptions): Promise<{ invoiceId: string; receipt: TransactionReceipt }>;
  /** Pays a merchant-signed invoice; returns the escrow id and (when held) the escrow struct. */
  payInvoice(options?: InvoiceOptions): Promise<{ invoiceId: string; escrow: Escrow | null; receipt: TransactionReceipt }>;
  /** Calls a vault function as `from` and waits for the receipt. */
  send(from: JsonRpcSigner, fn: string, ...args: unknown[]): Promise<TransactionReceipt>;
  mine(blocks: number): Promise<void>;
  latestTimestamp(): Promise<number>;
}

export async function deployVaultFixture(node: HardhatNode): Promise<VaultFixture> {
  const chainId = BigInt(await node.rpc<string>("eth_chainId"));
  const provider = new JsonRpcProvider(node.url, Network.from(chainId), { staticNetwork: true, batchMaxCount: 1, polling: true, pollingInterval: 50 });
  const deployer = await provider.getSigner(0);
  const merchant = await provider.getSigner(1);
  const payer = await provider.getSigner(2);
  const arbiter = await provider.getSigner(3);
  const record = await deployVault(deployer as never, "localhost", { deployTestToken: true }, () => undefined);
  const vault = record.contracts.EscrowVault!.address;
  const token = record.contracts.TestToken!.address;
  const vaultAs = (signer: JsonRpcSigner) => new Contract(vault, EscrowVault__factory.abi, signer);
  const tokenContract = new Contract(token, TestToken__factory.abi, deployer);
  await (await tokenContract.getFunction("mint")(await payer.getAddress(), 10n ** 15n)).wait();
  await (await new Contract(token, TestToken__factory.abi, payer).getFunction("approve")(vault, 2n ** 255n)).wait();
  let nonce = 0n;

  const send = async (from: JsonRpcSigner, fn: string, ...args: unknown[]) => {
    const tx = await vaultAs(from).getFunction(fn)(...args);
    const receipt = (await tx.wait()) as TransactionReceipt | null;
    if (!receipt) throw new Error(`${fn}: no receipt`);
    return receipt;
  };
  const latestTimestamp = async () => (await provider.getBlock("latest"))!.timestamp;
  const makeInvoice = async (options: InvoiceOptions) => ({
    merchant: await merchant.getAddress(),
    token,
    amount: options.amount ?? 1_000_000n,
    payBy: BigInt((await latestTimestamp()) + 3_600),
    holdPeriod: BigInt(options.holdPeriod ?? 86_400),
    timeoutAction: options.timeoutAction ?? 0,
    arbiter: options.arbiter ?? ZeroAddress,
    payer: ZeroAddress,
    merchantReference: ZeroHash,
    nonce: options.nonce ?? nonce++,
  });

  return {
    provider,
    chainId,
    vault: vault.toLowerCase(),
    token: token.toLowerCase(),
    desk: record.contracts.AcceptorDesk!.address.toLowerCase(),
    deployBlock: record.contracts.EscrowVault!.blockNumber,
    merchant,
    payer,
    arbiter,
    send,
    latestTimestamp,
    mine: async (blocks) => {
      // Not hardhat_mine: the blocks it reserves can report a zero parentHash, which reads as a reorg.
      for (let i = 0; i < blocks; i++) await node.rpc("evm_mine");
    },
    async cancelInvoice(options = {}) {
      const invoice = await makeInvoice(options);
      const receipt = await send(merchant, "cancelInvoice", invoice);
      const parsed = receipt.logs.map((log) => vaultAs(merchant).interface.parseLog(log)).find((l) => l?.name === "InvoiceCancelled");
      return { invoiceId: String(parsed!.args[0]).toLowerCase(), receipt };
    },
    async payInvoice(options = {}) {
      const invoice = await makeInvoice(options);
      const signature = await merchant.signTypedData(vaultTypedDataDomain(chainId, vault), INVOICE_TYPES, invoice);
      const receipt = await send(payer, "payInvoice", invoice, signature);
      const parsed = receipt.logs.map((log) => vaultAs(payer).interface.parseLog(log)).find((l) => l?.name === "EscrowOpened" || l?.name === "InvoiceSettled");
      if (!parsed) throw new Error("payInvoice emitted no payment event");
      const a = parsed.args;
      const escrow: Escrow | null =
        parsed.name === "EscrowOpened"
          ? { token: a.token, payer: a.payer, payee: a.payee, arbiter: a.arbiter, remaining: a.amount, payBy: a.payBy, deadline: a.deadline, disputedAt: 0n, feeBps: a.feeBps, timeoutAction: a.timeoutAction }
          : null;
      return { invoiceId: String(a[0]).toLowerCase(), escrow, receipt };
    },
  };
}
