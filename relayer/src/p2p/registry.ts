import { randomBytes } from "node:crypto";
import type { Context } from "../common/context.js";
import { NonRetryableUserError } from "../common/errors.js";
import { InvalidInputError, NotFoundError, requireChain, type InvoiceChain } from "../merchants/chains.js";
import { generateApiKey, type ApiKeyMode } from "../merchants/keys.js";
import {
  deleteBlock,
  insertAcceptor,
  selectAcceptor,
  selectAcceptorPage,
  selectAccountKind,
  selectBlocklist,
  selectLiquidity,
  updateAcceptorTerms,
  upsertBlock,
  type AcceptorRow,
  type AcceptorTerms,
  type BlockKind,
} from "../store/p2p-acceptors-repository.js";

/**
 * The acceptor registry and the blocklist, as the platform (a merchant) and the acceptor (its own
 * account) use them through the API.
 */

/** A caller that may not do this (a platform acting as an acceptor, or the reverse): 403. */
export class P2pForbiddenError extends NonRetryableUserError {
  override name = "P2pForbiddenError";
}

export interface AcceptorInput {
  name: string;
  reference: string;
  chain: string;
  address: string;
  terms: AcceptorTerms;
}

export interface Caller {
  accountId: string;
  kind: "merchant" | "acceptor";
  /** The platform: the caller itself, or the acceptor's platform. */
  platformId: string;
}

export interface AcceptorRegistry {
  caller(accountId: string): Promise<Caller>;
  register(platformId: string, input: AcceptorInput): Promise<{ acceptor: Record<string, unknown>; apiKey: string }>;
  update(platformId: string, acceptorId: string, patch: Partial<AcceptorTerms>): Promise<Record<string, unknown>>;
  get(caller: Caller, acceptorId: string): Promise<Record<string, unknown>>;
  list(platformId: string, filter: { online?: boolean; limit: number; cursor?: string }): Promise<{ items: Record<string, unknown>[]; nextCursor: string | null }>;
  setOnline(acceptorId: string, online: boolean): Promise<Record<string, unknown>>;
  block(platformId: string, entry: { kind: BlockKind; value: string; reason: string; chain?: string }): Promise<void>;
  unblock(platformId: string, entry: { kind: BlockKind; value: string; chain?: string }): Promise<void>;
  blocklist(platformId: string): Promise<{ kind: BlockKind; value: string; reason: string; createdAt: string }[]>;
}

const newAcceptorId = () => `mer_${randomBytes(12).toString("hex")}`;
const newApiKeyId = () => `key_${randomBytes(12).toString("hex")}`;

export const encodePositionCursor = (position: bigint) => Buffer.from(JSON.stringify([position.toString()])).toString("base64url");
export function decodePositionCursor(cursor: string): bigint {
  try {
    const [position] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (typeof position === "string" && /^[0-9]{1,19}$/.test(position)) return BigInt(position);
  } catch {
    // answered below
  }
  throw new InvalidInputError("Invalid cursor: pass back nextCursor from the previous page unchanged.", [{ path: "query.cursor", message: "invalid cursor" }]);
}

function checkTerms(terms: Partial<AcceptorTerms>): void {
  const errors: { path: string; message: string }[] = [];
  if (terms.minAmount !== undefined && terms.maxAmount !== undefined && terms.minAmount > terms.maxAmount) errors.push({ path: "body.minAmount", message: "must not exceed maxAmount" });
  if (terms.maxAmount !== undefined && terms.dailyLimit !== undefined && terms.dailyLimit < terms.maxAmount) errors.push({ path: "body.dailyLimit", message: "must be at least maxAmount" });
  if (terms.fiatCurrencies && terms.rates) {
    for (const currency of terms.fiatCurrencies) if (terms.rates[currency] === undefined) errors.push({ path: `body.rates.${currency}`, message: `give a rate for every currency (${currency} has none)` });
  }
  if (errors.length > 0) throw new InvalidInputError("The acceptor's terms contradict each other; see errors.", errors);
}

export function createAcceptorRegistry(ctx: Pick<Context, "db" | "logger">, options: { chains: Map<string, InvoiceChain>; apiKeyMode: ApiKeyMode }): AcceptorRegistry {
  const { db } = ctx;
  const fmt = (chain: string, hex: string) => options.chains.get(chain)?.formatAddress(hex) ?? hex;

  const toJson = async (row: AcceptorRow) => ({
    object: "p2p_acceptor",
    id: row.acceptorId,
    name: row.name,
    reference: row.reference,
    chain: row.chain,
    address: fmt(row.chain, row.address),
    minAmount: row.minAmount.toString(),
    maxAmount: row.maxAmount.toString(),
    dailyLimit: row.dailyLimit.toString(),
    maxOpenOrders: row.maxOpenOrders,
    maxOrdersPerHour: row.maxOrdersPerHour,
    fiatMethods: row.fiatMethods,
    fiatCurrencies: row.fiatCurrencies,
    rates: row.rates,
    online: row.online,
    autoAccept: row.autoAccept,
    record: { completed: row.completedCount, failed: row.failedCount },
    liquidity: (await selectLiquidity(db, row.chain, row.address)).map((l) => ({
      token: fmt(row.chain, l.token),
      freeBalance: l.freeBalance.toString(),
      reserved: l.reserved.toString(),
      available: (l.freeBalance - l.reserved).toString(),
    })),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  });

  const blockValue = (entry: { kind: BlockKind; value: string; chain?: string }) => {
    if (entry.kind === "user") return entry.value;
    if (!entry.chain) throw new InvalidInputError("An address entry needs its chain", [{ path: "body.chain", message: "required when kind is address" }]);
    return requireChain(options.chains, entry.chain, "body.chain").parseAddress(entry.value, "body.value");
  };

  return {
    async caller(accountId) {
      const account = await selectAccountKind(db, accountId);
      if (!account) throw new NotFoundError(`Account ${accountId} not found`);
      return { accountId, kind: account.kind, platformId: account.kind === "acceptor" ? account.platformId! : accountId };
    },

    async register(platformId, input) {
      checkTerms(input.terms);
      const chain = requireChain(options.chains, input.chain, "body.chain");
      const address = chain.parseAddress(input.address, "body.address");
      const acceptorId = newAcceptorId();
      const key = generateApiKey(options.apiKeyMode);
      try {
        const row = await insertAcceptor(db, {
          acceptorId,
          platformId,
          name: input.name,
          chain: chain.name,
          address,
          reference: input.reference,
          ...input.terms,
          apiKey: { id: newApiKeyId(), lookup: key.lookup, secretHash: key.secretHash, mode: options.apiKeyMode },
        });
        ctx.logger.info({ platform_id: platformId, acceptor_id: acceptorId, chain: chain.name }, "Registered acceptor");
        return { acceptor: await toJson(row), apiKey: key.key };
      } catch (error) {
        if ((error as { code?: string }).code === "23505") {
          throw new NonRetryableUserError(`An acceptor with reference "${input.reference}" or address ${input.address} on ${chain.name} is already registered`, {
            hints: ["Update the existing acceptor with POST /v1/p2p/acceptors/{id}, or use another reference."],
          });
        }
        throw error;
      }
    },

    async update(platformId, acceptorId, patch) {
      const current = await selectAcceptor(db, acceptorId, platformId);
      if (!current) throw new NotFoundError(`Acceptor ${acceptorId} not found`);
      checkTerms({ ...current, ...patch });
      const row = await updateAcceptorTerms(db, { platformId, acceptorId }, patch);
      return toJson(row!);
    },

    async get(caller, acceptorId) {
      const row = await selectAcceptor(db, acceptorId, caller.platformId);
      if (!row || (caller.kind === "acceptor" && caller.accountId !== acceptorId)) throw new NotFoundError(`Acceptor ${acceptorId} not found`);
      return toJson(row);
    },

    async list(platformId, filter) {
      const page = await selectAcceptorPage(db, {
        platformId,
        limit: filter.limit,
        ...(filter.online !== undefined ? { online: filter.online } : {}),
        ...(filter.cursor ? { before: decodePositionCursor(filter.cursor) } : {}),
      });
      const items = [];
      for (const row of page.items) items.push(await toJson(row));
      const last = page.items[page.items.length - 1];
      return { items, nextCursor: page.hasMore && last ? encodePositionCursor(last.position) : null };
    },

    async setOnline(acceptorId, online) {
      const row = await updateAcceptorTerms(db, { acceptorId }, { online });
      if (!row) throw new NotFoundError(`Acceptor ${acceptorId} not found`);
      return toJson(row);
    },

    async block(platformId, entry) {
      await upsertBlock(db, { platformId, kind: entry.kind, value: blockValue(entry), reason: entry.reason });
      ctx.logger.info({ platform_id: platformId, kind: entry.kind }, "Blocklisted");
    },

    async unblock(platformId, entry) {
      if (!(await deleteBlock(db, { platformId, kind: entry.kind, value: blockValue(entry) }))) throw new NotFoundError(`No blocklist entry ${entry.kind} ${entry.value}`);
    },

    blocklist: async (platformId) => (await selectBlocklist(db, platformId)).map((b) => ({ ...b, createdAt: b.createdAt.toISOString() })),
  };
}
