import type { ChainHead, ChainWriter, SignedTx, TxCall, TxFees, TxReceipt } from "../chains/writer.js";
import { NonceTooLowError, UnderpricedError } from "../chains/writer.js";
import { isRetryable } from "../common/errors.js";
import type { Logger } from "../common/logger.js";
import type { JournalRow, NewTx, SignedFields, TimeoutsRepository, TxKind, TxSubject } from "../store/timeouts-repository.js";
import { timeoutOutcome } from "./batch.js";
import { sweepOutcome } from "./sweeps.js";
import { bumpedFees } from "./fees.js";

export interface JournalOptions {
  chain: string;
  /** Blocks on top of a receipt's block before `mined` becomes `confirmed` (1 = the receipt's block itself). */
  confirmations: number;
  /** An EVM transaction unmined this long (wall clock) is replaced with bumped fees. */
  stuckAfterMs: number;
  /** Never bump maxFeePerGas above this. Default: no ceiling. */
  maxFeePerGasCapWei?: bigint;
  /** TRON fee limit. */
  feeLimitSun?: bigint;
  /** Overrides the node's fee suggestion (tests, fixed-fee chains). */
  fees?: () => Promise<TxFees>;
  now: () => number;
}

export interface Journal {
  /** Brings every open row one step closer to a final state; returns how many rows it touched. */
  reconcile(): Promise<number>;
  /** Journals, signs and broadcasts a call; null when another transaction holds one of its subjects. */
  submit(kind: TxKind, call: TxCall, subjects: TxSubject[], onReserved?: (row: JournalRow) => Promise<void>): Promise<JournalRow | null>;
}

/**
 * The transaction journal's state machine: intended -> signed -> sent -> mined -> confirmed, with
 * replaced and failed on the side. The signed bytes are stored before they leave the process, so a
 * restart rebroadcasts the same transaction (same hash) instead of building another.
 */
export function createJournal(params: { writer: ChainWriter; store: TimeoutsRepository; options: JournalOptions; log: Logger }): Journal {
  const { writer, store, options, log } = params;
  const { chain } = options;
  const sender = writer.address;
  const fees = () => (options.fees ? options.fees() : writer.suggestFees());

  const signedFields = (signed: SignedTx, f: TxFees): SignedFields => ({
    rawTx: signed.raw,
    txHash: signed.hash,
    gasLimit: signed.gasLimit,
    maxFeePerGas: f.kind === "evm" ? f.maxFeePerGas : null,
    maxPriorityFeePerGas: f.kind === "evm" ? f.maxPriorityFeePerGas : null,
    feeLimitSun: f.kind === "tron" ? f.feeLimitSun : null,
    expiresAtMs: signed.expiresAtMs,
  });

  /** Next nonce: the journal's, unless the key was used elsewhere (then the node's: resync). */
  async function nextNonce(): Promise<number | null> {
    const pending = await writer.getPendingNonce();
    if (pending === null) return null;
    const maxLive = await store.maxLiveNonce(chain, sender);
    const journalNext = maxLive === null ? pending : maxLive + 1;
    if (pending > journalNext) log.warn({ pending_nonce: pending, journal_nonce: journalNext }, "Operator key was used outside the relayer; resyncing the nonce");
    return Math.max(pending, journalNext);
  }

  async function signRow(row: JournalRow): Promise<JournalRow | null> {
    const f = await fees();
    let signed: SignedTx;
    try {
      signed = await writer.buildAndSign({ to: row.to, data: row.data }, { nonce: row.nonce, fees: f });
    } catch (error) {
      if (isRetryable(error)) throw error;
      // The call would revert or cannot be built: nothing left the process, so the nonce is free again.
      await store.markFailed(row.id, (error as Error).message, { actionFailed: true });
      log.warn({ tx_id: row.id, kind: row.kind, err: error }, "Transaction not sent: it would fail");
      return null;
    }
    await store.markSigned(row.id, signedFields(signed, f));
    return { ...row, state: "signed", rawTx: signed.raw, txHash: signed.hash };
  }

  async function broadcastRow(row: JournalRow): Promise<void> {
    try {
      await writer.broadcast(row.rawTx!);
      await store.markSent(row.id);
      log.info({ tx_id: row.id, tx_hash: row.txHash, nonce: row.nonce, kind: row.kind }, "Sent transaction");
    } catch (error) {
      // A node that mined it while answering with an error (or a crash between send and mark) is fine.
      if ((await writer.getReceipt(row.txHash!)) || (await writer.isKnown(row.txHash!))) return store.markSent(row.id);
      if (error instanceof NonceTooLowError) return resolveUsedNonce(row);
      if (error instanceof UnderpricedError) {
        log.warn({ tx_id: row.id, nonce: row.nonce }, "A transaction with this nonce pays more; waiting");
        return;
      }
      throw error;
    }
  }

  /** The node mined this nonce already: one of our rows for it has a receipt, or someone else used it. */
  async function resolveUsedNonce(row: JournalRow): Promise<void> {
    for (const sibling of await store.listByNonce(chain, sender, row.nonce!)) {
      if (!sibling.txHash || !(await writer.getReceipt(sibling.txHash))) continue;
      if (sibling.id === row.id) return; // mined just now: the next reconcile records it
      {
        await store.revive(sibling.id, row.id);
        log.info({ tx_id: sibling.id, replacement_id: row.id }, "The replaced transaction was mined first");
        return;
      }
    }
    await store.markFailed(row.id, `nonce ${row.nonce} was used by a transaction the relayer did not send`);
    log.warn({ tx_id: row.id, nonce: row.nonce }, "Nonce used outside the relayer; the work will be sent again");
  }

  async function recordReceipt(row: JournalRow, receipt: TxReceipt, head: ChainHead): Promise<void> {
    const outcome = row.kind === "timeouts" ? timeoutOutcome(row.to, row.data, receipt) : row.kind === "sweeps" ? sweepOutcome(row.to, receipt) : null;
    if (!receipt.success) {
      await store.markFailed(row.id, "the transaction reverted", { actionFailed: true, outcome });
      log.warn({ tx_id: row.id, tx_hash: row.txHash, block: receipt.blockNumber }, "Transaction reverted");
      return;
    }
    await store.markMined(row.id, { blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, outcome });
    if (receipt.final || head.number - receipt.blockNumber + 1 >= options.confirmations) {
      await store.markConfirmed(row.id);
      log.info({ tx_id: row.id, tx_hash: row.txHash, block: receipt.blockNumber, ...(outcome ?? {}) }, "Transaction confirmed");
    }
  }

  async function checkSent(row: JournalRow, head: ChainHead): Promise<void> {
    const receipt = await writer.getReceipt(row.txHash!);
    if (receipt) return recordReceipt(row, receipt, head);
    if (writer.kind === "tron") {
      // No nonces to fill: an expired transaction can never be included, so its work is rebuilt.
      if (row.expiresAtMs !== null && head.timestamp * 1000 > row.expiresAtMs) await store.markFailed(row.id, "expired before it was confirmed");
      return;
    }
    const mined = await writer.getMinedNonce();
    if (mined !== null && mined > row.nonce!) return resolveUsedNonce(row);
    if (!(await writer.isKnown(row.txHash!))) {
      log.warn({ tx_id: row.id, nonce: row.nonce }, "Node dropped the transaction; sending it again");
      return broadcastRow(row);
    }
    if (row.sentAt && options.now() - row.sentAt.getTime() >= options.stuckAfterMs) await replaceRow(row);
  }

  async function replaceRow(row: JournalRow): Promise<void> {
    const previous: TxFees = { kind: "evm", maxFeePerGas: row.maxFeePerGas!, maxPriorityFeePerGas: row.maxPriorityFeePerGas! };
    const next = bumpedFees(previous, await fees(), options.maxFeePerGasCapWei);
    if (!next) {
      log.warn({ tx_id: row.id, nonce: row.nonce }, "Stuck transaction not bumped: the fee cap is reached");
      return;
    }
    const signed = await writer.buildAndSign({ to: row.to, data: row.data, gasLimit: row.gasLimit ?? undefined }, { nonce: row.nonce, fees: next });
    const replacement = await store.replace(row.id, signedFields(signed, next));
    log.info({ tx_id: row.id, replacement_id: replacement.id, nonce: row.nonce, max_fee_per_gas: next.kind === "evm" ? next.maxFeePerGas.toString() : undefined }, "Replacing stuck transaction");
    await broadcastRow(replacement);
  }

  async function checkMined(row: JournalRow, head: ChainHead): Promise<void> {
    const receipt = await writer.getReceipt(row.txHash!);
    if (!receipt || receipt.blockHash !== row.blockHash) {
      await store.markUnmined(row.id);
      log.warn({ tx_id: row.id, block: row.blockNumber }, "Transaction's block was reorganised away");
      return;
    }
    if (receipt.final || head.number - receipt.blockNumber + 1 >= options.confirmations) await store.markConfirmed(row.id);
  }

  /** Nonces below the journal's highest live one with no live row (a crash between reserve and sign). */
  async function fillGaps(): Promise<number> {
    const mined = await writer.getMinedNonce();
    const maxLive = await store.maxLiveNonce(chain, sender);
    if (mined === null || maxLive === null || mined > maxLive) return 0;
    const live = new Set(await store.liveNonces(chain, sender, mined));
    let filled = 0;
    for (let nonce = mined; nonce < maxLive; nonce++) {
      if (live.has(nonce)) continue;
      const row = await store.insertIntended({ chain, sender, kind: "nonce_fill", to: sender, data: "0x", nonce, subjects: [] });
      if (!row) continue;
      const signed = await signRow(row);
      if (signed) await broadcastRow(signed);
      log.warn({ nonce }, "Filled a nonce gap with a zero-value transfer to the operator");
      filled++;
    }
    return filled;
  }

  return {
    async reconcile() {
      const open = await store.listOpen(chain, sender);
      const head = await writer.getChainTime();
      for (const row of open) {
        if (row.state === "intended") {
          const signed = await signRow(row);
          if (signed) await broadcastRow(signed);
        } else if (row.state === "signed") await broadcastRow(row);
        else if (row.state === "sent") await checkSent(row, head);
        else if (row.state === "mined") await checkMined(row, head);
      }
      return open.length + (await fillGaps());
    },
    async submit(kind, call, subjects, onReserved) {
      const nonce = await nextNonce();
      const tx: NewTx = { chain, sender, kind, to: call.to, data: call.data, nonce, subjects };
      const row = await store.insertIntended(tx);
      if (!row) return null;
      await onReserved?.(row);
      const signed = await signRow(row);
      if (!signed) return null;
      await broadcastRow(signed);
      return signed;
    },
  };
}
