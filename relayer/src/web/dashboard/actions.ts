import { randomBytes } from "node:crypto";
import { getAddress, Wallet } from "ethers";
import { ACTION_TYPES, vaultTypedDataDomain } from "../../../../scripts/lib/vault-typed-data.js";
import type { Context } from "../../common/context.js";
import { NonRetryableUserError } from "../../common/errors.js";
import type { EscrowProjection } from "../../domain/escrow.js";
import { openSecret, type InvoiceChain } from "../../merchants/index.js";
import { selectSigningKey } from "../../store/merchants-repository.js";
import { selectLatestChainTime } from "../../store/web-repository.js";
import { enqueueSignedAction } from "../../timeouts/index.js";

/**
 * Release and refund from the dashboard. Either the merchant's own wallet signs the typed data this
 * module hands out (registered payout addresses, or an arbiter), or, for chains where the payee IS
 * the relayer-held merchant key, the relayer signs the refund with that key. In both cases the
 * authorisation goes through the same checks as the API route and the relayer submits it.
 */

/** Validity of an authorisation from the dashboard, counted from chain time. */
const VALIDITY_SECONDS = 3_600n;

export type PayoutAction = "release" | "refund";
const PRIMARY = { release: "Release", refund: "Refund" } as const;

export interface ActionTypedData {
  domain: { name: string; version: string; chainId: string; verifyingContract: string };
  types: Record<string, { name: string; type: string }[]>;
  primaryType: "Release" | "Refund";
  message: { escrowId: string; amount: string; nonce: string; validBefore: string };
}

async function validBeforeFor(ctx: Pick<Context, "db">, chain: string): Promise<bigint> {
  const chainTime = (await selectLatestChainTime(ctx.db, chain)) ?? 0n;
  const now = BigInt(Math.floor(Date.now() / 1000));
  return (chainTime > now ? chainTime : now) + VALIDITY_SECONDS;
}

/** eth_signTypedData_v4 input: a fresh random nonce (the vault's nonces are a bitmap, any unused one works). */
export async function actionTypedData(ctx: Pick<Context, "db">, chain: InvoiceChain, escrow: EscrowProjection, action: PayoutAction, amount: bigint): Promise<ActionTypedData> {
  const domain = vaultTypedDataDomain(chain.chainId, getAddress(escrow.vault));
  const primaryType = PRIMARY[action];
  return {
    domain: { name: String(domain.name), version: String(domain.version), chainId: String(domain.chainId), verifyingContract: String(domain.verifyingContract) },
    types: {
      EIP712Domain: [
        { name: "name", type: "string" },
        { name: "version", type: "string" },
        { name: "chainId", type: "uint256" },
        { name: "verifyingContract", type: "address" },
      ],
      [primaryType]: [...ACTION_TYPES[primaryType]],
    },
    primaryType,
    message: { escrowId: escrow.escrowId, amount: amount.toString(), nonce: BigInt(`0x${randomBytes(8).toString("hex")}`).toString(), validBefore: (await validBeforeFor(ctx, escrow.chain)).toString() },
  };
}

export async function submitAction(
  ctx: Context,
  input: { chain: string; escrowId: string; action: PayoutAction; amount: bigint; authorization: { signer: string; nonce: bigint; validBefore: bigint; signature: string } },
): Promise<string> {
  const { actionId } = await enqueueSignedAction(ctx, { chain: input.chain, escrowId: input.escrowId, action: input.action, amount: input.amount, authorization: input.authorization });
  return actionId;
}

/** A refund signed with the relayer-held merchant key: only when that key is the escrow's payee. */
export async function refundWithMerchantKey(ctx: Context, masterKey: Buffer | undefined, merchantId: string, chain: InvoiceChain, escrow: EscrowProjection, amount: bigint): Promise<string> {
  const key = await selectSigningKey(ctx.db, merchantId);
  if (!masterKey || !key) throw new NonRetryableUserError("The relayer cannot sign for you here", { hints: ["Set RELAYER_MASTER_KEY, or sign with your wallet."] });
  if (key.address !== escrow.payee) {
    throw new NonRetryableUserError("This escrow pays your own payout address, not the relayer-held key", { hints: ["Sign the refund with your wallet (the button above)."] });
  }
  const wallet = new Wallet(openSecret(masterKey, key.encryptedKey, merchantId));
  const typed = await actionTypedData(ctx, chain, escrow, "refund", amount);
  const { EIP712Domain: _domain, ...types } = typed.types;
  const signature = await wallet.signTypedData(typed.domain, types, typed.message);
  return submitAction(ctx, {
    chain: escrow.chain,
    escrowId: escrow.escrowId,
    action: "refund",
    amount,
    authorization: { signer: key.address, nonce: BigInt(typed.message.nonce), validBefore: BigInt(typed.message.validBefore), signature },
  });
}
