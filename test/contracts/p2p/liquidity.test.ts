import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { LIQUIDITY, authorizeDesk, deployDeskFixture } from "./helpers";

const AMOUNT = 5_000_000n;

describe("AcceptorDesk liquidity", function () {
  describe("constructor", function () {
    it("reverts with ZeroAddress without a vault", async function () {
      const { desk } = await loadFixture(deployDeskFixture);
      await expect(ethers.deployContract("AcceptorDesk", [ethers.ZeroAddress])).to.be.revertedWithCustomError(desk, "ZeroAddress");
    });

    it("follows the vault it was given", async function () {
      const { desk, vault } = await loadFixture(deployDeskFixture);
      expect(await desk.vault()).to.equal(await vault.getAddress());
    });
  });

  for (const name of ["token", "ethUsdt", "tronUsdt"] as const) {
    describe(`depositLiquidity (${name})`, function () {
      it("credits the free balance with exactly what arrived and emits LiquidityDeposited", async function () {
        const f = await loadFixture(deployDeskFixture);
        const token = f[name];
        const tokenAddress = await token.getAddress();
        const tx = f.desk.connect(f.acceptor).depositLiquidity(tokenAddress, AMOUNT);
        await expect(tx)
          .to.emit(f.desk, "LiquidityDeposited")
          .withArgs(f.acceptor.address, tokenAddress, AMOUNT);
        await expect(tx).to.changeTokenBalances(token, [f.acceptor, f.desk], [-AMOUNT, AMOUNT]);
        expect(await f.desk.freeBalance(f.acceptor.address, tokenAddress)).to.equal(LIQUIDITY + AMOUNT);
      });
    });

    describe(`withdrawLiquidity (${name})`, function () {
      it("sends free liquidity to any address and emits LiquidityWithdrawn", async function () {
        const f = await loadFixture(deployDeskFixture);
        const token = f[name];
        const tokenAddress = await token.getAddress();
        const tx = f.desk.connect(f.acceptor).withdrawLiquidity(tokenAddress, AMOUNT, f.other.address);
        await expect(tx)
          .to.emit(f.desk, "LiquidityWithdrawn")
          .withArgs(f.acceptor.address, tokenAddress, f.other.address, AMOUNT);
        await expect(tx).to.changeTokenBalances(token, [f.desk, f.other], [-AMOUNT, AMOUNT]);
        expect(await f.desk.freeBalance(f.acceptor.address, tokenAddress)).to.equal(LIQUIDITY - AMOUNT);
      });
    });
  }

  describe("depositLiquidity", function () {
    it("reverts with ZeroAmount", async function () {
      const f = await loadFixture(deployDeskFixture);
      await expect(f.desk.connect(f.acceptor).depositLiquidity(await f.token.getAddress(), 0)).to.be.revertedWithCustomError(f.desk, "ZeroAmount");
    });

    it("reverts with DepositsArePaused while the vault pauses deposits", async function () {
      const f = await loadFixture(deployDeskFixture);
      await f.vault.setDepositsPaused(true);
      await expect(f.desk.connect(f.acceptor).depositLiquidity(await f.token.getAddress(), AMOUNT)).to.be.revertedWithCustomError(
        f.desk,
        "DepositsArePaused",
      );
    });

    it("reverts with TokenNotAllowed for a token the vault does not allowlist", async function () {
      const f = await loadFixture(deployDeskFixture);
      const tokenAddress = await f.token.getAddress();
      await f.vault.setTokenAllowed(tokenAddress, false);
      await expect(f.desk.connect(f.acceptor).depositLiquidity(tokenAddress, AMOUNT))
        .to.be.revertedWithCustomError(f.desk, "TokenNotAllowed")
        .withArgs(tokenAddress);
    });

    it("reverts with TokenMovementsShortfall when Tether's fee is switched on, crediting nothing", async function () {
      const f = await loadFixture(deployDeskFixture);
      const usdt = await f.ethUsdt.getAddress();
      await f.ethUsdt.setParams(10, 1_000_000);
      const fee = (AMOUNT * 10n) / 10_000n;
      await expect(f.desk.connect(f.acceptor).depositLiquidity(usdt, AMOUNT))
        .to.be.revertedWithCustomError(f.desk, "TokenMovementsShortfall")
        .withArgs(usdt, AMOUNT, AMOUNT - fee);
      expect(await f.desk.freeBalance(f.acceptor.address, usdt)).to.equal(LIQUIDITY);
    });

    it("reverts with TokenMovementsPullFailed when the acceptor is blacklisted", async function () {
      const f = await loadFixture(deployDeskFixture);
      const usdt = await f.ethUsdt.getAddress();
      await f.ethUsdt.setBlackListed(f.acceptor.address, true);
      await expect(f.desk.connect(f.acceptor).depositLiquidity(usdt, AMOUNT))
        .to.be.revertedWithCustomError(f.desk, "TokenMovementsPullFailed")
        .withArgs(usdt, f.acceptor.address);
    });

    it("refuses a re-entry during the pull with ReentrantPull and credits only the outer deposit", async function () {
      const f = await loadFixture(deployDeskFixture);
      const reentrant = await ethers.deployContract("ReentrantToken");
      const address = await reentrant.getAddress();
      await f.vault.setTokenAllowed(address, true);
      await reentrant.mint(f.acceptor.address, 2n * AMOUNT);
      await reentrant.connect(f.acceptor).approve(f.deskAddress, ethers.MaxUint256);
      // The token re-enters depositLiquidity from its own address (which holds tokens and approved nothing).
      const data = f.desk.interface.encodeFunctionData("depositLiquidity", [address, AMOUNT]);
      await reentrant.arm(2, f.deskAddress, data, false, false);
      await expect(f.desk.connect(f.acceptor).depositLiquidity(address, AMOUNT))
        .to.emit(f.desk, "LiquidityDeposited")
        .withArgs(f.acceptor.address, address, AMOUNT);
      expect(await reentrant.reentered()).to.equal(true);
      expect(await reentrant.reentrySucceeded()).to.equal(false);
      expect(await reentrant.reentryReturnData()).to.equal(f.desk.interface.getError("ReentrantPull")!.selector);
      // Only the outer deposit was credited.
      expect(await f.desk.freeBalance(f.acceptor.address, address)).to.equal(AMOUNT);
    });
  });

  describe("withdrawLiquidity", function () {
    it("reverts with InsufficientFreeBalance above the free balance", async function () {
      const f = await loadFixture(deployDeskFixture);
      const token = await f.token.getAddress();
      await expect(f.desk.connect(f.acceptor).withdrawLiquidity(token, LIQUIDITY + 1n, f.acceptor.address))
        .to.be.revertedWithCustomError(f.desk, "InsufficientFreeBalance")
        .withArgs(f.acceptor.address, token, LIQUIDITY, LIQUIDITY + 1n);
    });

    it("reverts with ZeroAmount, ZeroAddress and RecipientIsDesk", async function () {
      const f = await loadFixture(deployDeskFixture);
      const token = await f.token.getAddress();
      await expect(f.desk.connect(f.acceptor).withdrawLiquidity(token, 0, f.acceptor.address)).to.be.revertedWithCustomError(f.desk, "ZeroAmount");
      await expect(f.desk.connect(f.acceptor).withdrawLiquidity(token, 1, ethers.ZeroAddress)).to.be.revertedWithCustomError(f.desk, "ZeroAddress");
      await expect(f.desk.connect(f.acceptor).withdrawLiquidity(token, 1, f.deskAddress)).to.be.revertedWithCustomError(f.desk, "RecipientIsDesk");
    });

    it("reverts with TokenMovementsPushFailed when the token refuses the recipient", async function () {
      const f = await loadFixture(deployDeskFixture);
      const usdt = await f.ethUsdt.getAddress();
      await f.ethUsdt.setBlackListed(f.other.address, true);
      await expect(f.desk.connect(f.acceptor).withdrawLiquidity(usdt, AMOUNT, f.other.address))
        .to.be.revertedWithCustomError(f.desk, "TokenMovementsPushFailed")
        .withArgs(usdt, f.other.address);
      expect(await f.desk.freeBalance(f.acceptor.address, usdt)).to.equal(LIQUIDITY);
    });

    it("works while deposits are paused", async function () {
      const f = await loadFixture(deployDeskFixture);
      await f.vault.setDepositsPaused(true);
      await expect(f.desk.connect(f.acceptor).withdrawLiquidity(await f.token.getAddress(), AMOUNT, f.acceptor.address)).to.emit(
        f.desk,
        "LiquidityWithdrawn",
      );
    });
  });

  describe("setPlatformTrusted", function () {
    it("records trust per acceptor and platform and emits PlatformTrusted", async function () {
      const f = await loadFixture(deployDeskFixture);
      await expect(f.desk.connect(f.acceptor).setPlatformTrusted(f.other.address, true))
        .to.emit(f.desk, "PlatformTrusted")
        .withArgs(f.acceptor.address, f.other.address, true);
      expect(await f.desk.isPlatformTrusted(f.acceptor.address, f.other.address)).to.equal(true);
      expect(await f.desk.isPlatformTrusted(f.acceptor2.address, f.other.address)).to.equal(false);
      await f.desk.connect(f.acceptor).setPlatformTrusted(f.other.address, false);
      expect(await f.desk.isPlatformTrusted(f.acceptor.address, f.other.address)).to.equal(false);
    });

    it("reverts with ZeroAddress for the zero platform", async function () {
      const f = await loadFixture(deployDeskFixture);
      await expect(f.desk.connect(f.acceptor).setPlatformTrusted(ethers.ZeroAddress, true)).to.be.revertedWithCustomError(f.desk, "ZeroAddress");
    });
  });

  describe("signed twins", function () {
    it("depositLiquidityWithSig pulls from the signer, whoever submits", async function () {
      const f = await loadFixture(deployDeskFixture);
      const token = await f.token.getAddress();
      const auth = await authorizeDesk(f.desk, f.acceptor, "DepositLiquidity", { token, amount: AMOUNT });
      const tx = f.desk.connect(f.other).depositLiquidityWithSig(token, AMOUNT, auth);
      await expect(tx)
        .to.emit(f.desk, "LiquidityDeposited")
        .withArgs(f.acceptor.address, token, AMOUNT);
      await expect(tx).to.changeTokenBalances(f.token, [f.acceptor, f.other], [-AMOUNT, 0n]);
    });

    it("withdrawLiquidityWithSig pays the signed recipient and refuses another amount", async function () {
      const f = await loadFixture(deployDeskFixture);
      const token = await f.token.getAddress();
      const auth = await authorizeDesk(f.desk, f.acceptor, "WithdrawLiquidity", { token, amount: AMOUNT, to: f.other.address });
      await expect(f.desk.connect(f.other).withdrawLiquidityWithSig(token, AMOUNT + 1n, f.other.address, auth))
        .to.be.revertedWithCustomError(f.desk, "InvalidAuthorizationSignature")
        .withArgs(f.acceptor.address);
      await expect(f.desk.connect(f.other).withdrawLiquidityWithSig(token, AMOUNT, f.other.address, auth)).to.changeTokenBalances(
        f.token,
        [f.desk, f.other],
        [-AMOUNT, AMOUNT],
      );
    });

    it("setPlatformTrustedWithSig sets the signer's trust", async function () {
      const f = await loadFixture(deployDeskFixture);
      const auth = await authorizeDesk(f.desk, f.acceptor2, "TrustPlatform", { platform: f.other.address, trusted: true });
      await expect(f.desk.connect(f.other).setPlatformTrustedWithSig(f.other.address, true, auth))
        .to.emit(f.desk, "PlatformTrusted")
        .withArgs(f.acceptor2.address, f.other.address, true);
    });
  });
});
