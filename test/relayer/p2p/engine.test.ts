import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { applyDeskEvents, createMatchingEngine, type DeskRecord } from "../../../relayer/src/p2p/index.js";
import type { Db } from "../../../relayer/src/store/db.js";
import { migrate } from "../../../relayer/src/store/migrate.js";
import { selectLiquidity, upsertBlock } from "../../../relayer/src/store/p2p-acceptors-repository.js";
import { recordReservationDeadlines, selectAudit, selectOrder } from "../../../relayer/src/store/p2p-orders-repository.js";
import { storeEngines } from "../support/engines.js";
import { addAcceptor, CHAIN, doubleReservations, insertPlatform, orderInput, orders, p2pContext, recordingPort, resetP2p, TOKEN } from "./support.js";

const engines = storeEngines();

describe.each(engines)("matching engine on $name", ({ open }) => {
  let db: Db;
  let platform: string;
  const clock = { now: new Date("2026-11-23T12:00:00Z") };
  const engine = (options: Parameters<typeof createMatchingEngine>[1] = {}) => createMatchingEngine(p2pContext(db), { seed: 7, clock: () => clock.now, ...options });
  const create = (overrides: Parameters<typeof orderInput>[0] = {}) => orders(db, { clock: () => clock.now }).create(platform, orderInput(overrides));
  const row = async (id: unknown) => (await selectOrder(db, String(id)))!;
  const liquidity = async (address: string) => (await selectLiquidity(db, CHAIN, address))[0]!;
  const platformEvents = async (orderId: string) =>
    (await db.query<{ type: string; sequence: number }>(`SELECT type, sequence FROM domain_events WHERE subject_id = $1 ORDER BY sequence`, [orderId])).map((e) => e.type);

  beforeAll(async () => {
    db = await open();
    await migrate(db);
  });
  afterAll(async () => {
    await db.close();
  });
  beforeEach(async () => {
    await resetP2p(db);
    platform = await insertPlatform(db);
    clock.now = new Date("2026-11-23T12:00:00Z");
  });

  it("matchBatch() reserves the liquidity, allocates a slot and records the decision with its candidates", async () => {
    const rich = await addAcceptor(db, platform, { liquidity: 500_000_000n });
    const poor = await addAcceptor(db, platform, { liquidity: 50_000_000n });
    const order = await create({ amount: 100_000_000n });

    expect(await engine().matchBatch()).toEqual({ claimed: 1, matched: 1, unmatchable: 0, retried: 0, expired: 0, failed: 0 });

    const matched = await row(order.id);
    expect(matched).toMatchObject({ status: "matched", acceptorId: rich.id, acceptorAddress: rich.address, slot: 0n, slotPrevious: `0x${"0".repeat(64)}`, fiatAmount: "92.00", attempt: 1 });
    expect(await liquidity(rich.address)).toMatchObject({ freeBalance: 500_000_000n, reserved: 100_000_000n });
    const audit = await selectAudit(db, String(order.id));
    expect(audit.map((a) => a.decision)).toEqual(["created", "matched"]);
    expect(audit[1]!.detail).toMatchObject({ candidateCount: 1, rejections: { insufficient_liquidity: 1 }, rejectionExamples: [[poor.id, "insufficient_liquidity"]], seed: 7, from: "created", to: "matched" });
    expect(await platformEvents(String(order.id))).toEqual(["order.created", "order.matched"]);
    const acceptorEvents = await db.query<{ type: string; merchant_id: string }>(`SELECT type, merchant_id FROM domain_events WHERE subject_id = $1`, [`${order.id}:${rich.id}`]);
    expect(acceptorEvents).toEqual([{ type: "order.matched", merchant_id: rich.id }]);
  });

  it("never puts two orders on the same liquidity: the second waits, unmatchable, and is looked at again later", async () => {
    const only = await addAcceptor(db, platform, { liquidity: 150_000_000n });
    const first = await create({ amount: 100_000_000n });
    const second = await create({ amount: 100_000_000n });

    expect(await engine().matchBatch()).toMatchObject({ claimed: 2, matched: 1, unmatchable: 1 });
    expect((await row(first.id)).acceptorId).toBe(only.id);
    expect(await row(second.id)).toMatchObject({ status: "created", acceptorId: null });
    expect((await selectAudit(db, String(second.id))).at(-1)).toMatchObject({ decision: "unmatchable", detail: { candidateCount: 0, rejections: { insufficient_liquidity: 1 } } });
    expect(await doubleReservations(db)).toBe(0);
    // Deferred: the next batch does not look at it until UNMATCHED_RETRY_MS has passed.
    expect((await engine().matchBatch()).claimed).toBe(0);
  });

  it("two engines matching at once on one store never over-reserve or share a slot", async () => {
    const acceptors = [];
    for (let i = 0; i < 6; i++) acceptors.push(await addAcceptor(db, platform, { liquidity: 300_000_000n }));
    for (let i = 0; i < 60; i++) await create({ amount: 100_000_000n, userReference: `user-${i}` });
    const a = engine({ seed: 1, batchSize: 7 });
    const b = engine({ seed: 2, batchSize: 7 });
    const drain = async (e: ReturnType<typeof engine>) => {
      let matched = 0;
      for (let round = 0; round < 40; round++) {
        const result = await e.matchBatch();
        matched += result.matched;
        if (result.claimed === 0) break;
      }
      return matched;
    };
    const [ma, mb] = await Promise.all([drain(a), drain(b)]);
    // 6 acceptors x 3 orders of liquidity each: exactly 18 orders can be matched.
    expect(ma + mb).toBe(18);
    expect(await doubleReservations(db)).toBe(0);
    for (const acc of acceptors) expect((await liquidity(acc.address)).reserved).toBe(300_000_000n);
  });

  it("the same seed and store give the same choices", async () => {
    for (let i = 0; i < 5; i++) await addAcceptor(db, platform, { liquidity: 10_000_000_000n });
    const ids = [];
    for (let i = 0; i < 20; i++) ids.push(String((await create({ userReference: `u${i}` })).id));
    await engine({ seed: 42 }).matchBatch();
    const first = await Promise.all(ids.map(async (id) => (await row(id)).acceptorId));
    // Undo the match and run again with the same seed.
    await db.exec(
      "UPDATE p2p_orders SET status = 'created', acceptor_id = NULL, acceptor_address = NULL, slot = NULL, slot_previous = NULL, attempt = 0, matched_at = NULL, accept_by = NULL; UPDATE p2p_liquidity SET reserved = 0; UPDATE p2p_slots SET order_id = NULL; DELETE FROM p2p_acceptor_days",
    );
    await engine({ seed: 42 }).matchBatch();
    expect(await Promise.all(ids.map(async (id) => (await row(id)).acceptorId))).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(1);
  });

  it("re-matches to another acceptor after a decline, and releases the first reservation", async () => {
    const x = await addAcceptor(db, platform, { liquidity: 100_000_000n });
    const y = await addAcceptor(db, platform, { liquidity: 100_000_000n });
    const order = await create();
    await engine().matchBatch();
    const first = await row(order.id);
    const other = first.acceptorId === x.id ? y : x;
    const firstAddress = first.acceptorAddress!;
    const caller = { accountId: first.acceptorId!, kind: "acceptor" as const, platformId: platform };

    await orders(db, { clock: () => clock.now }).act(caller, String(order.id), { type: "decline", reason: "bank closed" });

    expect(await row(order.id)).toMatchObject({ status: "created", acceptorId: null, excluded: [first.acceptorId], reason: "declined: bank closed" });
    expect((await liquidity(firstAddress)).reserved).toBe(0n);
    await engine().matchBatch();
    expect(await row(order.id)).toMatchObject({ status: "matched", acceptorId: other.id, attempt: 2 });
    expect(await platformEvents(String(order.id))).toEqual(["order.created", "order.matched", "order.rematching", "order.matched"]);
    expect((await db.query<{ failed_count: number }>("SELECT failed_count FROM p2p_acceptors WHERE acceptor_id = $1", [first.acceptorId]))[0]!.failed_count).toBe(1);
  });

  it("re-matches when the acceptor does not accept in time", async () => {
    await addAcceptor(db, platform, { liquidity: 100_000_000n });
    await addAcceptor(db, platform, { liquidity: 100_000_000n });
    const order = await create();
    const e = engine({ acceptTimeoutMs: 60_000 });
    await e.matchBatch();
    const lost = (await row(order.id)).acceptorId;
    expect(await e.sweepAcceptTimeouts()).toBe(0);
    clock.now = new Date(clock.now.getTime() + 60_000);
    expect(await e.sweepAcceptTimeouts()).toBe(1);
    expect(await row(order.id)).toMatchObject({ status: "created", excluded: [lost], reason: "the acceptor did not accept in time" });
    expect((await selectAudit(db, String(order.id))).at(-1)).toMatchObject({ decision: "timed_out", acceptorId: lost });
    await e.matchBatch();
    expect((await row(order.id)).acceptorId).not.toBe(lost);
  });

  it("auto-accepting acceptors go straight to reserving through the port, and a failed reservation re-matches", async () => {
    const port = recordingPort();
    const x = await addAcceptor(db, platform, { liquidity: 100_000_000n, terms: { autoAccept: true } });
    const order = await create();
    await engine({ reservations: port }).matchBatch();
    expect(await row(order.id)).toMatchObject({ status: "reserving", acceptorId: x.id });
    expect(port.reservations).toEqual([
      expect.objectContaining({ orderId: order.id, kind: "deposit", acceptor: x.address, token: TOKEN, amount: 100_000_000n, slot: 0n, previous: `0x${"0".repeat(64)}`, paymentWindowSeconds: 1800 }),
    ]);

    await db.transaction((tx) => applyDeskEvents(tx, [desk(1, { name: "ReservationFailed", orderId: String(order.id), acceptor: x.address, reason: "0x12345678" })], { now: clock.now }));

    expect(await row(order.id)).toMatchObject({ status: "created", excluded: [x.id], reason: "reservation failed: 0x12345678" });
    expect((await liquidity(x.address)).reserved).toBe(0n);
    expect(await doubleReservations(db)).toBe(0);
  });

  it("risk controls: a blocklisted acceptor address is never chosen and a blocklisted user fails", async () => {
    const bad = await addAcceptor(db, platform, { liquidity: 900_000_000n });
    const good = await addAcceptor(db, platform, { liquidity: 100_000_000n });
    await upsertBlock(db, { platformId: platform, kind: "address", value: bad.address, reason: "fraud" });
    const ok = await create({ userReference: "alice" });
    const blocked = await create({ userReference: "mallory" });
    await upsertBlock(db, { platformId: platform, kind: "user", value: "mallory", reason: "chargebacks" });

    await engine().matchBatch();

    expect((await row(ok.id)).acceptorId).toBe(good.id);
    expect((await selectAudit(db, String(ok.id))).at(-1)!.detail).toMatchObject({ rejections: { blocklisted: 1 } });
    expect(await row(blocked.id)).toMatchObject({ status: "failed", reason: "the user or beneficiary is blocklisted" });
    expect((await selectAudit(db, String(blocked.id))).at(-1)).toMatchObject({ decision: "rejected" });
  });

  it("velocity and limits: daily limit, open orders and hourly matches per acceptor", async () => {
    const limited = await addAcceptor(db, platform, { liquidity: 10_000_000_000n, terms: { dailyLimit: 250_000_000n, maxOpenOrders: 5, maxOrdersPerHour: 5 } });
    for (let i = 0; i < 4; i++) await create({ amount: 100_000_000n, userReference: `u${i}` });
    const result = await engine().matchBatch();
    expect(result).toMatchObject({ matched: 2, unmatchable: 2 });
    const audits = await db.query<{ detail: { rejections: Record<string, number> } }>(`SELECT detail FROM p2p_audit WHERE decision = 'unmatchable'`);
    expect(audits.map((a) => a.detail.rejections)).toEqual([{ daily_limit: 1 }, { daily_limit: 1 }]);
    expect((await db.query<{ volume: string; orders: number }>(`SELECT volume, orders FROM p2p_acceptor_days WHERE acceptor_id = $1`, [limited.id]))[0]).toEqual({ volume: "200000000", orders: 2 });
  });

  it("a deposit runs its whole course on desk events, and the liquidity follows the chain", async () => {
    const port = recordingPort();
    const x = await addAcceptor(db, platform, { liquidity: 300_000_000n, terms: { autoAccept: true } });
    const order = await create({ amount: 100_000_000n });
    await engine({ reservations: port }).matchBatch();
    const id = String(order.id);
    const deskOrder = { orderId: id, kind: "deposit" as const, token: TOKEN, acceptor: x.address, platform: `0x${"cc".repeat(20)}`, beneficiary: `0x${"bb".repeat(20)}`, arbiter: `0x${"0".repeat(40)}`, amount: 100_000_000n, deadline: 1_800_000_000n, disputedAt: 0n };
    // The sender records the deadline it signed; the desk's OrderReserved carries only the order's hash.
    await db.transaction((tx) => recordReservationDeadlines(tx, [{ orderId: id, deadline: deskOrder.deadline }]));
    await db.transaction((tx) => applyDeskEvents(tx, [{ ...desk(1, { name: "OrderReserved", orderId: id, acceptor: x.address, platform: deskOrder.platform, slot: 0n, orderHash: `0x${"ab".repeat(32)}` }), slotContent: `0x${"ab".repeat(32)}` }]));
    expect(await row(id)).toMatchObject({ status: "reserved", deadline: 1_800_000_000n });
    expect(await liquidity(x.address)).toMatchObject({ freeBalance: 200_000_000n, reserved: 0n });

    await orders(db).act({ accountId: platform, kind: "merchant", platformId: platform }, id, { type: "mark_paid" });
    await orders(db, { reservations: port }).act({ accountId: x.id, kind: "acceptor", platformId: platform }, id, { type: "confirm" });
    expect(port.confirmations).toEqual([expect.objectContaining({ orderId: id, by: "acceptor", slot: 0n })]);
    await db.transaction((tx) => applyDeskEvents(tx, [{ ...desk(2, { name: "OrderConfirmed", orderId: id, acceptor: x.address, slot: 0n, by: x.address }), slotContent: `0x${"cd".repeat(32)}` }]));

    expect(await row(id)).toMatchObject({ status: "released" });
    expect(await platformEvents(id)).toEqual(["order.created", "order.matched", "order.reserved", "order.paid_marked", "order.confirmed", "order.released"]);
    expect(await liquidity(x.address)).toMatchObject({ freeBalance: 200_000_000n, reserved: 0n });
    expect(await db.query("SELECT slot::text, content, order_id FROM p2p_slots WHERE address = $1", [x.address])).toEqual([{ slot: "0", content: `0x${"cd".repeat(32)}`, order_id: null }]);
    // A replayed event changes nothing.
    await db.transaction((tx) => applyDeskEvents(tx, [desk(2, { name: "OrderConfirmed", orderId: id, acceptor: x.address, slot: 0n, by: x.address })]));
    expect(await platformEvents(id)).toHaveLength(6);
  });
});

let logIndex = 0;
function desk(block: number, event: DeskRecord["event"]): DeskRecord {
  logIndex += 1;
  return { origin: { chain: CHAIN, blockNumber: block, blockHash: `0x${block.toString(16).padStart(64, "0")}`, txHash: `0x${"ee".repeat(32)}`, logIndex, blockTimestamp: 1_800_000_000 }, event };
}
