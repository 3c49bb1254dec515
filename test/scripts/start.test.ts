import { expect } from "chai";
import { freePort, run } from "./local-node";

describe("npm start", function () {
  it("brings up a local chain, deploys, walks through release, refund, dispute and timeout, and starts the relayer", async function () {
    const port = await freePort();
    const apiPort = await freePort();
    const output = await run("npm", ["start"], { START_EXIT_AFTER_DEMO: "1", LOCAL_RPC_PORT: String(port), LOCAL_API_PORT: String(apiPort) });

    expect(output).to.contain(`Starting a local Hardhat node on http://127.0.0.1:${port}`);
    // Balances after each ending, with a 1% fee on what the merchant receives.
    expect(output).to.match(/releases it\. payer 900\.0 USDT, merchant 99\.0 USDT, vault 1\.0 USDT/);
    expect(output).to.match(/refunds it\. payer 900\.0 USDT, merchant 99\.0 USDT, vault 1\.0 USDT/);
    expect(output).to.match(/splits it 60\/40\. payer 840\.0 USDT, merchant 158\.4 USDT, vault 1\.6 USDT/);
    expect(output).to.match(/executes the timeout; .* payer 840\.0 USDT, merchant 158\.4 USDT, vault 1\.6 USDT/);
    expect(output).to.contain("Protocol fees accrued: 1.6 USDT.");
    expect(output).to.contain("The local stack is up");
    // The relayer: its API, a demo merchant with a key, and a webhook the bundled receiver verified and printed.
    expect(output).to.contain(`Relayer API on http://127.0.0.1:${apiPort}`);
    expect(output).to.match(/Demo merchant mer_[0-9a-f]+ with API key sk_test_[0-9a-f]+/);
    expect(output).to.match(/curl -s -X POST http:\/\/127\.0\.0\.1:\d+\/v1\/invoices/);
    expect(output).to.match(/^webhook endpoint\.test evt_[0-9a-f]+ /m);
    expect(output).to.contain("The relayer is up and its first webhook was delivered and verified.");
  });

  it("refuses to start when the port is taken, and says what to do", async function () {
    const port = await freePort();
    const { createServer } = await import("node:http");
    const squatter = createServer((_req, res) => res.end("{}")).listen(port, "127.0.0.1");
    try {
      await run("npm", ["start"], { START_EXIT_AFTER_DEMO: "1", LOCAL_RPC_PORT: String(port) });
      expect.fail("npm start should have failed");
    } catch (error) {
      expect((error as Error).message).to.contain("set LOCAL_RPC_PORT to a free port");
    } finally {
      squatter.close();
    }
  });
});
