import { z } from "zod";
import { ORDER_STATUSES } from "../domain/p2p-order.js";

/**
 * Request and response shapes of the P2P routes (/v1/p2p/…), validated here and published in the
 * OpenAPI document like every other route's. Objects are strict: unknown fields are a 400.
 */

const MAX_UINT256_DIGITS = 78;
const MAX_PAGE_SIZE = 100;
const MAX_LIST_ITEMS = 20;

const address = z.string().min(1).max(64).regex(/^[0-9A-Za-z]+$/, "must be an address: 0x hex, or base58 T… on TRON");
const chainName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "a configured chain name");
const amount = z.string().regex(/^[1-9][0-9]*$/, "a positive integer in the token's smallest unit, as a decimal string").max(MAX_UINT256_DIGITS).transform(BigInt);
const currency = z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 currency code such as EUR");
const method = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, "a fiat method name: lower-case letters, digits, - and _ (e.g. sepa)");
const rate = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,11})(\.[0-9]{1,12})?$/, "fiat per whole token as a decimal string, e.g. 0.9231")
  .refine((r) => /[1-9]/.test(r), "must be above zero");
const reference = z.string().min(1).max(200);
const limit = z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50);
const cursor = z.string().min(1).max(256).regex(/^[A-Za-z0-9_-]+$/, "pass back nextCursor unchanged");
const commaList = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .max(200)
    .transform((value) => value.split(","))
    .pipe(z.array(item).min(1));

const terms = {
  minAmount: amount.meta({ description: "Smallest order, token units" }),
  maxAmount: amount.meta({ description: "Largest order, token units" }),
  dailyLimit: amount.meta({ description: "Matched volume per UTC day, token units" }),
  maxOpenOrders: z.number().int().min(1).max(1_000).meta({ description: "Velocity: live orders at once" }),
  maxOrdersPerHour: z.number().int().min(1).max(10_000).meta({ description: "Velocity: matches in any rolling hour" }),
  fiatMethods: z.array(method).min(1).max(MAX_LIST_ITEMS),
  fiatCurrencies: z.array(currency).min(1).max(MAX_LIST_ITEMS),
  rates: z.record(currency, rate).meta({ description: "Fiat per whole token by currency, decimal strings", example: { EUR: "0.9231" } }),
  online: z.boolean(),
  autoAccept: z.boolean().meta({ description: "Matched orders go straight to reservation, without an accept call" }),
};

export const registerAcceptorBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    reference: reference.meta({ description: "Your id for the acceptor; unique per platform" }),
    chain: chainName,
    address: address.meta({ description: "The acceptor's account on the AcceptorDesk (where its liquidity is)" }),
    ...terms,
    maxOpenOrders: terms.maxOpenOrders.default(5),
    maxOrdersPerHour: terms.maxOrdersPerHour.default(30),
    online: terms.online.default(false),
    autoAccept: terms.autoAccept.default(false),
  })
  .meta({ id: "RegisterAcceptor" });

export const updateAcceptorBody = z
  .strictObject({
    minAmount: terms.minAmount.optional(),
    maxAmount: terms.maxAmount.optional(),
    dailyLimit: terms.dailyLimit.optional(),
    maxOpenOrders: terms.maxOpenOrders.optional(),
    maxOrdersPerHour: terms.maxOrdersPerHour.optional(),
    fiatMethods: terms.fiatMethods.optional(),
    fiatCurrencies: terms.fiatCurrencies.optional(),
    rates: terms.rates.optional(),
    online: terms.online.optional(),
    autoAccept: terms.autoAccept.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, "name at least one term to change")
  .meta({ id: "UpdateAcceptor" });

export const onlineBody = z.strictObject({ online: z.boolean() }).meta({ id: "AcceptorOnline" });

export const blockBody = z
  .strictObject({
    kind: z.enum(["user", "address"]),
    value: z.string().min(1).max(200).meta({ description: "The user reference, or an address (then give its chain)" }),
    chain: chainName.optional(),
    reason: z.string().max(500).default(""),
  })
  .meta({ id: "BlocklistEntry" });
export const unblockBody = z.strictObject({ kind: z.enum(["user", "address"]), value: z.string().min(1).max(200), chain: chainName.optional() }).meta({ id: "BlocklistRemoval" });

export const createOrderBody = z
  .strictObject({
    kind: z.enum(["deposit", "withdrawal"]).meta({ description: "deposit: the user buys USDT from an acceptor; withdrawal: the user sells" }),
    chain: chainName,
    token: address,
    amount,
    tokenDecimals: z.number().int().min(0).max(36).default(6).meta({ description: "The token's decimals, for the fiat amount. Default: 6 (USDT)" }),
    reference: reference.meta({ description: "Your order id; unique per platform" }),
    userReference: z.string().min(1).max(200).meta({ description: "Your user's id: velocity limits and the blocklist apply to it" }),
    beneficiary: address.meta({ description: "Deposit: receives the USDT. Withdrawal: your refund address" }),
    arbiter: address.optional().meta({ description: "Resolves disputes on the desk; omit for no disputes" }),
    fiatCurrency: currency,
    fiatMethod: method,
    matchWithinSeconds: z.number().int().min(30).max(86_400).optional().meta({ description: "Expire if unmatched this long. Default: 900" }),
    paymentWindowSeconds: z.number().int().min(60).max(7 * 86_400).optional().meta({ description: "On-chain deadline after the reservation. Default: 1800" }),
  })
  .meta({ id: "CreateP2pOrder" });

export const declineBody = z.strictObject({ reason: z.string().min(1).max(500) }).meta({ id: "DeclineP2pOrder" });
const uintDecimal = z.string().regex(/^(0|[1-9][0-9]*)$/, "a non-negative integer as a decimal string").max(MAX_UINT256_DIGITS).transform(BigInt);
export const confirmBody = z
  .strictObject({
    authorization: z
      .strictObject({
        signer: address,
        nonce: uintDecimal,
        validBefore: uintDecimal,
        signature: z.string().regex(/^0x(?:[0-9a-fA-F]{2}){64,65}$/, "a 0x-prefixed 64- or 65-byte hex signature"),
      })
      .optional()
      .meta({ description: "Deposit: the acceptor's signed confirmWithSig authorisation, for the relayer to send. Omit if you confirm on the desk yourself" }),
  })
  .meta({ id: "ConfirmP2pOrder" });
export const emptyP2pBody = z.strictObject({});

export const acceptorIdParams = z.strictObject({ id: z.string().regex(/^mer_[0-9a-f]{16,64}$/, "an acceptor id (mer_…)") });
export const orderIdParams = z.strictObject({ id: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a 0x-prefixed 32-byte order id") });

export const listOrdersQuery = z.strictObject({
  status: commaList(z.enum(ORDER_STATUSES as [string, ...string[]])).optional().meta({ description: "Comma-separated statuses" }),
  kind: z.enum(["deposit", "withdrawal"]).optional(),
  limit,
  cursor: cursor.optional(),
});
export const listAcceptorsQuery = z.strictObject({ online: z.enum(["true", "false"]).optional(), limit, cursor: cursor.optional() });

export const acceptorSchema = z
  .looseObject({ object: z.literal("p2p_acceptor"), id: z.string(), chain: z.string(), address: z.string(), online: z.boolean(), liquidity: z.array(z.looseObject({ token: z.string(), available: z.string() })) })
  .meta({ id: "P2pAcceptor" });
export const registeredAcceptorSchema = z.object({ acceptor: acceptorSchema, apiKey: z.string().meta({ description: "The acceptor's own API key: shown only here" }) }).meta({ id: "RegisteredP2pAcceptor" });
export const acceptorPageSchema = z.object({ items: z.array(acceptorSchema), nextCursor: z.string().nullable() }).meta({ id: "P2pAcceptorPage" });
export const orderSchema = z
  .looseObject({ object: z.literal("p2p_order"), id: z.string(), kind: z.enum(["deposit", "withdrawal"]), status: z.enum(ORDER_STATUSES as [string, ...string[]]), amount: z.string() })
  .meta({ id: "P2pOrder" });
export const orderPageSchema = z.object({ items: z.array(orderSchema), nextCursor: z.string().nullable() }).meta({ id: "P2pOrderPage" });
export const blocklistSchema = z.object({ items: z.array(z.object({ kind: z.string(), value: z.string(), reason: z.string(), createdAt: z.string() })) }).meta({ id: "P2pBlocklist" });
