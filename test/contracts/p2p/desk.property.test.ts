/**
 * Property test of the acceptor desk: fast-check draws random sequences of liquidity deposits and
 * withdrawals, reservations (Deposit) and withdrawal orders, confirms, cancels, disputes, resolutions,
 * extensions, expiries, blacklist toggles on the beneficiary (Tether imitation) and time jumps, over two
 * acceptors, four slots each and two tokens. A small model predicts whether each action succeeds and
 * how the books move; after every step the chain must agree and, per token:
 *   - the desk holds exactly sum(free balances) + sum(open order amounts) + sum(deferred payouts)
 *     (so at least that: conservation), and
 *   - every acceptor's free balance is what the model says: it never goes negative, and it changes only
 *     by the acceptor's own deposit/withdrawal, a reservation, the acceptor's confirm of a Deposit order,
 *     the arbiter's resolution, a refund (cancel/expiry), or a Withdrawal order's release to it.
 * PROPERTY_RUNS and PROPERTY_SEED work as in test/contracts/invariants.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import hre, { ethers } from "hardhat";
import type { Signer } from "ethers";
import { DESK_ARBITRATION_PERIOD_S, LIQUIDITY, OrderKind, deployDeskFixture, hashOrder, reserveCall, type Order } from "./helpers";

const DEFAULT_RUNS = process.env.HARDHAT_CHAIN_ID === "728126428" ? 8 : 20;
const AMOUNTS = [1n, 1_000_000n, 40_000_000n, LIQUIDITY / 2n, LIQUIDITY];
const SLOTS = 4;

type Action =
  | { kind: "deposit" | "withdraw"; acceptor: number; token: number; amount: bigint }
  | { kind: "open"; orderKind: number; acceptor: number; slot: number; token: number; amount: bigint }
  | { kind: "confirm" | "cancel" | "dispute" | "expire" | "extend"; acceptor: number; slot: number }
  | { kind: "resolve"; acceptor: number; slot: number; share: number }
  | { kind: "blacklist"; on: boolean }
  | { kind: "wait"; seconds: bigint };

const acceptorArb = fc.integer({ min: 0, max: 1 });
const slotArb = fc.integer({ min: 0, max: SLOTS - 1 });
const tokenArb = fc.integer({ min: 0, max: 1 });
const amountArb = fc.constantFrom(...AMOUNTS);
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom("deposit" as const, "withdraw" as const), acceptor: acceptorArb, token: tokenArb, amount: amountArb }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("open" as const), orderKind: fc.constantFrom(0, 1), acceptor: acceptorArb, slot: slotArb, token: tokenArb, amount: amountArb }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constantFrom("confirm" as const, "cancel" as const, "dispute" as const, "expire" as const, "extend" as const), acceptor: acceptorArb, slot: slotArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("resolve" as const), acceptor: acceptorArb, slot: slotArb, share: fc.constantFrom(0, 1, 2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("blacklist" as const), on: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("wait" as const), seconds: fc.constantFrom(60n, 700n, DESK_ARBITRATION_PERIOD_S) }) },
);

describe("AcceptorDesk (property)", function () {
  it("agrees with the model on every step and accounts for every unit", async function () {
    this.timeout(10 * 60 * 1000);
    const f = await loadFixture(deployDeskFixture);
    const { desk } = f;
    const tokens = [f.token, f.ethUsdt];
    const tokenAddresses = await Promise.all(tokens.map((t) => t.getAddress()));
    const acceptors = [f.acceptor, f.acceptor2];
    const numRuns = Number(process.env.PROPERTY_RUNS ?? DEFAULT_RUNS);
    const seed = Number(process.env.PROPERTY_SEED ?? Date.now() % 0x7fffffff);
    let snapshot = (await hre.network.provider.send("evm_snapshot", [])) as string;
    let orderNumber = 0;

    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 5, maxLength: 25 }), async (actions) => {
        await hre.network.provider.send("evm_revert", [snapshot]);
        snapshot = (await hre.network.provider.send("evm_snapshot", [])) as string;
        await f.ethUsdt.setBlackListed(f.beneficiary.address, false);
        let blacklisted = false;

        // The model: free balances, open orders by acceptor and slot, deferred payouts, per token.
        const free = new Map<string, bigint>();
        for (const a of acceptors) for (const t of tokenAddresses) free.set(`${a.address}:${t}`, LIQUIDITY);
        const openOrders = new Map<string, Order>();
        const deferred = new Map<string, bigint>(tokenAddresses.map((t) => [t, 0n]));
        const fkey = (a: string, t: string) => `${a}:${t}`;
        const credit = (a: string, t: string, amount: bigint) => free.set(fkey(a, t), free.get(fkey(a, t))! + amount);
        const pay = (t: string, amount: bigint) => {
          // A transfer to the beneficiary; deferred when the Tether imitation blacklists it.
          if (blacklisted && t === tokenAddresses[1]) deferred.set(t, deferred.get(t)! + amount);
        };
        const payPayee = (o: Order, amount: bigint) => (o.kind === OrderKind.Deposit ? pay(o.token, amount) : credit(o.acceptor, o.token, amount));
        const refundPayer = (o: Order, amount: bigint) => (o.kind === OrderKind.Deposit ? credit(o.acceptor, o.token, amount) : pay(o.token, amount));

        const run = async (expectSuccess: boolean, send: () => Promise<{ wait(): Promise<unknown> }>, label: string) => {
          let ok = true;
          try {
            await (await send()).wait();
          } catch {
            ok = false;
          }
          expect(ok, `${label} success`).to.equal(expectSuccess);
          return ok;
        };

        for (const action of actions) {
          if (action.kind === "wait") {
            await time.increase(action.seconds);
            continue;
          }
          if (action.kind === "blacklist") {
            await f.ethUsdt.setBlackListed(f.beneficiary.address, action.on);
            blacklisted = action.on;
            continue;
          }
          const now = BigInt(await time.latest()) + 1n;
          await time.setNextBlockTimestamp(now);
          const acceptor = acceptors[action.acceptor];
          if (action.kind === "deposit" || action.kind === "withdraw") {
            const t = tokenAddresses[action.token];
            if (action.kind === "deposit") {
              if (await run(true, () => desk.connect(acceptor).depositLiquidity(t, action.amount), "deposit")) credit(acceptor.address, t, action.amount);
            } else {
              const ok = free.get(fkey(acceptor.address, t))! >= action.amount;
              if (await run(ok, () => desk.connect(acceptor).withdrawLiquidity(t, action.amount, f.other.address), "withdraw")) {
                credit(acceptor.address, t, -action.amount);
              }
            }
          } else if ("slot" in action) {
            const okey = `${action.acceptor}:${action.slot}`;
            const slot = BigInt(action.slot);
            const o = openOrders.get(okey);
            const sideSigner = (payer: boolean): Signer => {
              const deposit = o!.kind === OrderKind.Deposit;
              return payer === deposit ? acceptor : f.signerKey;
            };
            switch (action.kind) {
              case "open": {
                const t = tokenAddresses[action.token];
                const order: Order = {
                  orderId: ethers.zeroPadValue(ethers.toBeHex(++orderNumber), 32),
                  kind: action.orderKind,
                  token: t,
                  acceptor: acceptor.address,
                  platform: f.platform.address,
                  beneficiary: f.beneficiary.address,
                  arbiter: f.arbiter.address,
                  amount: action.amount,
                  deadline: now + 600n,
                  disputedAt: 0n,
                };
                const call = await reserveCall(f, order, slot);
                const deposit = action.orderKind === OrderKind.Deposit;
                const ok = o === undefined && (!deposit || free.get(fkey(acceptor.address, t))! >= action.amount);
                const fn = deposit ? desk.reserve : desk.openWithdrawal;
                if (await run(ok, () => fn(order, slot, call.previous, call.platformSignature), "open")) {
                  openOrders.set(okey, order);
                  if (deposit) credit(acceptor.address, t, -action.amount);
                }
                break;
              }
              case "confirm":
              case "cancel": {
                const confirm = action.kind === "confirm";
                const target = o ?? openOrders.values().next().value;
                if (!target) break;
                const signer = o ? sideSigner(confirm) : acceptor;
                const ok = o !== undefined;
                const send = () => (confirm ? desk.connect(signer).confirm(target, slot) : desk.connect(signer).cancel(target, slot));
                if (await run(ok, send, action.kind)) {
                  openOrders.delete(okey);
                  if (confirm) payPayee(o!, o!.amount);
                  else refundPayer(o!, o!.amount);
                }
                break;
              }
              case "dispute": {
                if (!o) break;
                const ok = o.disputedAt === 0n && now <= o.deadline;
                if (await run(ok, () => desk.connect(sideSigner(false)).dispute(o, slot), "dispute")) openOrders.set(okey, { ...o, disputedAt: now });
                break;
              }
              case "extend": {
                if (!o) break;
                const newDeadline = o.deadline + 600n;
                if (await run(o.disputedAt === 0n, () => desk.connect(sideSigner(true)).extendDeadline(o, slot, newDeadline), "extend")) {
                  openOrders.set(okey, { ...o, deadline: newDeadline });
                }
                break;
              }
              case "resolve": {
                if (!o) break;
                const payeeAmount = (o.amount * BigInt(action.share)) / 2n;
                if (await run(o.disputedAt !== 0n, () => desk.connect(f.arbiter).resolve(o, slot, payeeAmount), "resolve")) {
                  openOrders.delete(okey);
                  payPayee(o, payeeAmount);
                  refundPayer(o, o.amount - payeeAmount);
                }
                break;
              }
              case "expire": {
                if (!o) break;
                const due = o.disputedAt === 0n ? o.deadline : o.disputedAt + DESK_ARBITRATION_PERIOD_S;
                if (await run(now > due, () => desk.connect(f.other).expire(o, slot), "expire")) {
                  openOrders.delete(okey);
                  refundPayer(o, o.amount);
                }
                break;
              }
            }
          }

          // Conservation and per-acceptor books, per token.
          for (const t of tokenAddresses) {
            let liabilities = deferred.get(t)!;
            for (const a of acceptors) {
              const expected = free.get(fkey(a.address, t))!;
              expect(expected >= 0n).to.equal(true);
              expect(await desk.freeBalance(a.address, t), `free balance after ${action.kind}`).to.equal(expected);
              liabilities += expected;
            }
            for (const o of openOrders.values()) if (o.token === t) liabilities += o.amount;
            expect(await desk.deferredPayouts(f.beneficiary.address, t)).to.equal(deferred.get(t));
            const held = await (t === tokenAddresses[0] ? f.token : f.ethUsdt).balanceOf(f.deskAddress);
            expect(held, `desk balance of ${t} after ${action.kind}`).to.equal(liabilities);
          }
          for (const [k, o] of openOrders) {
            const [a, s] = k.split(":").map(Number);
            expect(await desk.orderSlot(acceptors[a].address, BigInt(s))).to.equal(hashOrder(o));
          }
        }
      }),
      { numRuns, seed },
    );
  });
});
