import { randomBytes } from "node:crypto";
import { Interface, Wallet } from "ethers";
import type { Context } from "../common/context.js";
import {
  insertApiKey,
  insertMerchant,
  revokeApiKey,
  selectApiKeyByLookup,
  selectApiKeys,
  selectMerchant,
  type ApiKeyRow,
} from "../store/merchants-repository.js";
import { InvalidInputError, NotFoundError, requireChain, SigningUnavailableError, type InvoiceChain } from "./chains.js";
import { apiKeyLookup, apiKeyMatches, generateApiKey, sealSecret, type ApiKeyMode } from "./keys.js";

export { createInvoices, expireInvoices, invoiceToJson, type Invoices, type CreateInvoiceInput } from "./invoices.js";
export { invoiceChains, InvalidInputError, NotFoundError, SigningUnavailableError, type ChainDeposits, type InvoiceChain } from "./chains.js";
export { depositPaymentUri, eip681Transfer } from "./payment-uri.js";
export { openSecret, sealSecret, SealedKeyError } from "./keys.js";

/**
 * Merchants and their credentials. A merchant gets one invoice signing key, generated here and
 * sealed under the master key. Per chain, either that key's address IS the merchant (payouts go to
 * it), or the merchant brings its own payout address and registers the key on chain with
 * `setInvoiceSigner(key address)` — a transaction only the merchant can send.
 */

const SET_INVOICE_SIGNER = new Interface(["function setInvoiceSigner(address signer)"]);

export interface CreateMerchantInput {
  name: string;
  /** Chains the merchant sells on; `payoutAddress` (display form) makes the generated key a registered signer. */
  chains: { chain: string; payoutAddress?: string }[];
}

export interface MerchantView {
  id: string;
  name: string;
  /** The generated key's address (display form per chain differs on TRON; this is 0x hex). */
  signerAddress: string;
  chains: {
    chain: string;
    /** The invoice's `merchant` field: where payments go. */
    merchantAddress: string;
    signer: "merchant_key" | "registered_signer";
    /** Only for registered signers: the transaction the merchant must send from merchantAddress. */
    registerSigner: { to: string; data: string; method: "setInvoiceSigner"; args: [string] } | null;
  }[];
}

export interface ApiKeyView {
  id: string;
  mode: ApiKeyMode;
  description: string;
  /** "sk_live_<16 hex>": shown in listings so people can tell keys apart. */
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface Merchants {
  create(input: CreateMerchantInput): Promise<MerchantView>;
  get(merchantId: string): Promise<MerchantView>;
  /** Creates an API key; `key` is shown this once and only its hash is kept. */
  createApiKey(merchantId: string, options?: { mode?: ApiKeyMode; description?: string }): Promise<ApiKeyView & { key: string }>;
  listApiKeys(merchantId: string): Promise<ApiKeyView[]>;
  revokeApiKey(merchantId: string, keyId: string): Promise<void>;
  /** The merchant and key behind a presented key; null when unknown, malformed or revoked. */
  authenticate(presented: string): Promise<{ merchantId: string; keyId: string; mode: ApiKeyMode } | null>;
}

const newMerchantId = () => `mer_${randomBytes(12).toString("hex")}`;
const newApiKeyId = () => `key_${randomBytes(12).toString("hex")}`;
const MAX_NAME_LENGTH = 200;

const apiKeyView = (row: ApiKeyRow): ApiKeyView => ({
  id: row.id,
  mode: row.mode,
  description: row.description,
  prefix: row.lookup,
  createdAt: row.createdAt.toISOString(),
  revokedAt: row.revokedAt?.toISOString() ?? null,
});

export function createMerchants(ctx: Pick<Context, "db" | "logger">, options: { masterKey?: Buffer; chains: Map<string, InvoiceChain> }): Merchants {
  const { db } = ctx;

  const view = async (merchantId: string): Promise<MerchantView> => {
    const row = await selectMerchant(db, merchantId);
    if (!row || !row.signerAddress) throw new NotFoundError(`Merchant ${merchantId} not found`);
    const signer = row.signerAddress;
    return {
      id: row.id,
      name: row.name,
      signerAddress: signer,
      chains: row.addresses.map(({ chain, address }) => {
        const known = options.chains.get(chain);
        const fmt = known?.formatAddress ?? ((hex: string) => hex);
        const own = address === signer;
        return {
          chain,
          merchantAddress: fmt(address),
          signer: own ? "merchant_key" : "registered_signer",
          registerSigner:
            own || !known
              ? null
              : { to: fmt(known.vault), method: "setInvoiceSigner", args: [fmt(signer)], data: SET_INVOICE_SIGNER.encodeFunctionData("setInvoiceSigner", [signer]) },
        };
      }),
    };
  };

  return {
    async create(input) {
      if (!options.masterKey) {
        throw new SigningUnavailableError("RELAYER_MASTER_KEY is not set: merchants' signing keys cannot be stored", {
          hints: ["Set RELAYER_MASTER_KEY to 32 random bytes (64 hex characters) and restart."],
        });
      }
      const name = input.name.trim();
      if (!name || name.length > MAX_NAME_LENGTH) throw new InvalidInputError("Invalid merchant name", [{ path: "name", message: `1 to ${MAX_NAME_LENGTH} characters` }]);
      if (input.chains.length === 0) throw new InvalidInputError("Name at least one chain", [{ path: "chains", message: "at least one chain" }]);
      const id = newMerchantId();
      const wallet = Wallet.createRandom();
      const signer = wallet.address.toLowerCase();
      const seen = new Set<string>();
      const addresses = input.chains.map((entry, index) => {
        const chain = requireChain(options.chains, entry.chain, `chains[${index}].chain`);
        if (seen.has(chain.name)) throw new InvalidInputError(`Chain ${chain.name} is listed twice`, [{ path: `chains[${index}].chain`, message: "listed twice" }]);
        seen.add(chain.name);
        const address = entry.payoutAddress === undefined ? signer : chain.parseAddress(entry.payoutAddress, `chains[${index}].payoutAddress`);
        return { chain: chain.name, address };
      });
      await insertMerchant(db, { id, name, addresses, signingKey: { address: signer, encryptedKey: sealSecret(options.masterKey, wallet.privateKey, id) } });
      ctx.logger.info({ merchant_id: id, chains: addresses.map((a) => a.chain) }, "Created merchant");
      return view(id);
    },

    get: view,

    async createApiKey(merchantId, keyOptions = {}) {
      await view(merchantId);
      const generated = generateApiKey(keyOptions.mode ?? "live");
      const row = await insertApiKey(db, {
        id: newApiKeyId(),
        merchantId,
        lookup: generated.lookup,
        secretHash: generated.secretHash,
        mode: keyOptions.mode ?? "live",
        description: keyOptions.description ?? "",
      });
      ctx.logger.info({ merchant_id: merchantId, api_key_id: row.id }, "Created API key");
      return { ...apiKeyView(row), key: generated.key };
    },

    listApiKeys: async (merchantId) => (await selectApiKeys(db, merchantId)).map(apiKeyView),

    async revokeApiKey(merchantId, keyId) {
      if (!(await revokeApiKey(db, merchantId, keyId))) throw new NotFoundError(`API key ${keyId} not found or already revoked`);
      ctx.logger.info({ merchant_id: merchantId, api_key_id: keyId }, "Revoked API key");
    },

    async authenticate(presented) {
      const lookup = apiKeyLookup(presented);
      if (!lookup) return null;
      const row = await selectApiKeyByLookup(db, lookup);
      if (!row || !apiKeyMatches(presented, row.secretHash) || row.revokedAt !== null) return null;
      return { merchantId: row.merchantId, keyId: row.id, mode: row.mode };
    },
  };
}
