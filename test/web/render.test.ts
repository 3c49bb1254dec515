import type { Request } from "express";
import { describe, expect, it } from "vitest";
import { eip681Transfer, paymentUri } from "../../relayer/src/web/checkout/payment-uri.js";
import { fillDays } from "../../relayer/src/web/dashboard/chart.js";
import { isLoopbackUrl } from "../../relayer/src/web/dashboard/session.js";
import { explorerFor } from "../../relayer/src/web/explorer.js";
import { formatUnits } from "../../relayer/src/web/format.js";
import { html, jsonIsland, raw } from "../../relayer/src/web/html.js";
import { pickLang, translator } from "../../relayer/src/web/i18n.js";

/** The pure parts of the web pages, without a browser. */

const request = (query: Record<string, string>, acceptLanguage?: string) => ({ query, get: (name: string) => (name === "accept-language" ? acceptLanguage : undefined) }) as unknown as Request;

describe("html", () => {
  it("escapes every interpolated value unless it is SafeHtml", () => {
    const name = `<script>alert("x")</script>&'`;
    expect(html`<p title="${name}">${name}</p>`.value).toBe(
      "<p title=\"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;\">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>",
    );
    expect(html`<ul>${["a<", html`<b>b</b>`, raw("<i>c</i>"), null, false]}</ul>`.value).toBe("<ul>a&lt;<b>b</b><i>c</i></ul>");
  });

  it("keeps JSON islands from closing their script element", () => {
    expect(jsonIsland("d", { x: "</script><script>alert(1)</script>" }).value).toBe(
      '<script type="application/json" id="d">{"x":"\\u003c/script>\\u003cscript>alert(1)\\u003c/script>"}</script>',
    );
  });
});

describe("i18n", () => {
  it("takes ?lang= first, then Accept-Language by quality, then English", () => {
    expect(pickLang(request({ lang: "zh" }, "en"))).toBe("zh");
    expect(pickLang(request({}, "fr;q=0.9, zh-TW;q=0.8, en;q=0.5"))).toBe("zh");
    expect(pickLang(request({}, "en-GB, zh;q=0.9"))).toBe("en");
    expect(pickLang(request({ lang: "de" }, "de"))).toBe("en");
  });

  it("fills placeholders", () => {
    expect(translator("zh")("checkout.heading", { merchant: "茶店" })).toBe("付款给 茶店");
    expect(translator("en")("wallet.wrongNetwork", { network: "tron", chainId: 1 })).toContain("Switch it to tron (chain id 1)");
  });
});

describe("payment URI", () => {
  it("is an EIP-681 transfer to a deposit address, never to the vault", () => {
    const target = { kind: "evm" as const, chainId: 1n, token: "0xdAC17F958D2ee523a2206206994597C13D831ec7", amount: 25_000_000n, checkoutUrl: "https://pay.example.com/pay/0x01" };
    expect(paymentUri(target)).toEqual({ uri: "https://pay.example.com/pay/0x01", kind: "checkout" });
    expect(paymentUri({ ...target, depositAddress: "0x1111111111111111111111111111111111111111" })).toEqual({
      uri: "ethereum:0xdAC17F958D2ee523a2206206994597C13D831ec7@1/transfer?address=0x1111111111111111111111111111111111111111&uint256=25000000",
      kind: "transfer",
    });
    expect(eip681Transfer("0xT", 728126428n, "0xD", 1n)).toBe("ethereum:0xT@728126428/transfer?address=0xD&uint256=1");
  });
});

describe("formatting", () => {
  it("formats raw units with bigint arithmetic only", () => {
    expect(formatUnits(25_000_000n)).toBe("25.00");
    expect(formatUnits(1_234_567n)).toBe("1.234567");
    expect(formatUnits(10n ** 30n)).toBe("1,000,000,000,000,000,000,000,000.00");
    expect(formatUnits(0n)).toBe("0.00");
  });

  it("fills missing days with zero volume", () => {
    const days = fillDays([{ day: "2026-11-21", amount: 5n, count: 1 }], 3, new Date("2026-11-22T10:00:00Z"));
    expect(days).toEqual([
      { day: "2026-11-20", amount: 0n, count: 0 },
      { day: "2026-11-21", amount: 5n, count: 1 },
      { day: "2026-11-22", amount: 0n, count: 0 },
    ]);
  });

  it("links explorers the Etherscan way on EVM and the Tronscan way on TRON", () => {
    expect(explorerFor("evm", "https://etherscan.io/").tx("0xab")).toBe("https://etherscan.io/tx/0xab");
    expect(explorerFor("tron", "https://tronscan.org").tx("0xab")).toBe("https://tronscan.org/#/transaction/ab");
    expect(explorerFor("evm", undefined).tx("0xab")).toBeUndefined();
  });

  it("marks cookies Secure unless the relayer is served on loopback", () => {
    expect(isLoopbackUrl("http://127.0.0.1:8080")).toBe(true);
    expect(isLoopbackUrl("http://localhost:8080")).toBe(true);
    expect(isLoopbackUrl("http://[::1]:8080")).toBe(true);
    expect(isLoopbackUrl("https://pay.example.com")).toBe(false);
  });
});
