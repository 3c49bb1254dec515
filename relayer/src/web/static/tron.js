// TronLink path of the checkout page, written against TronLink's injected `window.tronWeb`
// (tronweb 6 API: transactionBuilder.triggerSmartContract / triggerConstantContract, trx.sign,
// trx.sendRawTransaction, trx.getTransactionInfo, trx._signTypedData for TIP-712). There is no TRON
// node or TronLink in our test environment, so this file is NOT exercised by the browser tests.

import { WalletError } from "./wallet.js";

/** Energy budget per call, in sun (100 TRX); TronLink shows the real cost before signing. */
const FEE_LIMIT_SUN = 100_000_000;
const INFO_POLLS = 120;
const INFO_POLL_MS = 1500;

export function tronWeb() {
  const tw = window.tronWeb;
  if (!tw || !tw.defaultAddress || !tw.defaultAddress.base58) throw new WalletError("none-tron");
  return tw;
}

async function constantUint(tw, contract, selector, params, from) {
  const result = await tw.transactionBuilder.triggerConstantContract(contract, selector, {}, params, from);
  return BigInt(`0x${(result.constant_result && result.constant_result[0]) || "0"}`);
}

async function sendCall(tw, contract, selector, rawData, from, onSent) {
  let built;
  try {
    // rawParameter: the ABI-encoded arguments, i.e. the calldata the API prepared minus its 4-byte selector.
    built = await tw.transactionBuilder.triggerSmartContract(contract, selector, { feeLimit: FEE_LIMIT_SUN, rawParameter: rawData.slice(10) }, [], from);
  } catch (error) {
    throw new WalletError("failed", String((error && error.message) || error));
  }
  let signed;
  try {
    signed = await tw.trx.sign(built.transaction);
  } catch {
    throw new WalletError("rejected");
  }
  const sent = await tw.trx.sendRawTransaction(signed);
  if (!sent || !sent.result) throw new WalletError("failed", (sent && sent.code) || "broadcast refused");
  const txid = signed.txID;
  if (onSent) onSent(txid);
  for (let i = 0; i < INFO_POLLS; i++) {
    const info = await tw.trx.getTransactionInfo(txid);
    if (info && info.receipt) {
      if (info.receipt.result && info.receipt.result !== "SUCCESS") throw new WalletError("failed", info.receipt.result);
      return txid;
    }
    await new Promise((resolve) => setTimeout(resolve, INFO_POLL_MS));
  }
  throw new WalletError("failed", `transaction ${txid} was not confirmed in time`);
}

/** approve (when the allowance is short) then payInvoice, from the TronLink account. */
export async function payWithTronLink(data, say, onSent) {
  const tw = tronWeb();
  const from = tw.defaultAddress.base58;
  const amount = BigInt(data.amount);
  const owner = [{ type: "address", value: from }];
  const balance = await constantUint(tw, data.token, "balanceOf(address)", owner, from);
  if (balance < amount) throw new WalletError("insufficient", "", { balance });
  const allowance = await constantUint(tw, data.token, "allowance(address,address)", [...owner, { type: "address", value: data.vault }], from);
  const [approve, pay] = data.steps;
  if (allowance < amount) {
    say("wallet.approving");
    await sendCall(tw, data.token, approve.selector, approve.data, from);
  }
  say("wallet.paying");
  await sendCall(tw, data.vault, pay.selector, pay.data, from, onSent);
}

/** TIP-712 signature of a Release or Dispute with TronLink (chain id masked to 32 bits, like the vault). */
export async function signWithTronLink(typed) {
  const tw = tronWeb();
  const { EIP712Domain: _unused, ...types } = typed.types;
  try {
    const signature = await tw.trx._signTypedData(typed.domain, types, typed.message);
    return { signer: tw.defaultAddress.base58, signature };
  } catch {
    throw new WalletError("rejected");
  }
}
