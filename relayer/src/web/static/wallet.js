// Small EIP-1193 helpers shared by the checkout page and the dashboard. No library: the calls we
// need (accounts, chain id, eth_call, send, receipt, typed-data signature) are plain JSON-RPC.

/** Receipt polling: one check a second for up to three minutes. */
const RECEIPT_POLLS = 180;
const RECEIPT_POLL_MS = 1000;

export class WalletError extends Error {
  /** kind: none | wrong-network | rejected | failed | insufficient | not-payer */
  constructor(kind, message, details = {}) {
    super(message || kind);
    this.kind = kind;
    this.details = details;
  }
}

export function injectedEthereum() {
  const provider = window.ethereum;
  if (!provider || typeof provider.request !== "function") throw new WalletError("none");
  return provider;
}

/** Wallet errors to our kinds: 4001 is EIP-1193's "user rejected the request". */
export async function request(provider, method, params = []) {
  try {
    return await provider.request({ method, params });
  } catch (error) {
    if (error && (error.code === 4001 || error.code === "ACTION_REJECTED")) throw new WalletError("rejected");
    throw new WalletError("failed", (error && (error.message || error.reason)) || String(error));
  }
}

export async function connect(provider) {
  const accounts = await request(provider, "eth_requestAccounts");
  if (!accounts || accounts.length === 0) throw new WalletError("rejected");
  return accounts[0];
}

/** Asks the wallet to switch once; if it cannot, the caller shows the wrong-network message. */
export async function ensureChain(provider, chainId) {
  const current = BigInt(await request(provider, "eth_chainId"));
  if (current === BigInt(chainId)) return;
  try {
    await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: `0x${BigInt(chainId).toString(16)}` }] });
  } catch {
    // Unknown chain or refused: answered below.
  }
  const after = BigInt(await request(provider, "eth_chainId"));
  if (after !== BigInt(chainId)) throw new WalletError("wrong-network");
}

const word = (hex) => hex.toLowerCase().replace(/^0x/, "").padStart(64, "0");

/** balanceOf(owner) and allowance(owner, spender), hand-encoded (selectors 0x70a08231, 0xdd62ed3e). */
export async function tokenBalance(provider, token, owner) {
  return BigInt(await request(provider, "eth_call", [{ to: token, data: `0x70a08231${word(owner)}` }, "latest"]));
}

export async function tokenAllowance(provider, token, owner, spender) {
  return BigInt(await request(provider, "eth_call", [{ to: token, data: `0xdd62ed3e${word(owner)}${word(spender)}` }, "latest"]));
}

/** approve(spender, 0): USDT on Ethereum refuses to change a non-zero allowance to another non-zero one. */
export const approveZeroData = (spender) => `0x095ea7b3${word(spender)}${word("0")}`;

export async function sendAndWait(provider, from, to, data, onSent) {
  const hash = await request(provider, "eth_sendTransaction", [{ from, to, data }]);
  if (onSent) onSent(hash);
  for (let i = 0; i < RECEIPT_POLLS; i++) {
    const receipt = await request(provider, "eth_getTransactionReceipt", [hash]);
    if (receipt) {
      if (BigInt(receipt.status) !== 1n) throw new WalletError("failed", `transaction ${hash} reverted`);
      return receipt;
    }
    await new Promise((resolve) => setTimeout(resolve, RECEIPT_POLL_MS));
  }
  throw new WalletError("failed", `transaction ${hash} was not mined within ${RECEIPT_POLLS} s`);
}

export async function signTypedData(provider, account, typedData) {
  return request(provider, "eth_signTypedData_v4", [account, JSON.stringify(typedData)]);
}

/** A random uint64 as a decimal string: the vault's nonces are a bitmap, any unused one works. */
export function randomNonce() {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return BigInt(`0x${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`).toString();
}

export const EIP712_DOMAIN = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
];
