import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import type { ContractTransactionResponse } from "ethers";
import { deployVaultFixture } from "../fixtures";
import { makeInvoice, payInvoice, signInvoice, TimeoutAction, type Escrow, type InvoiceStruct } from "../helpers";

/**
 * Shared set-up and behaviour of the escrow action tests (release, refund, dispute, resolve,
 * extendDeadline, executeTimeout(s), claim). Every file loops its behaviour over TOKEN_VARIANTS.
 */

/** The three allowlisted tokens of the shared fixture. */
export const TOKEN_VARIANTS = ["token", "ethUsdt", "tronUsdt"] as const;
export type TokenVariant = (typeof TOKEN_VARIANTS)[number];

/** The variants with a blacklist that blocks recipients (Tether imitations). */
export const BLACKLIST_VARIANTS = ["ethUsdt", "tronUsdt"] as const;
export type BlacklistVariant = (typeof BLACKLIST_VARIANTS)[number];

export const AMOUNT = 100_000_000n;
export const ONE_DAY = 24n * 3600n;
export const PAY_WINDOW = 3600n;
export const HOLD_PERIOD = 7n * ONE_DAY;
export const ARBITRATION_PERIOD = 30n * ONE_DAY;
/** The fee the fee tests set before paying: 1%. */
export const FEE_BPS = 100n;
const BPS_DENOMINATOR = 10_000n;

/** What the vault stores for a closed escrow while its invoice's payBy has not passed. */
export const USED = ethers.zeroPadValue("0x01", 32);
/** What the vault stores for an unknown id, or a closed escrow after payBy. */
export const CLEARED = ethers.ZeroHash;

export { TimeoutAction };

/** The protocol fee as the contract computes it: ceil(amount * bps / 10000). */
export function feeOn(amount: bigint, feeBps: bigint): bigint {
  return (amount * feeBps + BPS_DENOMINATOR - 1n) / BPS_DENOMINATOR;
}

/** keccak256(abi.encode(Escrow)), computed here rather than asked from the vault. */
export function escrowHash(escrow: Escrow): string {
  return ethers.keccak256(
    ethers.AbiCoder.defaultAbiCoder().encode(
      ["address", "address", "address", "address", "uint256", "uint48", "uint48", "uint48", "uint16", "uint8"],
      [
        escrow.token,
        escrow.payer,
        escrow.payee,
        escrow.arbiter,
        escrow.remaining,
        escrow.payBy,
        escrow.deadline,
        escrow.disputedAt,
        escrow.feeBps,
        escrow.timeoutAction,
      ],
    ),
  );
}

/** Escrow terms a fixture opens with. */
export interface EscrowTerms {
  /** Default Release. */
  timeoutAction?: number;
  /** Whether the invoice names the arbiter. Default true. */
  withArbiter?: boolean;
  /** Vault fee set with `setFee` before paying. Default 0 (the fixture's fee). */
  feeBps?: bigint;
  /** Default AMOUNT. */
  amount?: bigint;
  /** Seconds from now to the invoice's payBy. Default PAY_WINDOW (one hour). */
  payWindow?: bigint;
  /** Default HOLD_PERIOD (one week). */
  holdPeriod?: bigint;
}

type BaseContext = Awaited<ReturnType<typeof deployVaultFixture>>;

/** Everything a test needs: the shared fixture plus one open escrow in the chosen token. */
export type EscrowContext = BaseContext & {
  variant: TokenVariant;
  tok: BaseContext[TokenVariant];
  tokenAddress: string;
  invoice: InvoiceStruct;
  escrowId: string;
  escrow: Escrow;
};

/** Opens one more escrow in the context's token, paid by `payer` to `merchant`. */
export async function openEscrow(
  ctx: Pick<BaseContext, "vault" | "merchant" | "payer" | "arbiter">,
  tokenAddress: string,
  terms: EscrowTerms = {},
): Promise<{ invoice: InvoiceStruct; escrowId: string; escrow: Escrow }> {
  const now = BigInt(await time.latest());
  const invoice = await makeInvoice({
    merchant: ctx.merchant.address,
    token: tokenAddress,
    amount: terms.amount ?? AMOUNT,
    payBy: now + (terms.payWindow ?? PAY_WINDOW),
    holdPeriod: terms.holdPeriod ?? HOLD_PERIOD,
    timeoutAction: terms.timeoutAction ?? TimeoutAction.Release,
    arbiter: terms.withArbiter === false ? ethers.ZeroAddress : ctx.arbiter.address,
  });
  const { escrowId, escrow } = await payInvoice(ctx.vault, ctx.merchant, ctx.payer, invoice);
  return { invoice, escrowId, escrow };
}

const fixtureCache = new Map<string, () => Promise<EscrowContext>>();

/**
 * A named, memoised fixture (loadFixture snapshots by function identity) that deploys the shared
 * fixture, sets the fee if asked and opens one escrow with `terms` in `variant`.
 */
export function escrowFixture(variant: TokenVariant, terms: EscrowTerms = {}): () => Promise<EscrowContext> {
  const key = `${variant}:${JSON.stringify(terms, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`;
  let fixture = fixtureCache.get(key);
  if (fixture === undefined) {
    fixture = async function openedEscrowFixture(): Promise<EscrowContext> {
      const base = await deployVaultFixture();
      if (terms.feeBps !== undefined) await (await base.vault.setFee(terms.feeBps)).wait();
      const tok = base[variant];
      const tokenAddress = await tok.getAddress();
      const opened = await openEscrow(base, tokenAddress, terms);
      return { ...base, variant, tok, tokenAddress, ...opened };
    };
    fixtureCache.set(key, fixture);
  }
  return fixture;
}

/** Loads the memoised fixture for `variant` and `terms`. */
export function loadEscrow(variant: TokenVariant, terms: EscrowTerms = {}): Promise<EscrowContext> {
  return loadFixture(escrowFixture(variant, terms));
}

/** Block timestamp of a mined transaction. */
export async function minedAt(tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  const block = await ethers.provider.getBlock(receipt!.blockNumber);
  return BigInt(block!.timestamp);
}

/** Disputes `escrow` from `by` and returns the struct with `disputedAt` set to the dispute's block time. */
export async function disputeEscrow(
  ctx: Pick<EscrowContext, "vault">,
  by: EscrowContext["payer"],
  escrowId: string,
  escrow: Escrow,
): Promise<Escrow> {
  const disputedAt = await minedAt(await ctx.vault.connect(by).dispute(escrowId, escrow));
  return { ...escrow, disputedAt };
}

/** Pays the context's invoice again (it must have been paid once already). */
export async function payAgain(ctx: EscrowContext): Promise<ContractTransactionResponse> {
  const signature = await signInvoice(ctx.vault, ctx.merchant, ctx.invoice);
  return ctx.vault.connect(ctx.payer).payInvoice(ctx.invoice, signature);
}

/** The blacklisting token of a blacklist variant. */
export function blacklistToken(ctx: BaseContext, variant: BlacklistVariant) {
  return variant === "ethUsdt" ? ctx.ethUsdt : ctx.tronUsdt;
}

/** An action under test, given the escrow id and the struct to pass. */
export type EscrowAction = (ctx: EscrowContext, escrowId: string, escrow: Escrow) => Promise<ContractTransactionResponse>;

/**
 * Shared behaviour of every action that takes an `Escrow` struct: the struct must hash to the stored
 * word, so unknown ids, altered fields and closed escrows are refused with EscrowNotOpen.
 * `prepare` may put the escrow into the state the action needs (for example disputed) first.
 */
export function shouldRequireAnOpenEscrow(
  variant: TokenVariant,
  terms: EscrowTerms,
  act: EscrowAction,
  prepare: (ctx: EscrowContext) => Promise<Escrow> = async (ctx) => ctx.escrow,
): void {
  describe("when the escrow is not open", function () {
    it("reverts with EscrowNotOpen for an unknown escrow id", async function () {
      const ctx = await loadEscrow(variant, terms);
      const escrow = await prepare(ctx);
      const unknownId = ethers.keccak256(ethers.toUtf8Bytes("unknown escrow"));
      await expect(act(ctx, unknownId, escrow))
        .to.be.revertedWithCustomError(ctx.vault, "EscrowNotOpen")
        .withArgs(unknownId);
    });

    const alterations: [string, (ctx: EscrowContext, escrow: Escrow) => Escrow][] = [
      ["remaining", (_ctx, e) => ({ ...e, remaining: e.remaining + 1n })],
      ["payee", (ctx, e) => ({ ...e, payee: ctx.other.address })],
      ["payer", (ctx, e) => ({ ...e, payer: ctx.other.address })],
      ["deadline", (_ctx, e) => ({ ...e, deadline: e.deadline - 1n })],
      ["feeBps", (_ctx, e) => ({ ...e, feeBps: e.feeBps + 1n })],
      ["timeoutAction", (_ctx, e) => ({ ...e, timeoutAction: 1n - e.timeoutAction })],
    ];
    for (const [field, alter] of alterations) {
      it(`reverts with EscrowNotOpen when the struct's ${field} differs from the stored escrow`, async function () {
        const ctx = await loadEscrow(variant, terms);
        const escrow = await prepare(ctx);
        await expect(act(ctx, ctx.escrowId, alter(ctx, escrow)))
          .to.be.revertedWithCustomError(ctx.vault, "EscrowNotOpen")
          .withArgs(ctx.escrowId);
      });
    }

    it("reverts with EscrowNotOpen once the escrow closed before payBy", async function () {
      const ctx = await loadEscrow(variant, terms);
      const escrow = await prepare(ctx);
      await ctx.vault.connect(ctx.merchant).refund(ctx.escrowId, escrow, escrow.remaining);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(USED);
      await expect(act(ctx, ctx.escrowId, escrow))
        .to.be.revertedWithCustomError(ctx.vault, "EscrowNotOpen")
        .withArgs(ctx.escrowId);
    });

    it("reverts with EscrowNotOpen once the escrow closed after payBy", async function () {
      const ctx = await loadEscrow(variant, terms);
      const escrow = await prepare(ctx);
      await time.increaseTo(escrow.payBy + 1n);
      await ctx.vault.connect(ctx.merchant).refund(ctx.escrowId, escrow, escrow.remaining);
      expect(await ctx.vault.escrowHashOf(ctx.escrowId)).to.equal(CLEARED);
      await expect(act(ctx, ctx.escrowId, escrow))
        .to.be.revertedWithCustomError(ctx.vault, "EscrowNotOpen")
        .withArgs(ctx.escrowId);
    });
  });
}

/**
 * Shared behaviour of every action: pausing deposits stops new money coming in, never money leaving
 * or moving by the escrow rules (DESIGN invariant 4). `act` must succeed after `prepare`.
 */
export function shouldWorkWhileDepositsArePaused(
  variant: TokenVariant,
  terms: EscrowTerms,
  title: string,
  act: EscrowAction,
  prepare: (ctx: EscrowContext) => Promise<Escrow> = async (ctx) => ctx.escrow,
): void {
  it(`${title} while deposits are paused`, async function () {
    const ctx = await loadEscrow(variant, terms);
    const escrow = await prepare(ctx);
    await expect(ctx.vault.setDepositsPaused(true)).to.emit(ctx.vault, "DepositsPaused").withArgs(true);
    expect(await ctx.vault.depositsPaused()).to.equal(true);
    await expect(act(ctx, ctx.escrowId, escrow)).not.to.be.reverted;
    // The pause is real: paying a new invoice is refused meanwhile.
    const invoice = await makeInvoice({ merchant: ctx.merchant.address, token: ctx.tokenAddress });
    const signature = await signInvoice(ctx.vault, ctx.merchant, invoice);
    await expect(ctx.vault.connect(ctx.payer).payInvoice(invoice, signature)).to.be.revertedWithCustomError(
      ctx.vault,
      "DepositsArePaused",
    );
  });
}
