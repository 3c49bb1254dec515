import type { Request } from "express";

/**
 * The checkout page's message catalogue: English and Simplified Chinese. The zh table is typed
 * against the en one, so a missing translation is a compile error. Placeholders look like {name}.
 * The merchant dashboard is English only for now.
 */

const en = {
  "checkout.title": "Pay {merchant}",
  "checkout.heading": "Payment to {merchant}",
  "checkout.reference": "Order reference",
  "checkout.amount": "Amount",
  "checkout.network": "Network",
  "checkout.token": "Token",
  "checkout.payBy": "Pay by",
  "checkout.timeLeft": "Time left",
  "checkout.status": "Status",
  "checkout.copy": "Copy",
  "checkout.copied": "Copied",
  "checkout.copyAmount": "Copy amount",
  "checkout.copyAddress": "Copy address",
  "checkout.vault": "Escrow vault (the contract your wallet calls)",
  "checkout.vaultWarning": "Do not send tokens to this address with a plain transfer: only \"Pay with wallet\" (approve, then payInvoice) pays this invoice.",
  "checkout.depositHint": "Send exactly this amount of {token} to this address from any wallet or exchange.",
  "checkout.qrLabel": "QR code: {what}",
  "checkout.qrCheckout": "Scan with your phone's wallet app to open this page in its browser and pay.",
  "checkout.qrDeposit": "Scan with any wallet to send the payment.",
  "checkout.depositAddress": "Or send exactly {amount} USDT, from any wallet or exchange, to this invoice's own address:",
  "checkout.depositNote": "This address belongs to this invoice only. Send the invoice's token on this network; anything else, or a payment after the deadline, is not lost but waits for the merchant to return it.",
  "checkout.depositReceived": "Received at this address so far: {amount} USDT.",
  "checkout.payWithWallet": "Pay with wallet",
  "checkout.walletHint": "Your wallet asks you to approve the vault to take the amount, then to pay the invoice.",
  "checkout.noJs": "Paying from a browser wallet needs JavaScript; everything you need to pay from a phone wallet is above.",
  "checkout.escrowHeading": "Buyer protection",
  "checkout.escrowText": "Your payment is held in escrow until {deadline}. Then it goes to the {timeoutParty} unless someone acts first.",
  "checkout.release": "Release to the merchant now",
  "checkout.dispute": "Open a dispute",
  "checkout.noGas": "You sign a message; the relayer sends the transaction, so you need no gas.",
  "checkout.deadline": "Deadline",
  "checkout.merchant": "merchant",
  "checkout.payer": "payer (you)",
  "status.waiting": "Waiting for payment",
  "status.seen": "Payment seen, waiting for confirmation",
  "status.confirmed": "Paid: held in escrow",
  "status.disputed": "Disputed: the arbiter decides",
  "status.settled": "Paid to the merchant",
  "status.refunded": "Refunded to you",
  "status.expired": "Expired: this invoice can no longer be paid",
  "status.cancelled": "Cancelled by the merchant",
  "status.paid_partial": "Partly paid: send the rest",
  "status.paid_over": "Overpaid: the merchant will contact you",
  "status.paid_late": "Paid after the deadline: the merchant will contact you",
  "wallet.none": "No browser wallet found. Install one, or open this page in your wallet app's browser.",
  "wallet.noTron": "TronLink was not found or is locked. Unlock TronLink and try again.",
  "wallet.wrongNetwork": "Your wallet is on another network. Switch it to {network} (chain id {chainId}) and try again.",
  "wallet.insufficient": "Not enough {token}: this wallet holds {balance}, the invoice asks {amount}.",
  "wallet.rejected": "You rejected the request in your wallet. Nothing was sent.",
  "wallet.approving": "Approve the vault in your wallet…",
  "wallet.paying": "Confirm the payment in your wallet…",
  "wallet.waiting": "Transaction sent, waiting for it to be mined…",
  "wallet.failed": "The transaction failed: {reason}",
  "wallet.signing": "Sign the message in your wallet…",
  "wallet.submitted": "Signed and submitted; the relayer sends it now.",
  "wallet.notPayer": "Sign with the wallet that paid ({payer}).",
  "lang.switch": "中文",
  "notFound.title": "Invoice not found",
  "notFound.text": "There is no invoice at this address. Check the link you were given.",
} as const;

export type MessageKey = keyof typeof en;

const zh: Record<MessageKey, string> = {
  "checkout.title": "向 {merchant} 付款",
  "checkout.heading": "付款给 {merchant}",
  "checkout.reference": "订单号",
  "checkout.amount": "金额",
  "checkout.network": "网络",
  "checkout.token": "代币",
  "checkout.payBy": "付款截止",
  "checkout.timeLeft": "剩余时间",
  "checkout.status": "状态",
  "checkout.copy": "复制",
  "checkout.copied": "已复制",
  "checkout.copyAmount": "复制金额",
  "checkout.copyAddress": "复制地址",
  "checkout.vault": "托管合约（钱包调用的合约）",
  "checkout.vaultWarning": "请勿直接向此地址转账：只有“用钱包支付”（先授权，再 payInvoice）才能支付此账单。",
  "checkout.depositHint": "请从任意钱包或交易所向此地址转入正好该数量的 {token}。",
  "checkout.qrLabel": "二维码：{what}",
  "checkout.qrCheckout": "用手机钱包扫码，在钱包浏览器中打开本页并付款。",
  "checkout.qrDeposit": "用任意钱包扫码付款。",
  "checkout.depositAddress": "或从任意钱包或交易所，向本账单专属地址转账正好 {amount} USDT：",
  "checkout.depositNote": "此地址仅属于本账单。请在本网络上发送本账单的代币；其他代币或截止时间后的付款不会丢失，将由商家退还。",
  "checkout.depositReceived": "此地址已收到：{amount} USDT。",
  "checkout.payWithWallet": "用钱包支付",
  "checkout.walletHint": "钱包会先请您授权托管合约扣款，再请您支付账单。",
  "checkout.noJs": "在浏览器钱包中付款需要 JavaScript；用手机钱包付款所需的信息都在上方。",
  "checkout.escrowHeading": "买家保障",
  "checkout.escrowText": "您的付款托管至 {deadline}。届时若无人操作，款项将转给{timeoutParty}。",
  "checkout.release": "立即放款给商家",
  "checkout.dispute": "发起争议",
  "checkout.noGas": "您只需签名，交易由中继发送，无需手续费。",
  "checkout.deadline": "截止时间",
  "checkout.merchant": "商家",
  "checkout.payer": "付款人（您）",
  "status.waiting": "等待付款",
  "status.seen": "已发现付款，等待确认",
  "status.confirmed": "已付款：托管中",
  "status.disputed": "争议中：由仲裁人裁决",
  "status.settled": "已付给商家",
  "status.refunded": "已退款给您",
  "status.expired": "已过期：此账单无法再支付",
  "status.cancelled": "商家已取消",
  "status.paid_partial": "部分付款：请补足余额",
  "status.paid_over": "多付：商家会联系您",
  "status.paid_late": "逾期付款：商家会联系您",
  "wallet.none": "未找到浏览器钱包。请安装钱包，或在钱包应用的浏览器中打开本页。",
  "wallet.noTron": "未找到 TronLink 或未解锁。请解锁 TronLink 后重试。",
  "wallet.wrongNetwork": "钱包连接的网络不对。请切换到 {network}（链 ID {chainId}）后重试。",
  "wallet.insufficient": "{token} 余额不足：钱包有 {balance}，账单需要 {amount}。",
  "wallet.rejected": "您在钱包中拒绝了请求，未发送任何交易。",
  "wallet.approving": "请在钱包中授权托管合约…",
  "wallet.paying": "请在钱包中确认付款…",
  "wallet.waiting": "交易已发送，等待上链…",
  "wallet.failed": "交易失败：{reason}",
  "wallet.signing": "请在钱包中签名…",
  "wallet.submitted": "已签名并提交，中继正在发送。",
  "wallet.notPayer": "请使用付款的钱包签名（{payer}）。",
  "lang.switch": "English",
  "notFound.title": "找不到账单",
  "notFound.text": "此地址没有账单，请检查您收到的链接。",
};

export type Lang = "en" | "zh";
export const LANGS: readonly Lang[] = ["en", "zh"];
const CATALOGUES: Record<Lang, Record<MessageKey, string>> = { en, zh };

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function translator(lang: Lang): Translate {
  const catalogue = CATALOGUES[lang];
  return (key, params = {}) => catalogue[key].replace(/\{(\w+)\}/g, (match, name: string) => (name in params ? String(params[name]) : match));
}

/** The whole catalogue of one language, for the browser script (it shows wallet messages). */
export const catalogueOf = (lang: Lang): Record<MessageKey, string> => CATALOGUES[lang];

/** `?lang=zh` wins, then the first supported language in Accept-Language, then English. */
export function pickLang(req: Request): Lang {
  const asked = typeof req.query.lang === "string" ? req.query.lang.toLowerCase() : undefined;
  if (asked === "en" || asked === "zh") return asked;
  const header = req.get("accept-language") ?? "";
  const ranked = header
    .split(",")
    .map((part) => {
      const [tag, ...params] = part.trim().toLowerCase().split(";");
      const q = params.map((p) => /^q=([0-9.]+)$/.exec(p.trim())).find(Boolean);
      return { tag: tag ?? "", q: q ? Number(q[1]) : 1 };
    })
    .filter((entry) => entry.tag && entry.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    if (tag.startsWith("zh")) return "zh";
    if (tag.startsWith("en")) return "en";
  }
  return "en";
}
