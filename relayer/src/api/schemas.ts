import { z } from "zod";
import { DEPOSIT_EXCEPTIONS, DEPOSIT_STATUSES } from "../domain/deposit.js";
import { WEBHOOK_EVENT_TYPES } from "../webhooks/index.js";
import { INVOICE_STATUSES } from "../store/invoices-repository.js";

/**
 * Every request and response shape of the API, once: routes validate with these and the OpenAPI
 * document is generated from them. Objects are strict: an unknown field is a 400, not silently ignored.
 */

const MAX_UINT256_DIGITS = 78;
const MAX_HOLD_PERIOD_SECONDS = 3650 * 24 * 60 * 60;
const MAX_EXPIRES_IN_SECONDS = 366 * 24 * 60 * 60;
const MAX_UINT48 = 2 ** 48 - 1;
const MAX_PAGE_SIZE = 100;

const address = z.string().min(1).max(64).regex(/^[0-9A-Za-z]+$/, "must be an address: 0x hex, or base58 T… on TRON").meta({ example: "0x5FbDB2315678afecb367f032d93F642f64180aa3" });
const chainName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "a configured chain name").meta({ example: "sepolia" });
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex id");
const amount = z
  .string()
  .regex(/^[1-9][0-9]*$/, "a positive integer in the token's smallest unit, as a decimal string (no sign, decimals or exponent)")
  .max(MAX_UINT256_DIGITS)
  .meta({ example: "25000000" });
const limit = z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50);
const cursor = z.string().min(1).max(256).regex(/^[A-Za-z0-9_-]+$/, "pass back nextCursor unchanged");
const isoTime = z.iso.datetime({ offset: true });
const entityId = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9a-f]{16,64}$`), `a ${prefix}_… id`);
const commaList = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .max(200)
    .transform((value) => value.split(","))
    .pipe(z.array(item).min(1));

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    hints: z.array(z.string()).optional().meta({ description: "What to change before retrying, one sentence each" }),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details" });

export const createInvoiceBody = z
  .strictObject({
    chain: chainName,
    token: address.meta({ description: "Allowlisted token (USDT) address on the chain" }),
    amount,
    payBy: z.number().int().min(1).max(MAX_UINT48).optional().meta({ description: "Last second (unix) the invoice can be paid; or give expiresIn" }),
    expiresIn: z.number().int().min(60).max(MAX_EXPIRES_IN_SECONDS).optional().meta({ description: "Seconds from now until payBy" }),
    holdPeriod: z.number().int().min(0).max(MAX_HOLD_PERIOD_SECONDS).meta({ description: "Seconds the funds stay in escrow; 0 settles at once" }),
    timeoutAction: z.enum(["release", "refund"]),
    arbiter: address.optional(),
    payer: address.optional().meta({ description: "Only this address may pay" }),
    merchantReference: z.string().min(1).max(200).meta({ description: "Your order id; on chain as keccak256 of its UTF-8 bytes" }),
    metadata: z.record(z.string().min(1).max(40), z.string().max(500)).optional().refine((m) => !m || Object.keys(m).length <= 20, "at most 20 keys"),
  })
  .meta({ id: "CreateInvoice" });

export const invoiceIdParams = z.strictObject({ id: bytes32 });
export const escrowIdParams = z.strictObject({ id: bytes32 });
export const endpointIdParams = z.strictObject({ id: entityId("ep") });
export const deliveryIdParams = z.strictObject({ id: entityId("dlv") });
export const apiKeyIdParams = z.strictObject({ id: entityId("key") });

export const listInvoicesQuery = z.strictObject({
  status: commaList(z.enum(INVOICE_STATUSES as [string, ...string[]])).optional().meta({ description: "Comma-separated statuses" }),
  chain: chainName.optional(),
  createdFrom: isoTime.optional(),
  createdTo: isoTime.optional(),
  limit,
  cursor: cursor.optional(),
});

export const ESCROW_STATUSES = ["open", "disputed", "released", "refunded", "resolved", "timed_out"] as const;
export const listEscrowsQuery = z.strictObject({
  status: commaList(z.enum(ESCROW_STATUSES)).optional().meta({ description: "Comma-separated statuses" }),
  chain: chainName.optional(),
  createdFrom: isoTime.optional().meta({ description: "Opened at or after (block time)" }),
  createdTo: isoTime.optional().meta({ description: "Opened before (block time)" }),
  limit,
  cursor: cursor.optional(),
});
export const getEscrowQuery = z.strictObject({ chain: chainName.optional() });

const uint256Decimal = z.string().regex(/^(0|[1-9][0-9]*)$/, "a non-negative integer as a decimal string").max(MAX_UINT256_DIGITS);
const authorization = z
  .strictObject({
    signer: address.meta({ description: "The party that signed: payer (release), payee (refund), either (dispute), or the arbiter while disputed" }),
    nonce: uint256Decimal.meta({ description: "The signer's unused nonce, as a decimal string", example: "1" }),
    validBefore: z
      .union([uint256Decimal, z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)])
      .meta({ description: "Unix seconds the signature stops being valid: a decimal string or an integer", example: "1795384463" }),
    signature: z.string().regex(/^0x(?:[0-9a-fA-F]{2}){64,65}$/, "a 0x-prefixed 64- or 65-byte hex signature"),
  })
  .transform((a) => ({ signer: a.signer, nonce: BigInt(a.nonce), validBefore: BigInt(a.validBefore), signature: a.signature }))
  .meta({ id: "ActionAuthorization", description: "The EIP-712 (TIP-712) authorisation the vault verifies" });
const escrowChain = chainName.optional().meta({ description: "The escrow's chain; needed only if the id exists on several" });
export const payoutActionBody = z
  .strictObject({ chain: escrowChain, amount: amount.meta({ description: "Gross amount the signature covers, at most what remains" }), authorization })
  .meta({ id: "SignedPayoutAction" });
export const disputeActionBody = z.strictObject({ chain: escrowChain, authorization }).meta({ id: "SignedDisputeAction" });
export const queuedActionSchema = z.object({ actionId: z.string(), status: z.literal("queued") }).meta({ id: "QueuedAction" });

const signedInvoice = z.object({
  domain: z.object({ name: z.string(), version: z.string(), chainId: z.number(), verifyingContract: z.string() }),
  types: z.record(z.string(), z.array(z.object({ name: z.string(), type: z.string() }))),
  invoice: z.object({
    merchant: z.string(),
    token: z.string(),
    amount: z.string(),
    payBy: z.number(),
    holdPeriod: z.number(),
    timeoutAction: z.number(),
    arbiter: z.string(),
    payer: z.string(),
    merchantReference: z.string(),
    nonce: z.string(),
  }),
  signature: z.string(),
  signer: z.string(),
});

const txStep = z.object({ to: z.string(), method: z.string(), args: z.array(z.unknown()), data: z.string().meta({ description: "ABI-encoded calldata" }) });

export const escrowSchema = z
  .looseObject({
    object: z.literal("escrow"),
    chain: z.string(),
    escrowId: z.string(),
    status: z.enum(ESCROW_STATUSES),
    token: z.string(),
    payer: z.string(),
    payee: z.string(),
    arbiter: z.string().nullable(),
    amount: z.string(),
    remaining: z.string(),
    deadline: z.number(),
    dueAt: z.number().nullable(),
  })
  .meta({ id: "Escrow" });

export const depositSchema = z
  .object({
    address: z.string().describe("The invoice's own deposit address: checksummed 0x on EVM chains, base58 T… on TRON"),
    paymentUri: z.string().describe("What the QR code encodes: EIP-681 transfer request on EVM chains, the bare address on TRON"),
    status: z.enum(DEPOSIT_STATUSES as [string, ...string[]]),
    exception: z.enum(DEPOSIT_EXCEPTIONS as [string, ...string[]]).nullable(),
    amount: z.string(),
    received: z.string().describe("Confirmed units of the invoice token that arrived, all time"),
    receivedLate: z.string().describe("Of received, what arrived after payBy"),
    balance: z.string().describe("What the address holds now: refundable unless a sweep takes it"),
    swept: z.string(),
    accepted: z.string(),
    refunded: z.string(),
    strayTokens: z.array(z.object({ token: z.string(), balance: z.string() })).describe("Other tokens sent to the address by mistake"),
    sweepError: z.string().nullable().describe("Revert data of the last failed sweep"),
    refund: txStep.nullable().describe("Ready call that refunds the balance to the stated refund address (payer), once the invoice can no longer be paid"),
  })
  .meta({ id: "Deposit" });

export const invoiceSchema = z
  .object({
    id: bytes32,
    object: z.literal("invoice"),
    chain: z.string(),
    status: z.enum(INVOICE_STATUSES as [string, ...string[]]),
    vault: z.string(),
    merchant: z.string(),
    token: z.string(),
    amount: z.string(),
    payBy: z.number(),
    holdPeriod: z.number(),
    timeoutAction: z.enum(["release", "refund"]),
    arbiter: z.string().nullable(),
    payer: z.string().nullable(),
    merchantReference: z.string(),
    metadata: z.record(z.string(), z.string()),
    checkoutUrl: z.string(),
    createdAt: z.string(),
    expiredAt: z.string().nullable(),
    signed: signedInvoice,
    payment: z.object({ steps: z.array(txStep) }),
    escrow: z.looseObject({ escrowId: z.string(), status: z.string() }).nullable(),
    depositAddress: z.string().nullable(),
    deposit: depositSchema.nullable(),
  })
  .meta({ id: "Invoice" });

const page = <T extends z.ZodType>(item: T, id: string) => z.object({ items: z.array(item), nextCursor: z.string().nullable() }).meta({ id });
export const invoicePageSchema = page(invoiceSchema, "InvoicePage");
export const escrowPageSchema = page(escrowSchema, "EscrowPage");

export const createEndpointBody = z
  .strictObject({
    url: z.url({ protocol: /^https?$/ }).max(2048),
    description: z.string().max(500).optional(),
    eventTypes: z.array(z.enum(WEBHOOK_EVENT_TYPES)).max(WEBHOOK_EVENT_TYPES.length).optional(),
  })
  .meta({ id: "CreateWebhookEndpoint" });
export const rotateSecretBody = z.strictObject({ graceSeconds: z.number().int().min(0).max(7 * 24 * 3600).optional() }).meta({ id: "RotateSecret" });
export const redeliverFailedBody = z.strictObject({ since: isoTime }).meta({ id: "RedeliverFailed" });
export const emptyBody = z.strictObject({});
export const listDeliveriesQuery = z.strictObject({
  status: z.enum(["pending", "delivering", "succeeded", "failed", "dead"]).optional(),
  limit,
  cursor: cursor.optional(),
});

export const webhookEndpointSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string(),
    eventTypes: z.array(z.string()).nullable(),
    status: z.enum(["enabled", "disabled"]),
    disabledReason: z.enum(["manual", "gone", "failing"]).nullable(),
    disabledAt: z.string().nullable(),
    failingSince: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: "WebhookEndpoint" });
export const createdEndpointSchema = z.object({ endpoint: webhookEndpointSchema, secret: z.string().meta({ description: "whsec_…: shown only here" }) }).meta({ id: "CreatedWebhookEndpoint" });
export const endpointListSchema = z.object({ items: z.array(webhookEndpointSchema) }).meta({ id: "WebhookEndpointList" });
export const rotatedSecretSchema = z.object({ secret: z.string(), previousExpiresAt: z.string() }).meta({ id: "RotatedSecret" });
export const testEventSchema = z.object({ eventId: z.string(), deliveryId: z.string() }).meta({ id: "TestEvent" });
export const attemptSchema = z.looseObject({ attemptNumber: z.number(), trigger: z.string(), outcome: z.string(), responseStatus: z.number().nullable(), startedAt: z.string() }).meta({ id: "WebhookAttempt" });
export const deliverySchema = z
  .looseObject({ id: z.string(), eventId: z.string(), eventType: z.string(), endpointId: z.string(), status: z.string(), attemptCount: z.number(), createdAt: z.string(), attempts: z.array(attemptSchema) })
  .meta({ id: "WebhookDelivery" });
export const deliveryPageSchema = page(deliverySchema, "WebhookDeliveryPage");
export const redeliveredCountSchema = z.object({ count: z.number().int() }).meta({ id: "RedeliveredCount" });

export const createApiKeyBody = z.strictObject({ description: z.string().max(200).optional() }).meta({ id: "CreateApiKey" });
export const apiKeySchema = z
  .object({ id: z.string(), mode: z.enum(["live", "test"]), description: z.string(), prefix: z.string(), createdAt: z.string(), revokedAt: z.string().nullable() })
  .meta({ id: "ApiKey" });
export const createdApiKeySchema = apiKeySchema.extend({ key: z.string().meta({ description: "sk_live_…: shown only here" }) }).meta({ id: "CreatedApiKey" });
export const apiKeyListSchema = z.object({ items: z.array(apiKeySchema) }).meta({ id: "ApiKeyList" });
export const merchantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    signerAddress: z.string(),
    chains: z.array(
      z.object({
        chain: z.string(),
        merchantAddress: z.string(),
        signer: z.enum(["merchant_key", "registered_signer"]),
        registerSigner: z.object({ to: z.string(), method: z.string(), args: z.array(z.string()), data: z.string() }).nullable(),
      }),
    ),
  })
  .meta({ id: "Merchant" });
