import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { expect } from "chai";
import { ORDER_AMOUNT, OrderKind, authorizeDesk, deployDeskFixture, makeOrder, placeOrder, withFields } from "./helpers";

describe("AcceptorDesk signed twins", function () {
  it("confirmWithSig: the acceptor's signature releases a Deposit order, submitted by anyone", async function () {
    const f = await loadFixture(deployDeskFixture);
    const order = await placeOrder(f, await makeOrder(f));
    const auth = await authorizeDesk(f.desk, f.acceptor, "Confirm", { orderId: order.orderId, acceptor: order.acceptor, slot: 0n });
    const tx = f.desk.connect(f.other).confirmWithSig(order, 0n, auth);
    await expect(tx).to.emit(f.desk, "OrderConfirmed").withArgs(order.orderId, f.acceptor.address, 0n, f.acceptor.address);
    await expect(tx).to.changeTokenBalances(f.token, [f.beneficiary], [ORDER_AMOUNT]);
  });

  it("reverts a replay with NonceAlreadyUsed, even into a recycled slot", async function () {
    const f = await loadFixture(deployDeskFixture);
    const order = await placeOrder(f, await makeOrder(f));
    const auth = await authorizeDesk(f.desk, f.acceptor, "Confirm", { orderId: order.orderId, acceptor: order.acceptor, slot: 0n }, { nonce: 7n });
    await f.desk.confirmWithSig(order, 0n, auth);
    const again = await placeOrder(f, withFields(await makeOrder(f), { orderId: order.orderId }));
    await expect(f.desk.confirmWithSig(again, 0n, auth)).to.be.revertedWithCustomError(f.desk, "NonceAlreadyUsed").withArgs(f.acceptor.address, 7n);
    expect(await f.desk.nonceBitmap(f.acceptor.address, 0n)).to.equal(1n << 7n);
  });

  it("reverts with InvalidAuthorizationSignature for a signature by someone else than the stated signer", async function () {
    const f = await loadFixture(deployDeskFixture);
    const order = await placeOrder(f, await makeOrder(f));
    const auth = await authorizeDesk(f.desk, f.other, "Confirm", { orderId: order.orderId, acceptor: order.acceptor, slot: 0n });
    await expect(f.desk.confirmWithSig(order, 0n, { ...auth, signer: f.acceptor.address }))
      .to.be.revertedWithCustomError(f.desk, "InvalidAuthorizationSignature")
      .withArgs(f.acceptor.address);
  });

  it("reverts with NotAuthorized when the signer has no right to the action", async function () {
    const f = await loadFixture(deployDeskFixture);
    const order = await placeOrder(f, await makeOrder(f));
    const auth = await authorizeDesk(f.desk, f.other, "Confirm", { orderId: order.orderId, acceptor: order.acceptor, slot: 0n });
    await expect(f.desk.confirmWithSig(order, 0n, auth)).to.be.revertedWithCustomError(f.desk, "NotAuthorized").withArgs(f.other.address);
  });

  it("reverts with AuthorizationExpired at validBefore", async function () {
    const f = await loadFixture(deployDeskFixture);
    const order = await placeOrder(f, await makeOrder(f));
    const validBefore = BigInt(await time.latest()) + 10n;
    const auth = await authorizeDesk(f.desk, f.acceptor, "Confirm", { orderId: order.orderId, acceptor: order.acceptor, slot: 0n }, { validBefore });
    await time.setNextBlockTimestamp(validBefore);
    await expect(f.desk.confirmWithSig(order, 0n, auth)).to.be.revertedWithCustomError(f.desk, "AuthorizationExpired").withArgs(validBefore, validBefore);
  });

  it("invalidateNonces revokes an unsubmitted signature", async function () {
    const f = await loadFixture(deployDeskFixture);
    const order = await placeOrder(f, await makeOrder(f));
    const auth = await authorizeDesk(f.desk, f.acceptor, "Confirm", { orderId: order.orderId, acceptor: order.acceptor, slot: 0n }, { nonce: 258n });
    await expect(f.desk.connect(f.acceptor).invalidateNonces(1n, 1n << 2n))
      .to.emit(f.desk, "NoncesInvalidated")
      .withArgs(f.acceptor.address, 1n, 1n << 2n);
    await expect(f.desk.confirmWithSig(order, 0n, auth)).to.be.revertedWithCustomError(f.desk, "NonceAlreadyUsed").withArgs(f.acceptor.address, 258n);
  });

  it("cancelWithSig, disputeWithSig and resolveWithSig follow the sides: platform signer, then arbiter", async function () {
    const f = await loadFixture(deployDeskFixture);
    const fields = (o: { orderId: string; acceptor: string }, slot: bigint) => ({ orderId: o.orderId, acceptor: o.acceptor, slot });
    const cancelled = await placeOrder(f, await makeOrder(f), 1n);
    await expect(f.desk.cancelWithSig(cancelled, 1n, await authorizeDesk(f.desk, f.signerKey, "Cancel", fields(cancelled, 1n))))
      .to.emit(f.desk, "OrderCancelled")
      .withArgs(cancelled.orderId, f.acceptor.address, 1n, f.signerKey.address);
    const order = await placeOrder(f, await makeOrder(f));
    const dispute = await f.desk.disputeWithSig(order, 0n, await authorizeDesk(f.desk, f.signerKey, "Dispute", fields(order, 0n)));
    const disputed = withFields(order, { disputedAt: BigInt((await dispute.getBlock())!.timestamp) });
    const payeeAmount = ORDER_AMOUNT / 2n;
    const auth = await authorizeDesk(f.desk, f.arbiter, "Resolve", { ...fields(order, 0n), payeeAmount });
    await expect(f.desk.resolveWithSig(disputed, 0n, payeeAmount + 1n, auth)).to.be.revertedWithCustomError(f.desk, "InvalidAuthorizationSignature");
    await expect(f.desk.resolveWithSig(disputed, 0n, payeeAmount, auth))
      .to.emit(f.desk, "OrderResolved")
      .withArgs(order.orderId, f.acceptor.address, 0n, payeeAmount, ORDER_AMOUNT - payeeAmount);
  });

  it("extendDeadlineWithSig takes the platform's signature on a Withdrawal order", async function () {
    const f = await loadFixture(deployDeskFixture);
    const order = await placeOrder(f, await makeOrder(f, { kind: OrderKind.Withdrawal }));
    const newDeadline = order.deadline + 60n;
    const auth = await authorizeDesk(f.desk, f.platform, "ExtendDeadline", { orderId: order.orderId, acceptor: order.acceptor, slot: 0n, newDeadline });
    await expect(f.desk.extendDeadlineWithSig(order, 0n, newDeadline, auth))
      .to.emit(f.desk, "OrderDeadlineExtended")
      .withArgs(order.orderId, f.acceptor.address, 0n, newDeadline);
  });

  it("claimWithSig lets a blacklisted beneficiary with no gas redirect its payout", async function () {
    const f = await loadFixture(deployDeskFixture);
    const usdt = await f.ethUsdt.getAddress();
    const order = await placeOrder(f, await makeOrder(f, { token: usdt }));
    await f.ethUsdt.setBlackListed(f.beneficiary.address, true);
    await f.desk.connect(f.acceptor).confirm(order, 0n);
    const auth = await authorizeDesk(f.desk, f.beneficiary, "Claim", { token: usdt, to: f.other.address });
    await expect(f.desk.connect(f.other).claimWithSig(usdt, f.other.address, auth)).to.changeTokenBalances(f.ethUsdt, [f.other], [ORDER_AMOUNT]);
  });
});
