import { TimeoutAction, feeOn, type ExpectedEvent } from "../model";

/** One escrow's money trail. */
interface LedgerEntry {
  funded: bigint;
  feeBps: bigint;
  released: bigint;
  fees: bigint;
  toPayee: bigint;
  toPayer: bigint;
}

/**
 * Per escrow, the money trail as the chain's own events tell it (invariant 3). It books the events
 * alone, not the model's records, so its bounds hold whatever the model predicted.
 */
export class EventLedger {
  private readonly entries = new Map<string, LedgerEntry>();

  /** Invariant 3 from the chain's own events: fees rounded up per release, nobody paid beyond the escrow. */
  record(events: readonly ExpectedEvent[]): void {
    for (const { name, args } of events) {
      const id = args[0] as string;
      if (name === "EscrowOpened") {
        this.entries.set(id, {
          funded: args[5] as bigint,
          feeBps: args[8] as bigint,
          released: 0n,
          fees: 0n,
          toPayee: 0n,
          toPayer: 0n,
        });
        continue;
      }
      const entry = this.entries.get(id);
      if (!entry) continue;
      applyPayout(entry, name, args);
      if (entry.toPayer > entry.funded) {
        throw new Error(`invariant 3: escrow ${id} refunded ${entry.toPayer}, more than the ${entry.funded} funded`);
      }
      if (entry.toPayee + entry.fees + entry.toPayer > entry.funded) {
        throw new Error(`invariant 3: escrow ${id} paid out more than the ${entry.funded} funded`);
      }
    }
  }

  /** Invariant 3 once everything is closed: per escrow, payee + fees + payer add up to exactly the funded amount. */
  assertSettled(): void {
    for (const [id, entry] of this.entries) {
      if (entry.toPayee + entry.fees + entry.toPayer !== entry.funded) {
        throw new Error(
          `invariant 3: escrow ${id} funded ${entry.funded} but paid ${entry.toPayee} + ${entry.fees} fees + ${entry.toPayer} refunded`,
        );
      }
    }
  }
}

/** Books one vault event that pays out of an escrow; other events leave the entry as it is. */
function applyPayout(entry: LedgerEntry, name: string, args: readonly unknown[]): void {
  if (name === "EscrowReleased") payPayee(entry, args[1] as bigint, args[2] as bigint, name);
  if (name === "EscrowRefunded") entry.toPayer += args[1] as bigint;
  if (name === "EscrowResolved") {
    payPayee(entry, args[1] as bigint, args[2] as bigint, name);
    entry.toPayer += args[3] as bigint;
  }
  if (name === "EscrowTimedOut") {
    if (args[1] === TimeoutAction.Release) payPayee(entry, args[2] as bigint, args[3] as bigint, name);
    else {
      if (args[3] !== 0n) throw new Error(`invariant 3: ${name} refund charged a fee of ${args[3]}`);
      entry.toPayer += args[2] as bigint;
    }
  }
}

function payPayee(entry: LedgerEntry, gross: bigint, fee: bigint, name: string): void {
  const expectedFee = feeOn(gross, entry.feeBps);
  if (fee !== expectedFee) throw new Error(`invariant 3: ${name} of ${gross} charged fee ${fee}, not ${expectedFee}`);
  entry.released += gross;
  entry.fees += fee;
  entry.toPayee += gross - fee;
  if (entry.toPayee > entry.released - entry.fees) throw new Error("invariant 3: payee got more than released minus fee");
}
