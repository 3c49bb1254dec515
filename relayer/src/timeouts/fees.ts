import type { TxFees } from "../chains/writer.js";

/** A replacement pays at least this much more (basis points): nodes want +10%, we add head-room. */
export const FEE_BUMP_BPS = 1_250n;
const BPS = 10_000n;

const bump = (value: bigint) => (value * (BPS + FEE_BUMP_BPS) + BPS - 1n) / BPS;

/**
 * Fees for a transaction replacing a stuck one with the same nonce: both EIP-1559 fields raised by at
 * least FEE_BUMP_BPS, or to what the node suggests now if that is higher. Null when the result would
 * pass `capWei` (the operator's ceiling): the old transaction keeps waiting.
 */
export function bumpedFees(previous: TxFees, suggested: TxFees, capWei?: bigint): TxFees | null {
  if (previous.kind !== "evm" || suggested.kind !== "evm") return null;
  const maxPriorityFeePerGas = max(bump(previous.maxPriorityFeePerGas), suggested.maxPriorityFeePerGas);
  const maxFeePerGas = max(bump(previous.maxFeePerGas), suggested.maxFeePerGas, maxPriorityFeePerGas);
  if (capWei !== undefined && maxFeePerGas > capWei) return null;
  return { kind: "evm", maxFeePerGas, maxPriorityFeePerGas };
}

function max(...values: bigint[]): bigint {
  return values.reduce((a, b) => (b > a ? b : a));
}
