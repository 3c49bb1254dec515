import { randomBytes } from "node:crypto";
import type { Context } from "../common/context.js";
import { NonRetryableUserError } from "../common/errors.js";
import { fiatPayee, type OrderKind, type OrderStatus, type Party } from "../domain/p2p-order.js";
import { NotFoundError, requireChain, type InvoiceChain } from "../merchants/chains.js";
import { selectBlocked } from "../store/p2p-acceptors-repository.js";
import { insertOrder, persistTransitions, selectAudit, selectOrder, selectOrderByReference, selectOrderPage, userVelocity, type P2pOrderRow } from "../store/p2p-orders-repository.js";
import { idleReservationPort, type ConfirmRequest, type ReservationPort } from "./ports.js";
import { decodePositionCursor, encodePositionCursor, type Caller } from "./registry.js";
import { applySteps, byChain, orderToJson, outboxEvents, type AddressFormatter } from "./transitions.js";

/** Orders through the API: the platform creates them and acts for its user; the acceptor acts on its own. */

/** Per-user risk limits applied when an order is created. */
export interface UserLimits {
  /** Orders per user (platform's user reference) in any rolling 24 h. Default: 20. */
  maxOrdersPerDay: number;
  /** Volume per user in any rolling 24 h, token units; null: no limit. Default: null. */
  maxVolumePerDay: bigint | null;
}
export const DEFAULT_USER_LIMITS: UserLimits = { maxOrdersPerDay: 20, maxVolumePerDay: null };
/** Default time to find an acceptor, and the default payment window on chain. */
export const DEFAULT_MATCH_WITHIN_SECONDS = 900;
export const DEFAULT_PAYMENT_WINDOW_SECONDS = 1_800;
const DAY_MS = 86_400_000;
const ZERO_ADDRESS = `0x${"0".repeat(40)}`;

/** A risk control refused the order (blocklist, velocity): 422 with what to do. */
export class P2pRiskRefusedError extends NonRetryableUserError {
  override name = "P2pRiskRefusedError";
}

export interface CreateOrderInput {
  kind: OrderKind;
  chain: string;
  token: string;
  amount: bigint;
  tokenDecimals: number;
  reference: string;
  userReference: string;
  beneficiary: string;
  arbiter?: string;
  fiatCurrency: string;
  fiatMethod: string;
  matchWithinSeconds?: number;
  paymentWindowSeconds?: number;
}

export type OrderAction = { type: "accept" } | { type: "decline"; reason: string } | { type: "mark_paid" } | { type: "confirm"; authorization?: ConfirmRequest["authorization"] };

export interface P2pOrders {
  create(platformId: string, input: CreateOrderInput): Promise<Record<string, unknown>>;
  get(caller: Caller, orderId: string): Promise<Record<string, unknown>>;
  list(caller: Caller, filter: { status?: OrderStatus[]; kind?: OrderKind; limit: number; cursor?: string }): Promise<{ items: Record<string, unknown>[]; nextCursor: string | null }>;
  act(caller: Caller, orderId: string, action: OrderAction): Promise<Record<string, unknown>>;
}

export function createP2pOrders(
  ctx: Pick<Context, "db" | "logger">,
  options: { chains: Map<string, InvoiceChain>; reservations?: ReservationPort; userLimits?: UserLimits; clock?: () => Date },
): P2pOrders {
  const { db } = ctx;
  const clock = options.clock ?? (() => new Date());
  const limits = options.userLimits ?? DEFAULT_USER_LIMITS;
  const port = options.reservations ?? idleReservationPort;
  const format: AddressFormatter = (chain, hex) => options.chains.get(chain)?.formatAddress(hex) ?? hex;

  /** Its platform sees an order; its acceptor sees it while it holds it. Anyone else: not found. */
  const visible = (caller: Caller, order: P2pOrderRow | undefined): order is P2pOrderRow =>
    order !== undefined && (caller.kind === "merchant" ? order.platformId === caller.accountId : order.acceptorId === caller.accountId);

  async function checkRisk(platformId: string, input: CreateOrderInput, beneficiary: string, now: Date): Promise<void> {
    const blocked = await selectBlocked(db, [platformId], [input.userReference, beneficiary]);
    if (blocked.has(`${platformId}:user:${input.userReference}`) || blocked.has(`${platformId}:address:${beneficiary}`)) {
      throw new P2pRiskRefusedError("The user or the beneficiary address is on your blocklist", { hints: ["Remove the entry with POST /v1/p2p/blocklist/remove if it is a mistake."] });
    }
    const velocity = await userVelocity(db, platformId, input.userReference, new Date(now.getTime() - DAY_MS));
    if (velocity.orders >= limits.maxOrdersPerDay) {
      throw new P2pRiskRefusedError(`User ${input.userReference} created ${velocity.orders} orders in the last 24 h; the limit is ${limits.maxOrdersPerDay}`, {
        hints: ["Wait until the oldest of them is 24 h old."],
      });
    }
    if (limits.maxVolumePerDay !== null && velocity.volume + input.amount > limits.maxVolumePerDay) {
      throw new P2pRiskRefusedError(`User ${input.userReference} would exceed the 24 h volume limit of ${limits.maxVolumePerDay}`, { hints: ["Use a smaller amount or wait."] });
    }
  }

  return {
    async create(platformId, input) {
      const chain = requireChain(options.chains, input.chain, "body.chain");
      const token = chain.parseAddress(input.token, "body.token");
      const beneficiary = chain.parseAddress(input.beneficiary, "body.beneficiary");
      const arbiter = input.arbiter === undefined ? ZERO_ADDRESS : chain.parseAddress(input.arbiter, "body.arbiter");
      const now = clock();
      if (await selectOrderByReference(db, platformId, input.reference)) {
        throw new NonRetryableUserError(`An order with reference "${input.reference}" exists`, { hints: ["Fetch it with GET /v1/p2p/orders?…, or use a new reference for a new order."] });
      }
      await checkRisk(platformId, input, beneficiary, now);
      const orderId = `0x${randomBytes(32).toString("hex")}`;
      const created = await db.transaction(async (tx) => {
        const row = await insertOrder(
          tx,
          {
            orderId,
            platformId,
            reference: input.reference,
            kind: input.kind,
            chain: chain.name,
            token,
            amount: input.amount,
            tokenDecimals: input.tokenDecimals,
            userReference: input.userReference,
            beneficiary,
            arbiter,
            fiatCurrency: input.fiatCurrency,
            fiatMethod: input.fiatMethod,
            paymentWindowS: input.paymentWindowSeconds ?? DEFAULT_PAYMENT_WINDOW_SECONDS,
            matchBy: new Date(now.getTime() + (input.matchWithinSeconds ?? DEFAULT_MATCH_WITHIN_SECONDS) * 1000),
          },
          [],
          { orderId, platformId, decision: "created", acceptorId: null, attempt: 0, detail: { kind: input.kind, amount: input.amount.toString() } },
        );
        await persistTransitions(tx, [], [], byChain(row.chain, outboxEvents(row, row, [{ type: "order.created", audience: ["platform"], data: {} }], 0, format)));
        return row;
      });
      ctx.logger.info({ platform_id: platformId, order_id: orderId, kind: input.kind }, "Created P2P order");
      return orderToJson(created, format);
    },

    async get(caller, orderId) {
      const order = await selectOrder(db, orderId);
      if (!visible(caller, order)) throw new NotFoundError(`Order ${orderId} not found`);
      const body = orderToJson(order, format);
      // The audit trail names other acceptors and their weights: the platform's business only.
      if (caller.kind === "merchant") body.audit = (await selectAudit(db, order.orderId)).map((a) => ({ decision: a.decision, acceptorId: a.acceptorId, attempt: a.attempt, detail: a.detail, at: a.createdAt.toISOString() }));
      return body;
    },

    async list(caller, filter) {
      const page = await selectOrderPage(db, {
        owner: caller.kind === "merchant" ? { platformId: caller.accountId } : { acceptorId: caller.accountId },
        limit: filter.limit,
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.kind ? { kind: filter.kind } : {}),
        ...(filter.cursor ? { before: decodePositionCursor(filter.cursor) } : {}),
      });
      const last = page.items[page.items.length - 1];
      return { items: page.items.map((o) => orderToJson(o, format)), nextCursor: page.hasMore && last ? encodePositionCursor(last.position) : null };
    },

    async act(caller, orderId, action) {
      const by: Party = caller.kind === "merchant" ? "platform" : "acceptor";
      const now = clock();
      const after = await db.transaction(async (tx) => {
        const order = await selectOrder(tx, orderId, { forUpdate: true });
        if (!visible(caller, order)) throw new NotFoundError(`Order ${orderId} not found`);
        const input = action.type === "decline" ? { type: action.type, by, reason: action.reason } : { type: action.type, by };
        const applied = applySteps(order, [{ input, decision: action.type, detail: { by: caller.accountId } }], { now, format });
        await persistTransitions(tx, [applied.change], applied.audit, byChain(order.chain, applied.events));
        if (applied.reservations.length > 0) await port.queueReservations(tx, applied.reservations);
        if (applied.confirmations.length > 0) {
          const authorization = action.type === "confirm" && by === fiatPayee(order.kind) ? action.authorization : undefined;
          await port.queueConfirmations(tx, applied.confirmations.map((c) => ({ ...c, ...(authorization ? { authorization } : {}) })));
        }
        return applied.change.after;
      });
      ctx.logger.info({ order_id: orderId, action: action.type, by }, "P2P order action");
      return orderToJson(after, format);
    },
  };
}
