import { readFileSync } from "node:fs";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import type { Wallet } from "ethers";
import type { HardhatNode } from "../../relayer/support/hardhat-node.js";

/**
 * Chromium (Debian's), an injected EIP-1193 wallet backed by an ethers Wallet on the Hardhat node,
 * axe-core, a guard that records every request leaving the relayer's origin, and screenshots.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const AXE_SOURCE = readFileSync(join(process.cwd(), "node_modules/axe-core/axe.min.js"), "utf8");
export const SCREENSHOT_DIR = join(process.cwd(), "docs/screenshots");

export const launchBrowser = (): Promise<Browser> => chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });

export interface WalletControl {
  wallet?: Wallet;
  /** The next request of this method is refused as if the user clicked "Reject" (EIP-1193 4001). */
  rejectNext?: string;
  /** Pretend the wallet sits on another chain, refusing to switch. */
  wrongChain?: boolean;
  calls: string[];
}

/** window.ethereum in the page forwards to Node, where the ethers Wallet answers. */
export async function injectWallet(context: BrowserContext, node: HardhatNode, chainId: bigint, control: WalletControl): Promise<void> {
  await context.exposeBinding("__walletRequest", async (_source, method: string, params: unknown[]) => {
    control.calls.push(method);
    const wallet = control.wallet;
    if (!wallet) return { error: { code: 4100, message: "no account" } };
    if (control.rejectNext === method) {
      control.rejectNext = undefined;
      return { error: { code: 4001, message: "User rejected the request." } };
    }
    switch (method) {
      case "eth_requestAccounts":
      case "eth_accounts":
        return { result: [wallet.address] };
      case "eth_chainId":
        return { result: `0x${(control.wrongChain ? 1n : chainId).toString(16)}` };
      case "wallet_switchEthereumChain":
        return control.wrongChain ? { error: { code: 4902, message: "Unrecognized chain" } } : { result: null };
      case "eth_sendTransaction": {
        const tx = (params as { to: string; data: string }[])[0]!;
        return { result: (await wallet.sendTransaction({ to: tx.to, data: tx.data })).hash };
      }
      case "eth_signTypedData_v4": {
        const typed = JSON.parse((params as string[])[1]!) as { domain: Record<string, unknown>; types: Record<string, unknown>; message: Record<string, unknown> };
        const { EIP712Domain: _domain, ...types } = typed.types;
        return { result: await wallet.signTypedData(typed.domain, types as never, typed.message) };
      }
      default:
        try {
          return { result: await node.rpc(method, params) };
        } catch (error) {
          return { error: { code: -32000, message: (error as Error).message } };
        }
    }
  });
  await context.addInitScript(() => {
    const bridge = (window as unknown as { __walletRequest(method: string, params: unknown[]): Promise<{ result?: unknown; error?: { code: number; message: string } }> }).__walletRequest;
    (window as unknown as { ethereum: unknown }).ethereum = {
      isTestWallet: true,
      async request({ method, params }: { method: string; params?: unknown[] }) {
        const reply = await bridge(method, params ?? []);
        if (reply.error) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
        return reply.result;
      },
      on() {},
      removeListener() {},
    };
  });
}

/** Every request must stay on the relayer's origin; others are blocked and recorded. */
export async function guardOrigin(context: BrowserContext, origin: string): Promise<string[]> {
  const foreign: string[] = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`) || url === origin) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  return foreign;
}

/** CSP violations and script errors show up on the console; collect them to assert there are none. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    // A 4xx the test provoked (a wrong API key) is logged as a failed resource; that is not a page error.
    if (message.type() === "error" && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core through page.evaluate (not a script tag, which the page's CSP would rightly refuse). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    return axe.run(document, { resultTypes: ["violations"] });
  });
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** Only with UPDATE_SCREENSHOTS=1, so test runs in CI never dirty the tree. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.UPDATE_SCREENSHOTS !== "1") return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
