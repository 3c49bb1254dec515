import { TypedDataEncoder, ZeroAddress, ZeroHash } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { INVOICE_TYPES } from "../../helpers";
import { TimeoutAction, type InvoiceRecord, type InvoiceTerms, type VaultModel } from "../model";
import type { Cast, VaultDriver } from "./driver";
import { hex } from "./lens";
import { anybody, hasInvoice, type VaultCommand } from "./picks";

/** The invoice's arbiter: none, an arbiter of the cast, the merchant itself (a conflict), or any actor. */
export type ArbiterPick = { kind: "none" } | { kind: "arbiter"; index: number } | { kind: "merchant" } | { kind: "actor"; index: number };

export interface CreateInvoiceParams {
  merchant: number;
  token: number;
  amount: bigint;
  /** Seconds from now to pay-by; negative: already expired. */
  payIn: bigint;
  holdPeriod: bigint;
  refundOnTimeout: boolean;
  arbiter: ArbiterPick;
  /** Restricts who may pay: an actor, or null for anyone. */
  payer: number | null;
  forged: boolean;
  /** Pay it at once, from this actor (most invoices are paid soon after they are signed). */
  payNow: number | null;
}

function resolveArbiter(cast: Cast, merchant: HardhatEthersSigner, a: ArbiterPick): string {
  return a.kind === "none"
    ? ZeroAddress
    : a.kind === "merchant"
      ? merchant.address
      : a.kind === "arbiter"
        ? cast.arbiters[a.index % cast.arbiters.length].address
        : cast.actors[a.index % cast.actors.length].address;
}

/** The terms for the model's next invoice; reference and nonce count invoices, so every id is new. */
function invoiceTerms(m: VaultModel, cast: Cast, merchant: HardhatEthersSigner, p: CreateInvoiceParams): InvoiceTerms {
  return {
    merchant: merchant.address,
    token: cast.tokens[p.token % cast.tokens.length].address,
    amount: p.amount,
    payBy: m.now + p.payIn,
    holdPeriod: p.holdPeriod,
    timeoutAction: p.refundOnTimeout ? TimeoutAction.Refund : TimeoutAction.Release,
    arbiter: resolveArbiter(cast, merchant, p.arbiter),
    payer: p.payer === null ? ZeroAddress : cast.actors[p.payer % cast.actors.length].address,
    merchantReference: ZeroHash.slice(0, -8) + hex(m.invoices.length, 4),
    nonce: BigInt(m.invoices.length),
  };
}

/** The merchant signs an invoice off-chain (no transaction). */
export class CreateInvoice implements VaultCommand {
  constructor(readonly p: CreateInvoiceParams) {}
  check = () => true;
  async run(m: VaultModel, r: VaultDriver): Promise<void> {
    const cast = r.cast;
    const merchant = cast.merchants[this.p.merchant % cast.merchants.length];
    const terms = invoiceTerms(m, cast, merchant, this.p);
    const signer = this.p.forged ? cast.forger : merchant;
    const signature = await signer.signTypedData(cast.domain, INVOICE_TYPES, terms);
    const id = TypedDataEncoder.hash(cast.domain, INVOICE_TYPES, terms);
    const invoice: InvoiceRecord = { id, terms, validSignature: !this.p.forged };
    m.addInvoice(invoice);
    r.signatures.set(id, signature);
    if (this.p.payNow === null) await r.checkInvariants(m, false);
    else await pay(m, r, invoice, r.cast.actors[this.p.payNow % r.cast.actors.length].address);
  }
  toString = () =>
    `create(merchant#${this.p.merchant}, token#${this.p.token}, ${this.p.amount}, payIn ${this.p.payIn}s, hold ${this.p.holdPeriod}s, ${
      this.p.refundOnTimeout ? "Refund" : "Release"
    }, arbiter ${this.p.arbiter.kind}${"index" in this.p.arbiter ? `#${this.p.arbiter.index}` : ""}, payer ${
      this.p.payer ?? "anyone"
    }${this.p.forged ? ", forged" : ""})${this.p.payNow === null ? "" : ` + pay(by actor#${this.p.payNow})`}`;
}

async function pay(m: VaultModel, r: VaultDriver, invoice: InvoiceRecord, payer: string): Promise<void> {
  const pausedBefore = m.paused;
  const actual = await r.act(m, "pay", payer, "payInvoice", [invoice.terms, r.signatures.get(invoice.id)], () =>
    m.payInvoice(invoice, payer),
  );
  // Invariant 4: pausing stops new money coming in.
  if (pausedBefore && actual.ok) throw new Error("invariant 4: an invoice was paid while deposits were paused");
  if (pausedBefore && !actual.ok && actual.error === "DepositsArePaused") m.count("pay refused while paused");
}

export class PayInvoice implements VaultCommand {
  constructor(readonly p: { invoice: number; payer: number }) {}
  check = hasInvoice;
  async run(m: VaultModel, r: VaultDriver): Promise<void> {
    const invoice = m.invoices[this.p.invoice % m.invoices.length];
    await pay(m, r, invoice, r.cast.actors[this.p.payer % r.cast.actors.length].address);
  }
  toString = () => `pay(invoice#${this.p.invoice}, by actor#${this.p.payer})`;
}

export class CancelInvoice implements VaultCommand {
  constructor(readonly p: { invoice: number; byMerchant: boolean; other: number }) {}
  check = hasInvoice;
  async run(m: VaultModel, r: VaultDriver): Promise<void> {
    const invoice = m.invoices[this.p.invoice % m.invoices.length];
    const caller = this.p.byMerchant ? invoice.terms.merchant : anybody(r.cast, this.p.other);
    await r.act(m, "cancel", caller, "cancelInvoice", [invoice.terms], () => m.cancelInvoice(invoice, caller));
  }
  toString = () => `cancel(invoice#${this.p.invoice}, by ${this.p.byMerchant ? "merchant" : `anybody#${this.p.other}`})`;
}
