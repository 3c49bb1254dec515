import fc from "fast-check";
import { Interface, type EventFragment } from "ethers";
import { describe, expect, it } from "vitest";
import { decodeVaultLog, VAULT_EVENT_NAMES } from "../../../relayer/src/domain/vault-events.js";
import { EscrowVault__factory } from "../../../typechain-types/index.js";

/**
 * The ingester reads vault logs with its own one-word decoder; ethers' ABI decoder is the reference.
 * For random values of every field of every ingested event, both must agree.
 */

const vault = new Interface(EscrowVault__factory.abi);

/** A random value of an ABI type, as ethers encodes it. */
function arbitraryOf(type: string): fc.Arbitrary<unknown> {
  if (type === "address") return fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => `0x${Buffer.from(b).toString("hex")}`);
  if (type === "bytes32") return fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString("hex")}`);
  if (type === "bool") return fc.boolean();
  const bits = Number(type.slice("uint".length));
  return fc.bigInt({ min: 0n, max: 2n ** BigInt(bits) - 1n });
}

/** ethers' decoding, normalised the way the ingester normalises (lower-case hex, enums by name). */
function reference(fragment: EventFragment, log: { topics: string[]; data: string }): Record<string, unknown> {
  const parsed = vault.parseLog(log)!;
  const out: Record<string, unknown> = { name: fragment.name };
  fragment.inputs.forEach((input, i) => {
    const value: unknown = parsed.args[i];
    if (input.type === "address" || input.type === "bytes32") out[input.name] = String(value).toLowerCase();
    else if (input.name === "timeoutAction" || input.name === "action") out[input.name] = Number(value) === 0 ? "release" : "refund";
    else if (input.name === "feeBps") out[input.name] = Number(value);
    else out[input.name] = value;
  });
  return out;
}

describe("vault log decoder", () => {
  for (const name of VAULT_EVENT_NAMES) {
    const fragment = vault.getEvent(name)!;
    it(`decodes ${name} exactly as ethers' ABI decoder does`, () => {
      fc.assert(
        fc.property(fc.tuple(...fragment.inputs.map((input) => arbitraryOf(input.type))), (values) => {
          const log = vault.encodeEventLog(fragment, values);
          expect(decodeVaultLog(log)).toEqual(reference(fragment, log));
        }),
        { numRuns: 200 },
      );
    });
  }

  it("refuses a word with bits beyond its type, a missing topic and short data (the vault never emits them)", () => {
    const fragment = vault.getEvent("EscrowOpened")!;
    const id = `0x${"11".repeat(32)}`;
    const address = `0x${"22".repeat(20)}`;
    const log = vault.encodeEventLog(fragment, [id, address, address, address, address, 1n, 2n, 3n, 4, 1, id]);
    expect(decodeVaultLog(log)).not.toBeNull();
    // payee is indexed: a topic with the upper 12 bytes set is no address.
    const dirtyTopics = [...log.topics];
    dirtyTopics[2] = `0x${"ff".repeat(12)}${"22".repeat(20)}`;
    expect(decodeVaultLog({ topics: dirtyTopics, data: log.data })).toBeNull();
    expect(decodeVaultLog({ topics: log.topics.slice(0, -1), data: log.data })).toBeNull();
    expect(decodeVaultLog({ topics: log.topics, data: log.data.slice(0, -64) })).toBeNull();
    // feeBps is a uint16: a larger value in its word is malformed.
    const words = log.data.slice(2).match(/.{64}/g)!;
    const feeWord = fragment.inputs.filter((input) => !input.indexed).findIndex((input) => input.name === "feeBps");
    words[feeWord] = (2n ** 16n).toString(16).padStart(64, "0");
    expect(decodeVaultLog({ topics: log.topics, data: `0x${words.join("")}` })).toBeNull();
  });
});
