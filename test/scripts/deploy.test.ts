import { expect } from "chai";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { JsonRpcProvider } from "ethers";
import { optionsFromEnv } from "../../scripts/lib/deploy-vault";
import { freePort, run, startHardhatNode } from "./local-node";
import type { DeploymentRecord } from "../../scripts/lib/deploy-vault";

describe("npm run deploy", function () {
  let node: ChildProcess;
  let port: number;

  before(async function () {
    port = await freePort();
    node = await startHardhatNode(port);
  });

  after(function () {
    node.kill("SIGTERM");
  });

  it("deploys to a local node and records addresses, blocks and constructor arguments", async function () {
    const dir = mkdtempSync(join(tmpdir(), "deployments-"));
    const feeRecipient = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const output = await run("npm", ["run", "deploy", "--", "--network", "localhost"], {
      LOCAL_RPC_URL: `http://127.0.0.1:${port}`,
      DEPLOYMENTS_DIR: dir,
      FEE_RECIPIENT: feeRecipient,
      FEE_BPS: "25",
    });
    expect(output).to.contain("[1/3] Deploying EscrowVault on localhost");
    expect(output).to.contain("[3/3] Allowlisting 1 token(s)");

    const record = JSON.parse(readFileSync(join(dir, "localhost.json"), "utf8")) as DeploymentRecord;
    expect(record.network).to.equal("localhost");
    expect(record.chainId).to.equal(31337);
    const vault = record.contracts.EscrowVault;
    expect(vault.constructorArgs).to.deep.equal([record.deployer, feeRecipient, 25]);
    expect(record.allowedTokens).to.deep.equal([record.contracts.TestToken.address]);

    const provider = new JsonRpcProvider(`http://127.0.0.1:${port}`);
    const receipt = await provider.getTransactionReceipt(vault.transactionHash);
    expect(receipt?.contractAddress).to.equal(vault.address);
    expect(receipt?.blockNumber).to.equal(vault.blockNumber);
    expect(await provider.getCode(vault.address)).to.not.equal("0x");
    // The acceptor desk is deployed right after the vault and follows it.
    const desk = record.contracts.AcceptorDesk;
    expect(desk.constructorArgs).to.deep.equal([vault.address]);
    expect(await provider.getCode(desk.address)).to.not.equal("0x");
    provider.destroy();
  });

  it("refuses a fee above the cap with a message that says the range", function () {
    expect(() => optionsFromEnv({ FEE_BPS: "501" }, true)).to.throw("FEE_BPS must be an integer from 0 to 500");
    expect(() => optionsFromEnv({ FEE_BPS: "1.5" }, true)).to.throw("FEE_BPS must be an integer from 0 to 500");
  });

  it("refuses malformed addresses and names the variable", function () {
    expect(() => optionsFromEnv({ VAULT_OWNER: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t" }, false)).to.throw("VAULT_OWNER must be a 0x-prefixed");
    expect(() => optionsFromEnv({ ALLOWED_TOKENS: "0x0000000000000000000000000000000000000001, nope" }, false)).to.throw(
      'ALLOWED_TOKENS entry 2 is not an address: "nope"',
    );
  });

  it("deploys a test token only on local networks unless asked", function () {
    expect(optionsFromEnv({}, true).deployTestToken).to.equal(true);
    expect(optionsFromEnv({}, false).deployTestToken).to.equal(false);
    expect(optionsFromEnv({ DEPLOY_TEST_TOKEN: "1" }, false).deployTestToken).to.equal(true);
  });
});
