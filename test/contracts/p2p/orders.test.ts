import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { expect } from "chai";
import type { Signer } from "ethers";
import {
  DESK_ARBITRATION_PERIOD_S,
  HOUR,
  LIQUIDITY,
  ORDER_AMOUNT,
  OrderKind,
  deployDeskFixture,
  hashOrder,
  makeOrder,
  placeOrder,
  tombstoneOf,
  withFields,
  type DeskFixture,
  type Order,
} from "./helpers";

/**
 * Each order action, for both kinds. Sides: Deposit pays the beneficiary and refunds the acceptor's free
 * balance; Withdrawal credits the acceptor and refunds the beneficiary (the platform's refund address).
 */
const KINDS = [
  { name: "Deposit", kind: OrderKind.Deposit },
  { name: "Withdrawal", kind: OrderKind.Withdrawal },
] as const;

function sides(f: DeskFixture, kind: number) {
  const deposit = kind === OrderKind.Deposit;
  return {
    payer: (deposit ? f.acceptor : f.platform) as Signer,
    payee: (deposit ? f.signerKey : f.acceptor) as Signer,
    /** Token balance that a payee / payer payout moves (the other side is free-balance bookkeeping). */
    transferee: f.beneficiary,
  };
}

async function open(f: DeskFixture, kind: number, overrides: Partial<Order> = {}, token = f.token) {
  return placeOrder(f, await makeOrder(f, { kind, token: await token.getAddress(), ...overrides }));
}

for (const { name, kind } of KINDS) {
  const deposit = kind === OrderKind.Deposit;
  describe(`AcceptorDesk ${name} orders`, function () {
    /** Expect the payee side got `payee` and the payer side `payer`, via a transfer or the free balance. */
    async function expectSplit(f: DeskFixture, order: Order, tx: Promise<unknown>, payee: bigint, payer: bigint) {
      // While the order is open, a Deposit's amount is out of the free balance; a Withdrawal's never was in it.
      const freeBefore = LIQUIDITY - (deposit ? order.amount : 0n);
      const transferred = deposit ? payee : payer;
      await expect(tx).to.changeTokenBalances(f.token, [f.beneficiary, f.desk], [transferred, -transferred]);
      expect(await f.desk.freeBalance(f.acceptor.address, order.token)).to.equal(freeBefore + (deposit ? payer : payee));
      expect(await f.desk.orderSlot(order.acceptor, 0n)).to.equal(tombstoneOf(hashOrder(order)));
    }

    describe("confirm", function () {
      it("releases to the payee side when the payer side confirms, and emits OrderConfirmed", async function () {
        const f = await loadFixture(deployDeskFixture);
        const order = await open(f, kind);
        const { payer } = sides(f, kind);
        const tx = f.desk.connect(payer).confirm(order, 0n);
        await expect(tx).to.emit(f.desk, "OrderConfirmed").withArgs(order.orderId, f.acceptor.address, 0n, await payer.getAddress());
        await expectSplit(f, order, tx, ORDER_AMOUNT, 0n);
      });

      it("also works while disputed", async function () {
        const f = await loadFixture(deployDeskFixture);
        const order = await open(f, kind);
        const { payer, payee } = sides(f, kind);
        await f.desk.connect(payee).dispute(order, 0n);
        const disputed = withFields(order, { disputedAt: BigInt(await time.latest()) });
        await expect(f.desk.connect(payer).confirm(disputed, 0n)).to.emit(f.desk, "OrderConfirmed");
      });

      it("reverts with NotAuthorized for the payee side and OrderNotOpen for changed fields or a closed order", async function () {
        const f = await loadFixture(deployDeskFixture);
        const order = await open(f, kind);
        const { payer, payee } = sides(f, kind);
        await expect(f.desk.connect(payee).confirm(order, 0n)).to.be.revertedWithCustomError(f.desk, "NotAuthorized").withArgs(await payee.getAddress());
        await expect(f.desk.connect(payer).confirm(withFields(order, { amount: ORDER_AMOUNT + 1n }), 0n))
          .to.be.revertedWithCustomError(f.desk, "OrderNotOpen")
          .withArgs(order.orderId, f.acceptor.address, 0n);
        await f.desk.connect(payer).confirm(order, 0n);
        await expect(f.desk.connect(payer).confirm(order, 0n)).to.be.revertedWithCustomError(f.desk, "OrderNotOpen");
      });
    });

    describe("cancel", function () {
      it("refunds the payer side when the payee side cancels, and emits OrderCancelled", async function () {
        const f = await loadFixture(deployDeskFixture);
        const order = await open(f, kind);
        const { payee } = sides(f, kind);
        const tx = f.desk.connect(payee).cancel(order, 0n);
        await expect(tx).to.emit(f.desk, "OrderCancelled").withArgs(order.orderId, f.acceptor.address, 0n, await payee.getAddress());
        await expectSplit(f, order, tx, 0n, ORDER_AMOUNT);
      });

      it("reverts with NotAuthorized for the payer side", async function () {
        const f = await loadFixture(deployDeskFixture);
        const order = await open(f, kind);
        const { payer } = sides(f, kind);
        await expect(f.desk.connect(payer).cancel(order, 0n)).to.be.revertedWithCustomError(f.desk, "NotAuthorized").withArgs(await payer.getAddress());
      });
    });

    describe("dispute", function () {
      it("records disputedAt in the slot and emits OrderDisputed", async function () {
        const f = await loadFixture(deployDeskFixture);
        const order = await open(f, kind);
        const { payee } = sides(f, kind);
        const tx = await f.desk.connect(payee).dispute(order, 0n);
        const disputedAt = BigInt((await tx.getBlock())!.timestamp);
        await expect(tx).to.emit(f.desk, "OrderDisputed").withArgs(order.orderId, f.acceptor.address, 0n, await payee.getAddress(), disputedAt);
        expect(await f.desk.orderSlot(f.acceptor.address, 0n)).to.equal(hashOrder(withFields(order, { disputedAt })));
      });

      it("reverts with NotAuthorized, NoArbiter, OrderIsDisputed and DeadlinePassed", async function () {
        const f = await loadFixture(deployDeskFixture);
        const { payer, payee } = sides(f, kind);
        const order = await open(f, kind);
        await expect(f.desk.connect(payer).dispute(order, 0n)).to.be.revertedWithCustomError(f.desk, "NotAuthorized");
        const noArbiter = await placeOrder(f, await makeOrder(f, { kind, arbiter: "0x0000000000000000000000000000000000000000" }), 1n);
        await expect(f.desk.connect(payee).dispute(noArbiter, 1n)).to.be.revertedWithCustomError(f.desk, "NoArbiter").withArgs(noArbiter.orderId);
        await f.desk.connect(payee).dispute(order, 0n);
        const disputed = withFields(order, { disputedAt: BigInt(await time.latest()) });
        await expect(f.desk.connect(payee).dispute(disputed, 0n)).to.be.revertedWithCustomError(f.desk, "OrderIsDisputed").withArgs(order.orderId);
        const late = await placeOrder(f, await makeOrder(f, { kind }), 2n);
        await time.setNextBlockTimestamp(late.deadline + 1n);
        await expect(f.desk.connect(payee).dispute(late, 2n))
          .to.be.revertedWithCustomError(f.desk, "DeadlinePassed")
          .withArgs(late.deadline + 1n, late.deadline);
      });
    });

    describe("resolve", function () {
      it("splits between the payee and payer sides and emits OrderResolved", async function () {
        const f = await loadFixture(deployDeskFixture);
        const order = await open(f, kind);
        const { payee } = sides(f, kind);
        await f.desk.connect(payee).dispute(order, 0n);
        const disputed = withFields(order, { disputedAt: BigInt(await time.latest()) });
        const payeeAmount = ORDER_AMOUNT / 4n;
        const tx = f.desk.connect(f.arbiter).resolve(disputed, 0n, payeeAmount);
        await expect(tx).to.emit(f.desk, "OrderResolved").withArgs(order.orderId, f.acceptor.address, 0n, payeeAmount, ORDER_AMOUNT - payeeAmount);
        await expectSplit(f, disputed, tx, payeeAmount, ORDER_AMOUNT - payeeAmount);
      });

      it("reverts with NotAuthorized, OrderNotDisputed and AmountExceedsOrder", async function () {
        const f = await loadFixture(deployDeskFixture);
        const order = await open(f, kind);
        const { payee } = sides(f, kind);
        await expect(f.desk.connect(f.other).resolve(order, 0n, 0n)).to.be.revertedWithCustomError(f.desk, "NotAuthorized").withArgs(f.other.address);
        await expect(f.desk.connect(f.arbiter).resolve(order, 0n, 0n)).to.be.revertedWithCustomError(f.desk, "OrderNotDisputed").withArgs(order.orderId);
        await f.desk.connect(payee).dispute(order, 0n);
        const disputed = withFields(order, { disputedAt: BigInt(await time.latest()) });
        await expect(f.desk.connect(f.arbiter).resolve(disputed, 0n, ORDER_AMOUNT + 1n))
          .to.be.revertedWithCustomError(f.desk, "AmountExceedsOrder")
          .withArgs(ORDER_AMOUNT + 1n, ORDER_AMOUNT);
      });
    });

    describe("extendDeadline", function () {
      it("lets the payer side move the deadline later and emits OrderDeadlineExtended", async function () {
        const f = await loadFixture(deployDeskFixture);
        const order = await open(f, kind);
        const { payer } = sides(f, kind);
        const newDeadline = order.deadline + HOUR;
        await expect(f.desk.connect(payer).extendDeadline(order, 0n, newDeadline))
          .to.emit(f.desk, "OrderDeadlineExtended")
          .withArgs(order.orderId, f.acceptor.address, 0n, newDeadline);
        expect(await f.desk.orderSlot(f.acceptor.address, 0n)).to.equal(hashOrder(withFields(order, { deadline: newDeadline })));
      });

      it("reverts with NotAuthorized, DeadlineNotExtended and OrderIsDisputed", async function () {
        const f = await loadFixture(deployDeskFixture);
        const order = await open(f, kind);
        const { payer, payee } = sides(f, kind);
        await expect(f.desk.connect(payee).extendDeadline(order, 0n, order.deadline + 1n)).to.be.revertedWithCustomError(f.desk, "NotAuthorized");
        await expect(f.desk.connect(payer).extendDeadline(order, 0n, order.deadline))
          .to.be.revertedWithCustomError(f.desk, "DeadlineNotExtended")
          .withArgs(order.deadline, order.deadline);
        await f.desk.connect(payee).dispute(order, 0n);
        const disputed = withFields(order, { disputedAt: BigInt(await time.latest()) });
        await expect(f.desk.connect(payer).extendDeadline(disputed, 0n, order.deadline + 1n))
          .to.be.revertedWithCustomError(f.desk, "OrderIsDisputed")
          .withArgs(order.orderId);
      });
    });

    describe("expire", function () {
      it("refunds the payer side after the deadline, for anyone, and emits OrderExpired", async function () {
        const f = await loadFixture(deployDeskFixture);
        const order = await open(f, kind);
        await expect(f.desk.connect(f.other).expire(order, 0n))
          .to.be.revertedWithCustomError(f.desk, "ExpiryNotReached")
          .withArgs(anyValue, order.deadline);
        await time.increaseTo(order.deadline);
        const tx = f.desk.connect(f.other).expire(order, 0n);
        await expect(tx).to.emit(f.desk, "OrderExpired").withArgs(order.orderId, f.acceptor.address, 0n);
        await expectSplit(f, order, tx, 0n, ORDER_AMOUNT);
      });

      it("waits for the arbitration period when disputed, and works while deposits are paused", async function () {
        const f = await loadFixture(deployDeskFixture);
        const order = await open(f, kind);
        await f.desk.connect(sides(f, kind).payee).dispute(order, 0n);
        const disputed = withFields(order, { disputedAt: BigInt(await time.latest()) });
        await time.increaseTo(order.deadline + HOUR);
        const due = disputed.disputedAt + DESK_ARBITRATION_PERIOD_S;
        expect(await f.desk.expirableAfter(disputed)).to.equal(due);
        await expect(f.desk.expire(disputed, 0n)).to.be.revertedWithCustomError(f.desk, "ExpiryNotReached");
        await time.increaseTo(due);
        await f.vault.setDepositsPaused(true);
        await expect(f.desk.expire(disputed, 0n)).to.emit(f.desk, "OrderExpired");
      });
    });

    describe("expireBatch", function () {
      it("expires the due orders and skips closed, changed and not-yet-due ones", async function () {
        const f = await loadFixture(deployDeskFixture);
        const due1 = await open(f, kind);
        const due2 = await placeOrder(f, await makeOrder(f, { kind }), 1n);
        const closed = await placeOrder(f, await makeOrder(f, { kind }), 2n);
        await f.desk.connect(sides(f, kind).payer).confirm(closed, 2n);
        const later = await placeOrder(f, await makeOrder(f, { kind, deadline: due1.deadline + 10n * HOUR }), 3n);
        await time.increaseTo(due2.deadline + 1n);
        const calls = [
          { order: due1, slot: 0n },
          { order: withFields(due2, { amount: 1n }), slot: 1n },
          { order: closed, slot: 2n },
          { order: later, slot: 3n },
          { order: due2, slot: 1n },
        ];
        expect(await f.desk.expireBatch.staticCall(calls)).to.equal(2n);
        await expect(f.desk.expireBatch(calls)).to.emit(f.desk, "OrderExpired").withArgs(due2.orderId, f.acceptor.address, 1n);
        expect(await f.desk.orderSlot(f.acceptor.address, 3n)).to.equal(hashOrder(later));
      });
    });
  });
}

describe("AcceptorDesk deferred payouts", function () {
  it("defers a Deposit release to a blacklisted beneficiary, who claims it elsewhere", async function () {
    const f = await loadFixture(deployDeskFixture);
    const usdt = await f.ethUsdt.getAddress();
    const order = await open(f, OrderKind.Deposit, {}, f.ethUsdt as unknown as typeof f.token);
    await f.ethUsdt.setBlackListed(f.beneficiary.address, true);
    await expect(f.desk.connect(f.acceptor).confirm(order, 0n)).to.emit(f.desk, "PayoutDeferred").withArgs(f.beneficiary.address, usdt, ORDER_AMOUNT);
    expect(await f.desk.deferredPayouts(f.beneficiary.address, usdt)).to.equal(ORDER_AMOUNT);
    const tx = f.desk.connect(f.beneficiary).claim(usdt, f.other.address);
    await expect(tx).to.emit(f.desk, "PayoutClaimed").withArgs(f.beneficiary.address, usdt, f.other.address, ORDER_AMOUNT);
    await expect(tx).to.changeTokenBalances(f.ethUsdt, [f.desk, f.other], [-ORDER_AMOUNT, ORDER_AMOUNT]);
    await expect(f.desk.connect(f.beneficiary).claim(usdt, f.other.address))
      .to.be.revertedWithCustomError(f.desk, "NothingToClaim")
      .withArgs(f.beneficiary.address, usdt);
  });

  it("defers a Withdrawal refund to a blacklisted refund address when the order expires", async function () {
    const f = await loadFixture(deployDeskFixture);
    const usdt = await f.ethUsdt.getAddress();
    const order = await open(f, OrderKind.Withdrawal, {}, f.ethUsdt as unknown as typeof f.token);
    await f.ethUsdt.setBlackListed(f.beneficiary.address, true);
    await time.increaseTo(order.deadline + 1n);
    await expect(f.desk.expire(order, 0n)).to.emit(f.desk, "PayoutDeferred").withArgs(f.beneficiary.address, usdt, ORDER_AMOUNT);
    expect(await f.desk.freeBalance(f.acceptor.address, usdt)).to.equal(LIQUIDITY);
  });

  it("pays TRON USDT (transfer returns false) without deferring", async function () {
    const f = await loadFixture(deployDeskFixture);
    const order = await open(f, OrderKind.Deposit, {}, f.tronUsdt as unknown as typeof f.token);
    const tx = f.desk.connect(f.acceptor).confirm(order, 0n);
    await expect(tx).to.not.emit(f.desk, "PayoutDeferred");
    await expect(tx).to.changeTokenBalances(f.tronUsdt, [f.beneficiary], [ORDER_AMOUNT]);
  });

  it("reverts a claim to the zero address or the desk", async function () {
    const f = await loadFixture(deployDeskFixture);
    await expect(f.desk.connect(f.beneficiary).claim(await f.token.getAddress(), "0x0000000000000000000000000000000000000000")).to.be.revertedWithCustomError(
      f.desk,
      "ZeroAddress",
    );
    await expect(f.desk.connect(f.beneficiary).claim(await f.token.getAddress(), f.deskAddress)).to.be.revertedWithCustomError(f.desk, "RecipientIsDesk");
  });
});
