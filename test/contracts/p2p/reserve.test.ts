import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import {
  LIQUIDITY,
  ORDER_AMOUNT,
  OrderKind,
  deployDeskFixture,
  hashOrder,
  makeOrder,
  placeOrder,
  reserveCall,
  signReservation,
  signReservationBatch,
  tombstoneOf,
  type DeskFixture,
  type Order,
} from "./helpers";
import { latestTimestamp } from "../helpers";
import type { ReserveItem } from "../../../scripts/lib/desk-typed-data";

const ZERO = ethers.ZeroHash;

/** The tuple ethers decodes an Order event argument into, as a plain array for withArgs. */
const asTuple = (o: Order) => [o.orderId, o.kind, o.token, o.acceptor, o.platform, o.beneficiary, o.arbiter, o.amount, o.deadline, o.disputedAt];

async function reserveWith(f: DeskFixture, order: Order, slot = 0n) {
  const call = await reserveCall(f, order, slot);
  return f.desk.reserve(order, slot, call.previous, call.platformSignature);
}

describe("AcceptorDesk reservations", function () {
  describe("reserve", function () {
    it("moves the amount out of the free balance into the slot without a transfer, and emits OrderReserved", async function () {
      const f = await loadFixture(deployDeskFixture);
      const order = await makeOrder(f);
      const tx = reserveWith(f, order, 7n);
      await expect(tx)
        .to.emit(f.desk, "OrderReserved")
        .withArgs(order.orderId, f.acceptor.address, f.platform.address, 7n, hashOrder(order));
      await expect(tx).to.changeTokenBalances(f.token, [f.desk, f.acceptor, f.beneficiary], [0n, 0n, 0n]);
      expect(await f.desk.freeBalance(f.acceptor.address, order.token)).to.equal(LIQUIDITY - ORDER_AMOUNT);
      expect(await f.desk.orderSlot(f.acceptor.address, 7n)).to.equal(hashOrder(order));
      expect(await f.desk.hashOrder(order)).to.equal(hashOrder(order));
    });

    it("accepts the platform's own signature, and the platform or its signer sending with no signature", async function () {
      const f = await loadFixture(deployDeskFixture);
      const a = await makeOrder(f);
      const sig = await signReservation(f.desk, f.platform, a, 0n, ZERO);
      await expect(f.desk.connect(f.other).reserve(a, 0n, ZERO, sig)).to.emit(f.desk, "OrderReserved");
      const b = await makeOrder(f);
      await expect(f.desk.connect(f.platform).reserve(b, 1n, ZERO, "0x")).to.emit(f.desk, "OrderReserved");
      const c = await makeOrder(f);
      await expect(f.desk.connect(f.signerKey).reserve(c, 2n, ZERO, "0x")).to.emit(f.desk, "OrderReserved");
    });

    it("accepts an EIP-1271 invoice signer's signature", async function () {
      const f = await loadFixture(deployDeskFixture);
      const wallet = await ethers.deployContract("ERC1271WalletMock", [f.other.address]);
      await f.vault.connect(f.platform).setInvoiceSigner(await wallet.getAddress());
      const order = await makeOrder(f);
      const sig = await signReservation(f.desk, f.other, order, 0n, ZERO);
      await expect(f.desk.reserve(order, 0n, ZERO, sig)).to.emit(f.desk, "OrderReserved");
    });

    it("reverts with InvalidPlatformSignature for another signer, another slot, or no signature from a stranger", async function () {
      const f = await loadFixture(deployDeskFixture);
      const order = await makeOrder(f);
      const byOther = await signReservation(f.desk, f.other, order, 0n, ZERO);
      await expect(f.desk.reserve(order, 0n, ZERO, byOther)).to.be.revertedWithCustomError(f.desk, "InvalidPlatformSignature").withArgs(order.orderId);
      const forSlot1 = await signReservation(f.desk, f.signerKey, order, 1n, ZERO);
      await expect(f.desk.reserve(order, 0n, ZERO, forSlot1)).to.be.revertedWithCustomError(f.desk, "InvalidPlatformSignature").withArgs(order.orderId);
      await expect(f.desk.connect(f.other).reserve(order, 0n, ZERO, "0x")).to.be.revertedWithCustomError(f.desk, "InvalidPlatformSignature");
      await expect(f.desk.reserve(order, 0n, ZERO, "0x1234")).to.be.revertedWithCustomError(f.desk, "InvalidPlatformSignature");
    });

    it("reverts with PlatformNotTrusted when the acceptor does not trust the platform", async function () {
      const f = await loadFixture(deployDeskFixture);
      await f.desk.connect(f.acceptor).setPlatformTrusted(f.platform.address, false);
      const order = await makeOrder(f);
      await expect(reserveWith(f, order))
        .to.be.revertedWithCustomError(f.desk, "PlatformNotTrusted")
        .withArgs(f.acceptor.address, f.platform.address);
    });

    it("reverts with InsufficientFreeBalance above the free balance", async function () {
      const f = await loadFixture(deployDeskFixture);
      const order = await makeOrder(f, { amount: LIQUIDITY + 1n });
      await expect(reserveWith(f, order))
        .to.be.revertedWithCustomError(f.desk, "InsufficientFreeBalance")
        .withArgs(f.acceptor.address, order.token, LIQUIDITY, LIQUIDITY + 1n);
    });

    it("reverts with WrongOrderKind for a Withdrawal order", async function () {
      const f = await loadFixture(deployDeskFixture);
      const order = await makeOrder(f, { kind: OrderKind.Withdrawal });
      await expect(reserveWith(f, order)).to.be.revertedWithCustomError(f.desk, "WrongOrderKind").withArgs(order.orderId, OrderKind.Withdrawal);
    });

    it("validates the order's fields", async function () {
      const f = await loadFixture(deployDeskFixture);
      const now = BigInt(await time.latest());
      await expect(reserveWith(f, await makeOrder(f, { amount: 0n }))).to.be.revertedWithCustomError(f.desk, "ZeroAmount");
      await expect(reserveWith(f, await makeOrder(f, { beneficiary: ethers.ZeroAddress }))).to.be.revertedWithCustomError(f.desk, "ZeroAddress");
      await expect(reserveWith(f, await makeOrder(f, { platform: ethers.ZeroAddress }))).to.be.revertedWithCustomError(f.desk, "ZeroAddress");
      await expect(reserveWith(f, await makeOrder(f, { beneficiary: f.deskAddress }))).to.be.revertedWithCustomError(f.desk, "RecipientIsDesk");
      const disputed = await makeOrder(f, { disputedAt: now });
      await expect(reserveWith(f, disputed)).to.be.revertedWithCustomError(f.desk, "OrderIsDisputed").withArgs(disputed.orderId);
      await expect(reserveWith(f, await makeOrder(f, { arbiter: f.acceptor.address })))
        .to.be.revertedWithCustomError(f.desk, "ArbiterConflict")
        .withArgs(f.acceptor.address);
      await expect(reserveWith(f, await makeOrder(f, { arbiter: f.platform.address })))
        .to.be.revertedWithCustomError(f.desk, "ArbiterConflict")
        .withArgs(f.platform.address);
    });

    it("reverts with DeadlinePassed unless the deadline is in the future", async function () {
      const f = await loadFixture(deployDeskFixture);
      const order = await makeOrder(f, { deadline: BigInt(await time.latest()) + 1n });
      const call = await reserveCall(f, order, 0n);
      await time.setNextBlockTimestamp(order.deadline);
      await expect(f.desk.reserve(order, 0n, call.previous, call.platformSignature))
        .to.be.revertedWithCustomError(f.desk, "DeadlinePassed")
        .withArgs(order.deadline, order.deadline);
    });
  });

  describe("slots", function () {
    it("reverts with SlotMismatch when the slot holds an open order", async function () {
      const f = await loadFixture(deployDeskFixture);
      const first = await placeOrder(f, await makeOrder(f));
      const second = await makeOrder(f);
      const sig = await signReservation(f.desk, f.signerKey, second, 0n, ZERO);
      await expect(f.desk.reserve(second, 0n, ZERO, sig))
        .to.be.revertedWithCustomError(f.desk, "SlotMismatch")
        .withArgs(f.acceptor.address, 0n, ZERO, hashOrder(first));
    });

    it("reverts with SlotOccupied when the signer states the open order's hash as previous", async function () {
      const f = await loadFixture(deployDeskFixture);
      const first = await placeOrder(f, await makeOrder(f));
      const second = await makeOrder(f);
      const sig = await signReservation(f.desk, f.signerKey, second, 0n, hashOrder(first));
      await expect(f.desk.reserve(second, 0n, hashOrder(first), sig))
        .to.be.revertedWithCustomError(f.desk, "SlotOccupied")
        .withArgs(f.acceptor.address, 0n);
      expect(await f.desk.orderSlot(f.acceptor.address, 0n)).to.equal(hashOrder(first));
    });

    it("recycles a closed slot: a new reservation states the tombstone", async function () {
      const f = await loadFixture(deployDeskFixture);
      const first = await placeOrder(f, await makeOrder(f));
      await f.desk.connect(f.platform).cancel(first, 0n);
      const tombstone = tombstoneOf(hashOrder(first));
      expect(await f.desk.orderSlot(f.acceptor.address, 0n)).to.equal(tombstone);
      expect(await f.desk.tombstoneOf(hashOrder(first))).to.equal(tombstone);
      const second = await makeOrder(f);
      const sig = await signReservation(f.desk, f.signerKey, second, 0n, tombstone);
      await expect(f.desk.reserve(second, 0n, tombstone, sig)).to.emit(f.desk, "OrderReserved");
      expect(await f.desk.orderSlot(f.acceptor.address, 0n)).to.equal(hashOrder(second));
    });

    it("refuses to replay a signed reservation into its slot after the order closed", async function () {
      const f = await loadFixture(deployDeskFixture);
      const order = await makeOrder(f);
      const sig = await signReservation(f.desk, f.signerKey, order, 0n, ZERO);
      await f.desk.reserve(order, 0n, ZERO, sig);
      await f.desk.connect(f.acceptor).confirm(order, 0n);
      // Replayed with its original `previous` (zero): the slot now holds the tombstone.
      await expect(f.desk.reserve(order, 0n, ZERO, sig))
        .to.be.revertedWithCustomError(f.desk, "SlotMismatch")
        .withArgs(f.acceptor.address, 0n, ZERO, tombstoneOf(hashOrder(order)));
      // Restated with the tombstone as `previous`: the signature does not cover it.
      const tombstone = tombstoneOf(hashOrder(order));
      await expect(f.desk.reserve(order, 0n, tombstone, sig)).to.be.revertedWithCustomError(f.desk, "InvalidPlatformSignature");
      expect(await f.desk.freeBalance(f.acceptor.address, order.token)).to.equal(LIQUIDITY - ORDER_AMOUNT);
    });

    it("keeps slots per acceptor", async function () {
      const f = await loadFixture(deployDeskFixture);
      await placeOrder(f, await makeOrder(f), 3n);
      await expect(placeOrder(f, await makeOrder(f, { acceptor: f.acceptor2.address }), 3n)).to.not.be.reverted;
    });
  });

  describe("reserveBatch", function () {
    /** The slot's current content for `order`, unsigned: reserveBatch takes one signature for all. */
    const item = async (f: DeskFixture, order: Order, slot: bigint): Promise<ReserveItem> => ({
      order,
      slot,
      previous: await f.desk.orderSlot(order.acceptor, slot),
    });
    const inAnHour = async () => BigInt(await latestTimestamp()) + 3600n;
    const selector = (f: DeskFixture, name: string) => f.desk.interface.getError(name)!.selector;

    it("reserves the good ones under one signature, emits ReservationFailed for failing ones and returns the count", async function () {
      const f = await loadFixture(deployDeskFixture);
      const good1 = await item(f, await makeOrder(f), 0n);
      const tooBig = await item(f, await makeOrder(f, { amount: LIQUIDITY + 1n }), 1n);
      const good2 = await item(f, await makeOrder(f, { acceptor: f.acceptor2.address }), 0n);
      // Another platform's order: the merchant's signer does not speak for it.
      const foreign = await item(f, await makeOrder(f, { platform: f.other.address }), 2n);
      const calls = [good1, tooBig, good2, foreign];
      const validBefore = await inAnHour();
      const sig = await signReservationBatch(f.desk, f.signerKey, calls, validBefore);
      expect(await f.desk.reserveBatch.staticCall(calls, validBefore, sig)).to.equal(2n);
      const tx = f.desk.connect(f.other).reserveBatch(calls, validBefore, sig);
      await expect(tx)
        .to.emit(f.desk, "ReservationFailed")
        .withArgs(tooBig.order.orderId, f.acceptor.address, selector(f, "InsufficientFreeBalance"));
      await expect(tx)
        .to.emit(f.desk, "ReservationFailed")
        .withArgs(foreign.order.orderId, f.acceptor.address, selector(f, "InvalidPlatformSignature"));
      await expect(tx)
        .to.emit(f.desk, "OrderReserved")
        .withArgs(good2.order.orderId, f.acceptor2.address, f.platform.address, 0n, hashOrder(good2.order));
      expect(await f.desk.orderSlot(f.acceptor.address, 0n)).to.equal(hashOrder(good1.order));
      expect(await f.desk.orderSlot(f.acceptor2.address, 0n)).to.equal(hashOrder(good2.order));
      expect(await f.desk.orderSlot(f.acceptor.address, 1n)).to.equal(ZERO);
      expect(await f.desk.orderSlot(f.acceptor.address, 2n)).to.equal(ZERO);
      expect(await f.desk.freeBalance(f.acceptor.address, await f.token.getAddress())).to.equal(LIQUIDITY - ORDER_AMOUNT);
    });

    it("accepts the platform's own batch signature, an EIP-1271 signer's, and the signer sending with none", async function () {
      const f = await loadFixture(deployDeskFixture);
      const validBefore = await inAnHour();
      const byPlatform = [await item(f, await makeOrder(f), 0n)];
      const platformSig = await signReservationBatch(f.desk, f.platform, byPlatform, validBefore);
      await expect(f.desk.reserveBatch(byPlatform, validBefore, platformSig)).to.emit(f.desk, "OrderReserved");
      const unsigned = [await item(f, await makeOrder(f), 1n)];
      await expect(f.desk.connect(f.signerKey).reserveBatch(unsigned, validBefore, "0x")).to.emit(f.desk, "OrderReserved");
      const wallet = await ethers.deployContract("ERC1271WalletMock", [f.other.address]);
      await f.vault.connect(f.platform).setInvoiceSigner(await wallet.getAddress());
      const byWallet = [await item(f, await makeOrder(f), 2n), await item(f, await makeOrder(f), 3n)];
      const walletSig = await signReservationBatch(f.desk, f.other, byWallet, validBefore);
      expect(await f.desk.reserveBatch.staticCall(byWallet, validBefore, walletSig)).to.equal(2n);
    });

    it("refuses every item when the signature covers another batch (slot, item or bound changed) or nobody signed", async function () {
      const f = await loadFixture(deployDeskFixture);
      const validBefore = await inAnHour();
      const calls = [await item(f, await makeOrder(f), 0n), await item(f, await makeOrder(f), 1n)];
      const sig = await signReservationBatch(f.desk, f.signerKey, calls, validBefore);
      const refusedAll = async (tx: ReturnType<typeof f.desk.reserveBatch>, items: ReserveItem[]) => {
        for (const c of items) {
          await expect(tx)
            .to.emit(f.desk, "ReservationFailed")
            .withArgs(c.order.orderId, c.order.acceptor, selector(f, "InvalidPlatformSignature"));
        }
        await expect(tx).to.not.emit(f.desk, "OrderReserved");
      };
      const otherSlot = [calls[0], { ...calls[1], slot: 5n }];
      await refusedAll(f.desk.reserveBatch(otherSlot, validBefore, sig), otherSlot);
      await refusedAll(f.desk.reserveBatch([calls[0]], validBefore, sig), [calls[0]]);
      await refusedAll(f.desk.reserveBatch(calls, validBefore + 1n, sig), calls);
      await refusedAll(f.desk.connect(f.other).reserveBatch(calls, validBefore, "0x"), calls);
      expect(await f.desk.orderSlot(f.acceptor.address, 0n)).to.equal(ZERO);
    });

    it("reverts with AuthorizationExpired from validBefore on, and a replayed batch reserves nothing", async function () {
      const f = await loadFixture(deployDeskFixture);
      const validBefore = await inAnHour();
      const calls = [await item(f, await makeOrder(f), 0n)];
      const sig = await signReservationBatch(f.desk, f.signerKey, calls, validBefore);
      expect(await f.desk.reserveBatch.staticCall(calls, validBefore, sig)).to.equal(1n);
      await (await f.desk.reserveBatch(calls, validBefore, sig)).wait();
      await expect(f.desk.reserveBatch(calls, validBefore, sig))
        .to.emit(f.desk, "ReservationFailed")
        .withArgs(calls[0].order.orderId, f.acceptor.address, selector(f, "SlotMismatch"));
      await time.setNextBlockTimestamp(validBefore);
      await expect(f.desk.reserveBatch(calls, validBefore, sig))
        .to.be.revertedWithCustomError(f.desk, "AuthorizationExpired")
        .withArgs(validBefore, validBefore);
    });

    it("lets two reservations of one batch compete for the same slot: the second fails with SlotMismatch", async function () {
      const f = await loadFixture(deployDeskFixture);
      const calls = [await item(f, await makeOrder(f), 0n), await item(f, await makeOrder(f), 0n)];
      const validBefore = await inAnHour();
      const sig = await signReservationBatch(f.desk, f.signerKey, calls, validBefore);
      await expect(f.desk.reserveBatch(calls, validBefore, sig))
        .to.emit(f.desk, "ReservationFailed")
        .withArgs(calls[1].order.orderId, f.acceptor.address, selector(f, "SlotMismatch"));
    });
  });

  for (const name of ["token", "ethUsdt", "tronUsdt"] as const) {
    describe(`openWithdrawal (${name})`, function () {
      it("pulls the amount from the platform into the slot and emits OrderOpened", async function () {
        const f = await loadFixture(deployDeskFixture);
        const order = await makeOrder(f, { kind: OrderKind.Withdrawal, token: await f[name].getAddress(), beneficiary: f.platform.address });
        const call = await reserveCall(f, order, 4n);
        const tx = f.desk.connect(f.other).openWithdrawal(order, 4n, call.previous, call.platformSignature);
        await expect(tx)
          .to.emit(f.desk, "OrderOpened")
          .withArgs(order.orderId, f.acceptor.address, f.platform.address, 4n, asTuple(order));
        await expect(tx).to.changeTokenBalances(f[name], [f.platform, f.desk], [-ORDER_AMOUNT, ORDER_AMOUNT]);
        expect(await f.desk.orderSlot(f.acceptor.address, 4n)).to.equal(hashOrder(order));
        expect(await f.desk.freeBalance(f.acceptor.address, order.token)).to.equal(LIQUIDITY);
      });
    });
  }

  describe("openWithdrawal", function () {
    async function withdrawalCall(f: DeskFixture, overrides: Partial<Order> = {}) {
      const order = await makeOrder(f, { kind: OrderKind.Withdrawal, beneficiary: f.platform.address, ...overrides });
      const call = await reserveCall(f, order, 0n);
      return { order, open: () => f.desk.openWithdrawal(order, 0n, call.previous, call.platformSignature) };
    }

    it("needs no trust from the acceptor", async function () {
      const f = await loadFixture(deployDeskFixture);
      await f.desk.connect(f.acceptor).setPlatformTrusted(f.platform.address, false);
      await expect((await withdrawalCall(f)).open()).to.emit(f.desk, "OrderOpened");
    });

    it("reverts with DepositsArePaused while paused and TokenNotAllowed off the allowlist", async function () {
      const f = await loadFixture(deployDeskFixture);
      await f.vault.setDepositsPaused(true);
      await expect((await withdrawalCall(f)).open()).to.be.revertedWithCustomError(f.desk, "DepositsArePaused");
      await f.vault.setDepositsPaused(false);
      const token = await f.token.getAddress();
      await f.vault.setTokenAllowed(token, false);
      await expect((await withdrawalCall(f)).open()).to.be.revertedWithCustomError(f.desk, "TokenNotAllowed").withArgs(token);
    });

    it("reverts with TokenMovementsShortfall when Tether's fee is on, opening nothing", async function () {
      const f = await loadFixture(deployDeskFixture);
      const usdt = await f.ethUsdt.getAddress();
      await f.ethUsdt.setParams(10, 1_000_000);
      const { open } = await withdrawalCall(f, { token: usdt });
      await expect(open()).to.be.revertedWithCustomError(f.desk, "TokenMovementsShortfall").withArgs(usdt, ORDER_AMOUNT, ORDER_AMOUNT - ORDER_AMOUNT / 1000n);
      expect(await f.desk.orderSlot(f.acceptor.address, 0n)).to.equal(ZERO);
    });

    it("reverts with WrongOrderKind for a Deposit order and checks fields like reserve", async function () {
      const f = await loadFixture(deployDeskFixture);
      const deposit = await makeOrder(f);
      const call = await reserveCall(f, deposit, 0n);
      await expect(f.desk.openWithdrawal(deposit, 0n, call.previous, call.platformSignature))
        .to.be.revertedWithCustomError(f.desk, "WrongOrderKind")
        .withArgs(deposit.orderId, OrderKind.Deposit);
      await expect((await withdrawalCall(f, { amount: 0n })).open()).to.be.revertedWithCustomError(f.desk, "ZeroAmount");
    });

    it("leaves reserve working while deposits are paused: a reservation brings no money in", async function () {
      const f = await loadFixture(deployDeskFixture);
      await f.vault.setDepositsPaused(true);
      await expect(reserveWith(f, await makeOrder(f))).to.emit(f.desk, "OrderReserved");
    });
  });
});
