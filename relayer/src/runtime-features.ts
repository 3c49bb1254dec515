import { Wallet } from "ethers";
import type { ChainReader } from "./chains/index.js";
import type { Context } from "./common/context.js";
import { NonRetryableUserError } from "./common/errors.js";
import { readSightings } from "./ingest/deposits.js";
import type { ChainDeposits } from "./merchants/index.js";
import { openSecret } from "./merchants/keys.js";
import { recordSightings, selectSightingCursor, selectWatchedDeposits } from "./store/deposits-repository.js";
import { selectMerchantAddress, selectSigningKey } from "./store/merchants-repository.js";
import { vaultAbi } from "./timeouts/batch.js";

/**
 * What the runtime wires per chain for scan-to-pay (deposit addresses) and P2P (the AcceptorDesk):
 * facts read from the vault at start-up, the deposit watch list and sightings for ingestion, and the
 * platform signer the P2P sender signs with.
 */

/**
 * The vault's deposit-address facts (`depositRouter()`, `create2Prefix()`), read once: a vault deployed
 * before scan-to-pay existed has neither, and the chain then simply offers no deposit addresses.
 */
export async function readChainDeposits(ctx: Context, reader: ChainReader, vault: string): Promise<ChainDeposits | undefined> {
  const abi = vaultAbi();
  try {
    const [router] = abi.decodeFunctionResult("depositRouter", await reader.call(vault, abi.encodeFunctionData("depositRouter"))) as unknown as [string];
    const [prefix] = abi.decodeFunctionResult("create2Prefix", await reader.call(vault, abi.encodeFunctionData("create2Prefix"))) as unknown as [string];
    return { router: router.toLowerCase(), prefix: prefix.toLowerCase() };
  } catch (error) {
    ctx.logger.warn({ chain: reader.chain, err: error }, "The vault reports no deposit addresses; scan-to-pay is off on this chain");
    return undefined;
  }
}

/** A platform's address on `chain` and its invoice signer's wallet, which the desk accepts for it. */
export function platformSigner(ctx: Context, chain: string, masterKey: Buffer) {
  return async (platformId: string) => {
    const address = await selectMerchantAddress(ctx.db, platformId, chain);
    const sealed = await selectSigningKey(ctx.db, platformId);
    if (!address || !sealed) throw new NonRetryableUserError(`Platform ${platformId} has no address or signing key on ${chain}`);
    return { address, wallet: new Wallet(openSecret(masterKey, sealed.encryptedKey, platformId)) };
  };
}

/** What ingestion needs to watch deposit addresses: the watch list, and sightings above the confirmed head. */
export function depositIngestion(ctx: Context, chain: string, deposits: ChainDeposits, reader: ChainReader) {
  const nowSeconds = () => BigInt(Math.floor(Date.now() / 1000));
  return {
    router: deposits.router,
    watched: async () => new Map([...(await selectWatchedDeposits(ctx.db, chain, nowSeconds()))].map(([address, d]) => [address, d.invoiceId])),
    sightingCursor: () => selectSightingCursor(ctx.db, chain),
    scanSightings: async (range: { fromBlock: number; toBlock: number }) => {
      const sightings = await readSightings(reader, range, await selectWatchedDeposits(ctx.db, chain, nowSeconds()));
      return (await recordSightings(ctx.db, chain, sightings, range.toBlock, reader)).length;
    },
  };
}
