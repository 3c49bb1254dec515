import { randomBytes } from "node:crypto";
import { Interface, keccak256, toUtf8Bytes, TypedDataEncoder, Wallet, ZeroAddress } from "ethers";
import { INVOICE_TYPES, TimeoutAction, vaultTypedDataDomain } from "../../../scripts/lib/vault-typed-data.js";
import { DepositRouter__factory, EscrowVault__factory } from "../../../typechain-types/index.js";
import type { Context } from "../common/context.js";
import { depositAddress } from "../../../scripts/lib/deposit-address.js";
import { depositToJson } from "../domain/deposit.js";
import { escrowToJson } from "../domain/escrow.js";
import {
  insertInvoice,
  markInvoiceExpired,
  selectExpirableInvoices,
  selectInvoice,
  selectInvoicePage,
  type InvoiceRecord,
  type InvoiceStatus,
  type StoredInvoice,
} from "../store/invoices-repository.js";
import { selectMerchantAddress, selectSigningKey } from "../store/merchants-repository.js";
import { InvalidInputError, NotFoundError, requireChain, SigningUnavailableError, type InvoiceChain } from "./chains.js";
import { openSecret } from "./keys.js";
import { depositPaymentUri } from "./payment-uri.js";

/** IEscrowVault's InvoiceBook.MAX_HOLD_PERIOD: ten years. */
export const MAX_HOLD_PERIOD_SECONDS = 3650 * 24 * 60 * 60;
/** payBy and holdPeriod are uint48 on chain. */
const MAX_UINT48 = 2n ** 48n - 1n;
const MAX_UINT256 = 2n ** 256n - 1n;
/** Invoices expired per `expireInvoices` call; the runtime calls again on its next tick. */
const EXPIRE_BATCH = 500;
const EVENT_ID_HEX_CHARS = 32;
/**
 * How long after pay-by a deposit address stays watched for late or repeated payments (an address
 * holding funds stays watched until they leave). Transfers later than this still sit at the address,
 * refundable on chain; the relayer just does not report them.
 */
export const DEPOSIT_WATCH_AFTER_PAY_BY_SECONDS = 30 * 24 * 60 * 60;

const ERC20 = new Interface(["function approve(address spender, uint256 amount) returns (bool)"]);
const VAULT = new Interface(EscrowVault__factory.abi);
const ROUTER = new Interface(DepositRouter__factory.abi);

export interface CreateInvoiceInput {
  chain: string;
  token: string;
  /** Decimal string in the token's smallest unit. */
  amount: string;
  /** Unix seconds; exactly one of payBy and expiresIn. */
  payBy?: number;
  expiresIn?: number;
  holdPeriod: number;
  timeoutAction: "release" | "refund";
  arbiter?: string;
  payer?: string;
  merchantReference: string;
  metadata?: Record<string, string>;
}

export interface InvoiceList {
  items: Record<string, unknown>[];
  nextCursor: string | null;
}

export interface Invoices {
  create(merchantId: string, input: CreateInvoiceInput): Promise<Record<string, unknown>>;
  get(merchantId: string, invoiceId: string): Promise<Record<string, unknown>>;
  list(
    merchantId: string,
    filter: { chain?: string; status?: InvoiceStatus[]; createdFrom?: Date; createdTo?: Date; limit: number; cursor?: string },
  ): Promise<InvoiceList>;
}

/**
 * The bytes32 `merchantReference` on chain: always keccak256 of the UTF-8 reference. Never the text
 * itself, which would publish order numbers or e-mail addresses on a public chain; the relayer keeps
 * the text and maps it back.
 */
export function merchantReferenceHash(reference: string): string {
  return keccak256(toUtf8Bytes(reference));
}

const eventId = (type: string, chain: string, invoiceId: string) => `evt_${keccak256(toUtf8Bytes(`${type}:${chain}:${invoiceId}`)).slice(2, 2 + EVENT_ID_HEX_CHARS)}`;

/** The struct exactly as signed and as payInvoice and sweepDeposit take it (hex addresses, also on TRON). */
export function signedStruct(invoice: InvoiceRecord) {
  return {
    merchant: invoice.merchantAddress,
    token: invoice.token,
    amount: invoice.amount,
    payBy: invoice.payBy,
    holdPeriod: invoice.holdPeriod,
    timeoutAction: invoice.timeoutAction === "release" ? TimeoutAction.Release : TimeoutAction.Refund,
    arbiter: invoice.arbiter,
    payer: invoice.payer,
    merchantReference: invoice.merchantReferenceHash,
    nonce: invoice.nonce,
  };
}

function domainOf(chain: InvoiceChain) {
  return vaultTypedDataDomain(chain.chainId, chain.vault);
}

/** Fields every representation shares, webhooks included. */
function invoiceSummary(invoice: InvoiceRecord & { depositAddress: string | null }, chain: InvoiceChain, publicUrl: string) {
  const optional = (hex: string) => (hex === ZeroAddress ? null : chain.formatAddress(hex));
  return {
    id: invoice.invoiceId,
    object: "invoice",
    chain: invoice.chain,
    vault: chain.formatAddress(invoice.vault),
    merchant: chain.formatAddress(invoice.merchantAddress),
    token: chain.formatAddress(invoice.token),
    amount: invoice.amount.toString(),
    payBy: Number(invoice.payBy),
    holdPeriod: Number(invoice.holdPeriod),
    timeoutAction: invoice.timeoutAction,
    arbiter: optional(invoice.arbiter),
    payer: optional(invoice.payer),
    merchantReference: invoice.merchantReference,
    metadata: invoice.metadata ?? {},
    checkoutUrl: `${publicUrl.replace(/\/+$/, "")}/pay/${invoice.invoiceId}`,
    depositAddress: invoice.depositAddress ? chain.formatAddress(invoice.depositAddress) : null,
  };
}

/** The invoice's deposit address, or null where the chain's vault has none. */
function depositAddressOf(chain: InvoiceChain, invoiceId: string): string | null {
  if (!chain.deposits) return null;
  return depositAddress({ prefix: chain.deposits.prefix, vault: chain.vault, invoiceId }).toLowerCase();
}

/** Scan-to-pay: where to send, what to encode in the QR code, and what has arrived. */
function depositJson(invoice: StoredInvoice, chain: InvoiceChain) {
  const deposit = invoice.deposit;
  if (!deposit) return null;
  const address = chain.formatAddress(deposit.depositAddress);
  // The merchant's (or its signer's) wallet sends this; the router allows it only to the stated refund address.
  const refundable = chain.deposits && invoice.payer !== ZeroAddress && deposit.balance > 0n && deposit.status !== "new" && deposit.status !== "processing";
  const refund = refundable
    ? {
        to: chain.formatAddress(chain.deposits!.router),
        method: "refund",
        args: [chain.formatAddress(invoice.payer)],
        data: ROUTER.encodeFunctionData("refund", [signedStruct(invoice), invoice.payer]),
      }
    : null;
  return {
    address,
    paymentUri: depositPaymentUri({ kind: chain.kind, chainId: chain.chainId, token: chain.formatAddress(deposit.token), depositAddress: address, amount: deposit.amount }),
    ...depositToJson(deposit, chain.formatAddress),
    refund,
  };
}

/** The API representation: summary, status, the signed invoice and how a wallet pays it. */
export function invoiceToJson(invoice: StoredInvoice, chain: InvoiceChain, publicUrl: string) {
  const struct = signedStruct(invoice);
  const json = { ...struct, amount: struct.amount.toString(), payBy: Number(struct.payBy), holdPeriod: Number(struct.holdPeriod), nonce: struct.nonce.toString() };
  const domain = domainOf(chain);
  const escrow = "escrow" in invoice && invoice.escrow ? escrowToJson(invoice.escrow, chain.formatAddress) : null;
  return {
    ...invoiceSummary({ ...invoice, depositAddress: invoice.deposit?.depositAddress ?? null }, chain, publicUrl),
    status: invoice.status,
    createdAt: invoice.createdAt.toISOString(),
    expiredAt: invoice.expiredAt?.toISOString() ?? null,
    signed: {
      domain: { ...domain, chainId: Number(domain.chainId) },
      types: INVOICE_TYPES,
      invoice: json,
      signature: invoice.signature,
      signer: chain.formatAddress(invoice.signerAddress),
    },
    payment: {
      steps: [
        { to: chain.formatAddress(invoice.token), method: "approve", args: [chain.formatAddress(invoice.vault), invoice.amount.toString()], data: ERC20.encodeFunctionData("approve", [invoice.vault, invoice.amount]) },
        { to: chain.formatAddress(invoice.vault), method: "payInvoice", args: [json, invoice.signature], data: VAULT.encodeFunctionData("payInvoice", [struct, invoice.signature]) },
      ],
    },
    escrow,
    deposit: depositJson(invoice, chain),
  };
}

function parseAmount(amount: string): bigint {
  const value = BigInt(amount);
  if (value <= 0n || value > MAX_UINT256) throw new InvalidInputError("amount out of range", [{ path: "amount", message: "must be between 1 and 2^256-1" }]);
  return value;
}

function payByOf(input: CreateInvoiceInput, nowSeconds: number): bigint {
  if ((input.payBy === undefined) === (input.expiresIn === undefined)) {
    throw new InvalidInputError("Give exactly one of payBy and expiresIn", [{ path: "payBy", message: "give exactly one of payBy (unix seconds) and expiresIn (seconds)" }]);
  }
  const payBy = BigInt(input.payBy ?? nowSeconds + input.expiresIn!);
  if (payBy <= BigInt(nowSeconds) || payBy > MAX_UINT48) {
    throw new InvalidInputError("payBy must be in the future", [{ path: input.payBy === undefined ? "expiresIn" : "payBy", message: "must be in the future (unix seconds)" }]);
  }
  return payBy;
}

export function createInvoices(
  ctx: Pick<Context, "db" | "logger">,
  options: { masterKey?: Buffer; chains: Map<string, InvoiceChain>; publicUrl: string; clock?: () => Date },
): Invoices {
  const { db } = ctx;
  const clock = options.clock ?? (() => new Date());
  const chainOf = (name: string) => requireChain(options.chains, name);
  const toJson = (invoice: StoredInvoice) => invoiceToJson(invoice, chainOf(invoice.chain), options.publicUrl);

  const signer = async (merchantId: string): Promise<Wallet> => {
    if (!options.masterKey) throw new SigningUnavailableError("RELAYER_MASTER_KEY is not set: invoices cannot be signed");
    const sealed = await selectSigningKey(db, merchantId);
    if (!sealed) throw new NotFoundError(`Merchant ${merchantId} has no signing key`);
    return new Wallet(openSecret(options.masterKey, sealed.encryptedKey, merchantId));
  };

  return {
    async create(merchantId, input) {
      const chain = chainOf(input.chain);
      const merchantAddress = await selectMerchantAddress(db, merchantId, chain.name);
      if (!merchantAddress) throw new InvalidInputError(`The merchant has no address on ${chain.name}`, [{ path: "chain", message: "the merchant does not sell on this chain" }]);
      const arbiter = input.arbiter === undefined ? ZeroAddress : chain.parseAddress(input.arbiter, "arbiter");
      const payer = input.payer === undefined ? ZeroAddress : chain.parseAddress(input.payer, "payer");
      if (arbiter !== ZeroAddress && (arbiter === merchantAddress || arbiter === payer)) {
        throw new InvalidInputError("The arbiter cannot be a party", [{ path: "arbiter", message: "must differ from the merchant and the payer" }]);
      }
      const wallet = await signer(merchantId);
      const record: InvoiceRecord = {
        chain: chain.name,
        invoiceId: "",
        merchantId,
        vault: chain.vault,
        merchantAddress,
        signerAddress: wallet.address.toLowerCase(),
        token: chain.parseAddress(input.token, "token"),
        amount: parseAmount(input.amount),
        payBy: payByOf(input, Math.floor(clock().getTime() / 1000)),
        holdPeriod: BigInt(input.holdPeriod),
        timeoutAction: input.timeoutAction,
        arbiter,
        payer,
        merchantReference: input.merchantReference,
        merchantReferenceHash: merchantReferenceHash(input.merchantReference),
        // Random, so two invoices with equal terms still get different ids and nothing coordinates nonces.
        nonce: BigInt(`0x${randomBytes(16).toString("hex")}`),
        signature: "",
        metadata: input.metadata ?? null,
      };
      const struct = signedStruct(record);
      record.invoiceId = TypedDataEncoder.hash(domainOf(chain), INVOICE_TYPES, struct).toLowerCase();
      record.signature = await wallet.signTypedData(domainOf(chain), INVOICE_TYPES, struct);
      const deposit = depositAddressOf(chain, record.invoiceId);
      const payload = { ...invoiceSummary({ ...record, depositAddress: deposit }, chain, options.publicUrl), invoiceId: record.invoiceId, status: "created" };
      const terms = deposit
        ? {
            terms: { chain: chain.name, invoiceId: record.invoiceId, vault: chain.vault, merchant: merchantAddress, depositAddress: deposit, token: record.token, amount: record.amount, payBy: record.payBy },
            watchUntil: record.payBy + BigInt(DEPOSIT_WATCH_AFTER_PAY_BY_SECONDS),
          }
        : undefined;
      await insertInvoice(db, record, { id: eventId("invoice.created", chain.name, record.invoiceId), type: "invoice.created", payload }, terms);
      ctx.logger.info({ merchant_id: merchantId, chain: chain.name, invoice_id: record.invoiceId }, "Created invoice");
      const stored = await selectInvoice(db, merchantId, record.invoiceId, chain.name);
      return toJson(stored!);
    },

    async get(merchantId, invoiceId) {
      const invoice = await selectInvoice(db, merchantId, invoiceId);
      if (!invoice) throw new NotFoundError(`Invoice ${invoiceId} not found`);
      return toJson(invoice);
    },

    async list(merchantId, filter) {
      const before = filter.cursor === undefined ? undefined : decodeInvoiceCursor(filter.cursor);
      const page = await selectInvoicePage(db, { ...filter, merchantId, ...(before === undefined ? {} : { before }) });
      const last = page.items[page.items.length - 1];
      return { items: page.items.map(toJson), nextCursor: page.hasMore && last ? Buffer.from(`inv:${last.position}`).toString("base64url") : null };
    },
  };
}

/** Cursors are opaque to clients: base64url of "inv:<position>". */
export function decodeInvoiceCursor(cursor: string): bigint | undefined {
  const match = /^inv:([0-9]{1,19})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match) throw new InvalidInputError("Invalid cursor", [{ path: "cursor", message: "pass back nextCursor from the previous page unchanged" }]);
  return BigInt(match[1]!);
}

/**
 * Marks the chain's unpaid invoices whose payBy is before `chainTimeSeconds` expired and emits
 * `invoice.expired` for each. Pass the time of the block ingestion has reached (not the chain head):
 * a payment in an earlier block is then already ingested and the invoice is not expired wrongly.
 */
export async function expireInvoices(ctx: Pick<Context, "db" | "logger">, chain: string, chainTimeSeconds: bigint | number): Promise<number> {
  const due = await selectExpirableInvoices(ctx.db, chain, BigInt(chainTimeSeconds), EXPIRE_BATCH);
  let expired = 0;
  for (const invoice of due) {
    const payload = {
      invoiceId: invoice.invoiceId,
      chain,
      merchantReference: invoice.merchantReference,
      metadata: invoice.metadata ?? {},
      payBy: Number(invoice.payBy),
      chainTime: Number(chainTimeSeconds),
      status: "expired",
    };
    if (await markInvoiceExpired(ctx.db, invoice, { id: eventId("invoice.expired", chain, invoice.invoiceId), type: "invoice.expired", payload })) expired++;
  }
  if (expired > 0) ctx.logger.info({ chain, count: expired }, "Expired unpaid invoices");
  return expired;
}
