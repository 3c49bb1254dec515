import { randomBytes } from "node:crypto";
import { getAddress, isHexString, verifyTypedData } from "ethers";
import type { TxCall } from "../chains/writer.js";
import type { Context } from "../common/context.js";
import { NonRetryableUserError } from "../common/errors.js";
import { toVaultEscrow, type EscrowProjection } from "../domain/escrow.js";
import { createTimeoutsRepository, type SignedActionKind, type SignedActionRow } from "../store/timeouts-repository.js";
import { ACTION_TYPES, vaultTypedDataDomain } from "../../../scripts/lib/vault-typed-data.js";
import { vaultAbi } from "./batch.js";

/** An authorisation must stay valid at least this long after queueing, or it would expire in the mempool. */
export const MIN_VALIDITY_SECONDS = 120n;

export interface SignedActionInput {
  chain: string;
  escrowId: string;
  action: SignedActionKind;
  /** Gross amount for release/refund; default: everything remaining. Not used by dispute. */
  amount?: bigint;
  authorization: { signer: string; nonce: bigint; validBefore: bigint; signature: string };
}

const PRIMARY_TYPES = { release: "Release", refund: "Refund", dispute: "Dispute" } as const;

/**
 * Validates a party-signed action against the escrow projection, verifies its EIP-712 (TIP-712)
 * signature off-chain and queues it for the timeout driver of its chain. Refuses with a
 * NonRetryableUserError whose hints say what to fix; nothing is queued then.
 */
export async function enqueueSignedAction(ctx: Context, input: SignedActionInput, options: { nowSeconds?: bigint } = {}): Promise<{ actionId: string }> {
  const store = createTimeoutsRepository(ctx.db);
  const chain = await store.getChain(input.chain);
  if (!chain) throw refuse(`Chain "${input.chain}" has no transaction driver`, "Configure the chain with an operator key and start the relayer's timeout driver.");
  const escrowId = input.escrowId.toLowerCase();
  const escrow = await store.getEscrow(input.chain, escrowId);
  if (!escrow) throw refuse(`Escrow ${input.escrowId} is not known on ${input.chain}`, "Wait until the payment is confirmed, or check the escrow id.");
  const auth = normalizeAuthorization(input.authorization);
  const amount = input.action === "dispute" ? null : (input.amount ?? escrow.remaining);
  const now = options.nowSeconds ?? BigInt(Math.floor(Date.now() / 1000));
  checkAgainstEscrow(escrow, input.action, auth.signer, amount, now);
  if (auth.validBefore <= now + MIN_VALIDITY_SECONDS) {
    throw refuse(`The authorisation expires at ${auth.validBefore}, too soon to be mined`, `Sign again with validBefore at least ${MIN_VALIDITY_SECONDS} seconds ahead.`);
  }
  const domain = vaultTypedDataDomain(chain.chainId, getAddress(escrow.vault));
  const primary = PRIMARY_TYPES[input.action];
  const value = { escrowId, ...(amount === null ? {} : { amount }), nonce: auth.nonce, validBefore: auth.validBefore };
  let recovered: string;
  try {
    recovered = verifyTypedData(domain, { [primary]: [...ACTION_TYPES[primary]] }, value, auth.signature).toLowerCase();
  } catch (error) {
    throw refuse(`The signature is malformed: ${(error as Error).message}`, "Send the 65-byte signature (0x r s v) that eth_signTypedData_v4 returned.");
  }
  if (recovered !== auth.signer) {
    throw refuse(
      `The signature was made by ${recovered}, not by ${auth.signer}, or over different fields`,
      `Sign the ${primary} typed data (escrowId, ${amount === null ? "" : "amount, "}nonce, validBefore) with the ${input.action === "refund" ? "payee" : "payer"}'s key for vault ${escrow.vault} on chain id ${chain.chainId}.`,
    );
  }
  const actionId = `act_${randomBytes(12).toString("hex")}`;
  try {
    await store.insertAction({ id: actionId, chain: input.chain, escrowId, action: input.action, amount, ...auth });
  } catch (error) {
    if ((error as { code?: string }).code === "23505") throw refuse(`Nonce ${auth.nonce} of ${auth.signer} is already queued`, "Sign again with a fresh nonce.");
    throw error;
  }
  ctx.logger.info({ chain: input.chain, escrow_id: escrowId, action: input.action, action_id: actionId }, "Queued signed action");
  return { actionId };
}

function normalizeAuthorization(auth: SignedActionInput["authorization"]) {
  if (!/^0x[0-9a-fA-F]{40}$/.test(auth.signer)) throw refuse(`"${auth.signer}" is not a 0x address`, "Give the signer as 0x hex.");
  if (!isHexString(auth.signature)) throw refuse("The signature is not 0x hex", "Send the signature as 0x-prefixed hex.");
  return { signer: auth.signer.toLowerCase(), nonce: auth.nonce, validBefore: auth.validBefore, signature: auth.signature.toLowerCase() };
}

/** The vault's party rules (DESIGN.md §3), checked before anything is queued. */
function checkAgainstEscrow(escrow: EscrowProjection, action: SignedActionKind, signer: string, amount: bigint | null, now: bigint): void {
  const disputed = escrow.status === "disputed";
  if (escrow.status !== "open" && !disputed) throw refuse(`Escrow ${escrow.escrowId} is ${escrow.status}`, "Only open or disputed escrows accept actions.");
  if (amount !== null && (amount <= 0n || amount > escrow.remaining)) {
    throw refuse(`Amount ${amount} is outside 1…${escrow.remaining} (what remains in the escrow)`, "Ask for at most the remaining amount.");
  }
  const arbiterActs = disputed && signer === escrow.arbiter;
  if (action === "release" && !(arbiterActs || (!disputed && signer === escrow.payer))) {
    throw refuse(`${signer} may not release escrow ${escrow.escrowId}`, disputed ? "While disputed only the arbiter releases." : "Only the payer releases an open escrow.");
  }
  if (action === "refund" && !(arbiterActs || signer === escrow.payee)) {
    throw refuse(`${signer} may not refund escrow ${escrow.escrowId}`, "Only the payee refunds (or the arbiter while disputed).");
  }
  if (action === "dispute") {
    if (disputed) throw refuse(`Escrow ${escrow.escrowId} is already disputed`, "Wait for the arbiter's resolution.");
    if (/^0x0{40}$/.test(escrow.arbiter)) throw refuse(`Escrow ${escrow.escrowId} has no arbiter`, "Disputes need an invoice that names an arbiter.");
    if (signer !== escrow.payer && signer !== escrow.payee) throw refuse(`${signer} is neither payer nor payee`, "Only the payer or the payee can open a dispute.");
    if (now > escrow.deadline) throw refuse(`The deadline of escrow ${escrow.escrowId} has passed`, "Disputes are allowed only until the deadline.");
  }
}

/** The vault call that carries a queued action, built from the escrow as the vault currently hashes it. */
export function buildActionCall(escrow: EscrowProjection, action: SignedActionRow): TxCall {
  const auth = { signer: action.signer, nonce: action.nonce, validBefore: action.validBefore, signature: action.signature };
  const struct = toVaultEscrow(escrow);
  const data =
    action.action === "dispute"
      ? vaultAbi().encodeFunctionData("disputeWithSig", [action.escrowId, struct, auth])
      : vaultAbi().encodeFunctionData(action.action === "release" ? "releaseWithSig" : "refundWithSig", [action.escrowId, struct, action.amount ?? escrow.remaining, auth]);
  return { to: escrow.vault, data };
}

function refuse(message: string, hint: string): NonRetryableUserError {
  return new NonRetryableUserError(message, { hints: [hint] });
}
