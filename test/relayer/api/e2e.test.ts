import { Contract } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EscrowVault__factory } from "../../../typechain-types/index.js";
import { deployVaultFixture, startHardhatNode, type HardhatNode, type VaultFixture } from "../support/hardhat-node.js";
import { invoiceBody, startApi, testConfig, type ApiHarness } from "./support.js";

/** The invoice the API signs is accepted by a real vault: the id matches hashInvoice and payInvoice succeeds. */
let node: HardhatNode;
let chain: VaultFixture;
let h: ApiHarness;

beforeAll(async () => {
  node = await startHardhatNode();
  chain = await deployVaultFixture(node);
  h = await startApi({ config: testConfig({ vault: chain.vault }), chainIds: { local: chain.chainId, tron: 728126428n } });
});

afterAll(async () => {
  await h?.close();
  await node?.stop();
});

async function payWithSteps(invoice: { payment: { steps: { to: string; data: string }[] } }) {
  const [, pay] = invoice.payment.steps;
  // The payer approved the vault in the fixture already; the approve step's calldata is checked elsewhere.
  const tx = await chain.payer.sendTransaction({ to: pay!.to, data: pay!.data });
  return (await tx.wait())!;
}

describe("invoices on a Hardhat chain", () => {
  it("payInvoice with the API's calldata opens an escrow whose id is the invoice id", async () => {
    const created = await h.call("POST", "/v1/invoices", { body: invoiceBody({ token: chain.token, amount: "1000000" }) });
    expect(created.status).toBe(201);
    const vault = new Contract(chain.vault, EscrowVault__factory.abi, chain.provider);
    const struct = created.json.signed.invoice;
    expect(await vault.getFunction("hashInvoice")(struct)).toBe(created.json.id);
    const receipt = await payWithSteps(created.json);
    const opened = receipt.logs.map((log) => vault.interface.parseLog(log)).find((l) => l?.name === "EscrowOpened");
    expect(opened?.args.escrowId).toBe(created.json.id);
    expect(opened?.args.amount).toBe(1_000_000n);
  });

  it("a merchant with its own payout address pays out to it once it registered the generated signer", async () => {
    const merchantAddress = (await chain.merchant.getAddress()).toLowerCase();
    const m = await h.newMerchant([{ chain: "local", payoutAddress: merchantAddress }]);
    const registration = (await h.call("GET", "/v1/merchant", { key: m.key })).json.chains[0].registerSigner;
    await (await chain.merchant.sendTransaction({ to: registration.to, data: registration.data })).wait();
    const created = await h.call("POST", "/v1/invoices", { key: m.key, body: invoiceBody({ token: chain.token, amount: "2000000", holdPeriod: 0 }) });
    expect(created.json.merchant.toLowerCase()).toBe(merchantAddress);
    const receipt = await payWithSteps(created.json);
    const vault = new Contract(chain.vault, EscrowVault__factory.abi, chain.provider);
    const settled = receipt.logs.map((log) => vault.interface.parseLog(log)).find((l) => l?.name === "InvoiceSettled");
    expect(settled?.args.invoiceId).toBe(created.json.id);
    expect(settled?.args.merchant.toLowerCase()).toBe(merchantAddress);
  });
});
