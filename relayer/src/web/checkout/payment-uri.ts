import QRCode from "qrcode";
import { eip681Transfer } from "../../merchants/payment-uri.js";
import { raw, type SafeHtml } from "../html.js";

export { eip681Transfer };

/**
 * What the checkout's QR code encodes.
 *
 * With a per-invoice deposit address (scan-to-pay, built separately) it is an EIP-681 transfer
 * request: any wallet sends exactly the amount of the token to that address. Without one it is the
 * checkout page's own URL, opened in a phone wallet's browser, which pays through the vault. It is
 * never a plain transfer to the vault: tokens sent to the vault that way pay no invoice and stay
 * stuck there (the owner may sweep only tokens that were never allowlisted).
 */

export interface PaymentTarget {
  kind: "evm" | "tron";
  chainId: bigint;
  token: string;
  amount: bigint;
  /** The invoice's deposit address, once deposit addresses exist. */
  depositAddress?: string;
  checkoutUrl: string;
}


export function paymentUri(target: PaymentTarget): { uri: string; kind: "transfer" | "checkout" } {
  if (target.depositAddress && target.kind === "evm") {
    return { uri: eip681Transfer(target.token, target.chainId, target.depositAddress, target.amount), kind: "transfer" };
  }
  // TRON wallets have no common transfer-request URI; a deposit address is shown and copied there.
  return { uri: target.checkoutUrl, kind: "checkout" };
}

/** The QR code as inline SVG (readable without JavaScript), labelled for screen readers. */
export async function qrSvg(text: string, label: string): Promise<SafeHtml> {
  const svg = await QRCode.toString(text, { type: "svg", errorCorrectionLevel: "M", margin: 2, color: { dark: "#000000", light: "#ffffff" } });
  const escapedLabel = label.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
  // The generator's output is trusted markup; only the label (escaped above) is ours.
  return raw(svg.replace("<svg ", `<svg role="img" aria-label="${escapedLabel}" class="qr" `));
}
