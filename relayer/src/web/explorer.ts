/**
 * Links to a chain's block explorer, from the chain's `explorerUrl` setting: Etherscan-style
 * `/tx/<hash>` and `/address/<address>` on EVM chains, Tronscan-style `#/transaction/<hash>` on
 * TRON. No setting, no link (the hash is still shown).
 */

export interface Explorer {
  tx(hash: string): string | undefined;
  address(display: string): string | undefined;
}

export function explorerFor(kind: "evm" | "tron", baseUrl: string | undefined): Explorer {
  if (!baseUrl) return { tx: () => undefined, address: () => undefined };
  const base = baseUrl.replace(/\/+$/, "");
  if (kind === "tron") {
    return { tx: (hash) => `${base}/#/transaction/${hash.replace(/^0x/, "")}`, address: (a) => `${base}/#/address/${a}` };
  }
  return { tx: (hash) => `${base}/tx/${hash}`, address: (a) => `${base}/address/${a}` };
}
