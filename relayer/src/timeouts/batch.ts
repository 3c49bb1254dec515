import { Interface } from "ethers";
import type { TxCall, TxReceipt } from "../chains/writer.js";
import { toVaultEscrow, type EscrowProjection } from "../domain/escrow.js";
import { EscrowVault__factory } from "../../../typechain-types/index.js";

/** Escrows per executeTimeouts call: keeps one transaction well under block gas limits. */
export const MAX_TIMEOUT_BATCH = 50;

let vaultInterface: Interface | undefined;
/** The vault's ABI as an ethers Interface (typechain's is typed against ethers' CommonJS build). */
export function vaultAbi(): Interface {
  vaultInterface ??= new Interface(EscrowVault__factory.abi);
  return vaultInterface;
}

/** One executeTimeouts call for the given escrows, each passed back as the vault hashed it. */
export function buildTimeoutCall(vault: string, escrows: EscrowProjection[]): TxCall {
  const calls = escrows.map((escrow) => ({ escrowId: escrow.escrowId, escrow: toVaultEscrow(escrow) }));
  return { to: vault, data: vaultAbi().encodeFunctionData("executeTimeouts", [calls]) };
}

/** The escrow ids an executeTimeouts call carried, decoded back from its call data. */
export function escrowIdsOfTimeoutCall(data: string): string[] {
  const [calls] = vaultAbi().decodeFunctionData("executeTimeouts", data) as unknown as [{ escrowId: string }[]];
  return calls.map((call) => call.escrowId.toLowerCase());
}

/**
 * What a mined batch did: the vault skips escrows closed or changed meanwhile instead of reverting,
 * so "skipped" is an outcome, not an error.
 */
export function timeoutOutcome(vault: string, data: string, receipt: TxReceipt): { executed: string[]; skipped: string[] } {
  const topic = vaultAbi().getEvent("EscrowTimedOut")!.topicHash.toLowerCase();
  const executed = new Set(
    receipt.logs.filter((log) => log.address === vault && log.topics[0] === topic && log.topics[1]).map((log) => log.topics[1]!.toLowerCase()),
  );
  const ids = escrowIdsOfTimeoutCall(data);
  return { executed: ids.filter((id) => executed.has(id)), skipped: ids.filter((id) => !executed.has(id)) };
}
