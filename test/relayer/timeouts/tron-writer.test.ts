import { createHash } from "node:crypto";
import { HDNodeWallet, recoverAddress, toBeHex } from "ethers";
import { describe, expect, it } from "vitest";
import { createTronWriter } from "../../../relayer/src/chains/tron-writer.js";
import type { EscrowProjection } from "../../../relayer/src/domain/escrow.js";
import { buildTimeoutCall, vaultAbi } from "../../../relayer/src/timeouts/batch.js";

const KEY = HDNodeWallet.fromPhrase("test test test test test test test test test test test junk").privateKey;
const VAULT = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const BLOCK_ID = toBeHex(58_123_456, 8).slice(2) + "9f3c0e11d2a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6";
const BLOCK_HEADER = { ref_block_bytes: BLOCK_ID.slice(12, 16), ref_block_hash: BLOCK_ID.slice(16, 32), expiration: 1_735_689_660_000, timestamp: 1_735_689_600_000 };
const FEE_LIMIT_SUN = 150_000_000n;

const escrow = {
  escrowId: `0x${"ab".repeat(32)}`,
  vault: VAULT,
  token: `0x${"11".repeat(20)}`,
  payer: `0x${"22".repeat(20)}`,
  payee: `0x${"33".repeat(20)}`,
  arbiter: `0x${"00".repeat(20)}`,
  remaining: 5_000_000n,
  payBy: 1_735_000_000n,
  deadline: 1_735_600_000n,
  disputedAt: null,
  feeBps: 25,
  timeoutAction: "refund",
} as unknown as EscrowProjection;

describe("TRON writer", () => {
  it("buildAndSign() builds an executeTimeouts call offline with ethers' encoding and the fee limit", async () => {
    const writer = createTronWriter({ name: "tron", fullHost: "http://127.0.0.1:9", privateKey: KEY, feeLimitSun: FEE_LIMIT_SUN, blockHeader: () => BLOCK_HEADER });
    const call = buildTimeoutCall(VAULT, [escrow]);

    const signed = await writer.buildAndSign(call, { nonce: null, fees: { kind: "tron", feeLimitSun: FEE_LIMIT_SUN } });

    const tx = JSON.parse(signed.raw) as {
      txID: string;
      signature: string[];
      raw_data_hex: string;
      raw_data: { fee_limit: number; expiration: number; contract: { parameter: { value: { contract_address: string; owner_address: string; data: string } } }[] };
    };
    const value = tx.raw_data.contract[0]!.parameter.value;
    expect(value.contract_address).toBe(`41${VAULT.slice(2)}`);
    expect(value.owner_address).toBe(`41${writer.address.slice(2)}`);
    expect(`0x${value.data}`).toBe(call.data);
    expect(value.data.slice(0, 8)).toBe(vaultAbi().getFunction("executeTimeouts")!.selector.slice(2));
    expect(tx.raw_data.fee_limit).toBe(Number(FEE_LIMIT_SUN));
    expect(tx.raw_data_hex).toContain(call.data.slice(2));
    expect(tx.txID).toBe(createHash("sha256").update(Buffer.from(tx.raw_data_hex, "hex")).digest("hex"));
    expect(signed).toMatchObject({ hash: `0x${tx.txID}`, expiresAtMs: BLOCK_HEADER.expiration, gasLimit: null });
    expect(recoverAddress(`0x${tx.txID}`, `0x${tx.signature[0]}`).toLowerCase()).toBe(writer.address);
  });
});
