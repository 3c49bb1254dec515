/**
 * What a payer's wallet scans to pay an invoice's deposit address.
 *
 * EVM: an EIP-681 transfer request, `ethereum:<token>@<chainId>/transfer?address=<to>&uint256=<amount>`:
 * the wallet fills in the token, the recipient and the exact amount. TRON has no transfer-request URI
 * that wallets agree on (TronLink, TokenPocket and exchanges scan a bare base58 address), so there the
 * payload is the deposit address alone and the payer types the amount the checkout shows.
 */
export function eip681Transfer(token: string, chainId: bigint, to: string, amount: bigint): string {
  return `ethereum:${token}@${chainId}/transfer?address=${to}&uint256=${amount}`;
}

/** Display-form addresses (checksummed 0x, or base58 on TRON) in, the URI to encode out. */
export function depositPaymentUri(target: { kind: "evm" | "tron"; chainId: bigint; token: string; depositAddress: string; amount: bigint }): string {
  return target.kind === "evm" ? eip681Transfer(target.token, target.chainId, target.depositAddress, target.amount) : target.depositAddress;
}
