import { randomBytes } from "node:crypto";
import { silentLogger } from "../../../relayer/src/common/logger.js";
import { createMetrics } from "../../../relayer/src/common/metrics.js";
import type { Context } from "../../../relayer/src/common/context.js";
import { invoiceChains } from "../../../relayer/src/merchants/chains.js";
import { createP2pOrders, type CreateOrderInput, type P2pOrders, type ReservationPort, type ReservationRequest, type ConfirmRequest } from "../../../relayer/src/p2p/index.js";
import type { Db } from "../../../relayer/src/store/db.js";
import { insertAcceptor, setFreeBalance, type AcceptorTerms } from "../../../relayer/src/store/p2p-acceptors-repository.js";
import { testConfig, TRON_CHAIN_ID } from "../api/support.js";

/** Shared set-up of the P2P tests: a platform, acceptors with liquidity, orders, a recording port. */

export const TOKEN = `0x${"44".repeat(20)}`;
export const CHAIN = "local";
export const chains = invoiceChains(testConfig(), { local: 31337n, tron: TRON_CHAIN_ID });

export function p2pContext(db: Db): Context {
  return { db, logger: silentLogger(), metrics: createMetrics(), signal: new AbortController().signal };
}

/** Empties the P2P tables (and accounts) so one database serves a whole file. */
export async function resetP2p(db: Db): Promise<void> {
  await db.exec("TRUNCATE p2p_orders, p2p_audit, p2p_slots, p2p_liquidity, p2p_blocklist, p2p_acceptor_days, p2p_acceptors, api_keys, domain_events, merchants CASCADE");
}

export async function insertPlatform(db: Db): Promise<string> {
  const id = `mer_${randomBytes(12).toString("hex")}`;
  await db.query("INSERT INTO merchants (id, name) VALUES ($1, 'Platform')", [id]);
  return id;
}

export const defaultTerms = (overrides: Partial<AcceptorTerms> = {}): AcceptorTerms => ({
  minAmount: 1n,
  maxAmount: 1_000_000_000n,
  dailyLimit: 10_000_000_000n,
  maxOpenOrders: 100,
  maxOrdersPerHour: 1_000,
  fiatMethods: ["sepa"],
  fiatCurrencies: ["EUR"],
  rates: { EUR: "0.92" },
  online: true,
  autoAccept: false,
  ...overrides,
});

let counter = 0;
/** An acceptor with `liquidity` free on the desk (set directly, as ingestion would). */
export async function addAcceptor(db: Db, platformId: string, options: { terms?: Partial<AcceptorTerms>; liquidity?: bigint; address?: string } = {}): Promise<{ id: string; address: string }> {
  counter += 1;
  const id = `mer_${counter.toString(16).padStart(4, "0")}${randomBytes(10).toString("hex")}`;
  const address = options.address ?? `0x${randomBytes(20).toString("hex")}`;
  await insertAcceptor(db, {
    acceptorId: id,
    platformId,
    name: `Acceptor ${counter}`,
    chain: CHAIN,
    address,
    reference: `acc-${id}`,
    ...defaultTerms(options.terms),
    apiKey: { id: `key_${randomBytes(12).toString("hex")}`, lookup: `sk_test_${randomBytes(8).toString("hex")}`, secretHash: randomBytes(32).toString("hex"), mode: "test" },
  });
  if (options.liquidity !== undefined) await db.transaction((tx) => setFreeBalance(tx, { chain: CHAIN, address, token: TOKEN, freeBalance: options.liquidity! }));
  return { id, address };
}

export function orders(db: Db, options: { clock?: () => Date; reservations?: ReservationPort } = {}): P2pOrders {
  return createP2pOrders(p2pContext(db), { chains, userLimits: { maxOrdersPerDay: 1_000_000, maxVolumePerDay: null }, ...options });
}

export const orderInput = (overrides: Partial<CreateOrderInput> = {}): CreateOrderInput => ({
  kind: "deposit",
  chain: CHAIN,
  token: TOKEN,
  amount: 100_000_000n,
  tokenDecimals: 6,
  reference: `ord-${randomBytes(6).toString("hex")}`,
  userReference: "user-1",
  beneficiary: `0x${"bb".repeat(20)}`,
  fiatCurrency: "EUR",
  fiatMethod: "sepa",
  ...overrides,
});

/** A port that records what the engine and API queue. */
export function recordingPort(): ReservationPort & { reservations: ReservationRequest[]; confirmations: ConfirmRequest[] } {
  const port = {
    reservations: [] as ReservationRequest[],
    confirmations: [] as ConfirmRequest[],
    queueReservations: async (_tx: Db, requests: readonly ReservationRequest[]) => {
      port.reservations.push(...requests);
    },
    queueConfirmations: async (_tx: Db, requests: readonly ConfirmRequest[]) => {
      port.confirmations.push(...requests);
    },
  };
  return port;
}

/**
 * The independent check of "never two orders on the same liquidity": desk accounts whose live
 * (matched, not yet on chain) deposit orders hold more than their free balance, or whose booked
 * reservation differs from what those orders hold, plus slots held by two live orders. Must be 0.
 */
export async function doubleReservations(db: Db): Promise<number> {
  const over = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM (
       SELECT l.chain, l.address, l.token FROM p2p_liquidity l
       LEFT JOIN p2p_orders o ON o.chain = l.chain AND o.acceptor_address = l.address AND o.token = l.token
         AND o.kind = 'deposit' AND o.status IN ('matched', 'reserving')
       GROUP BY l.chain, l.address, l.token, l.free_balance, l.reserved
       HAVING coalesce(sum(o.amount), 0) > l.free_balance OR coalesce(sum(o.amount), 0) <> l.reserved) x`,
  );
  const slots = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM (SELECT chain, acceptor_address, slot FROM p2p_orders
       WHERE status IN ('matched', 'reserving', 'reserved', 'paid_marked', 'confirmed', 'disputed')
       GROUP BY chain, acceptor_address, slot HAVING count(*) > 1) x`,
  );
  return Number(over[0]!.n) + Number(slots[0]!.n);
}
