/**
 * TRON transactions that call the vault, built and signed offline with tronweb (no node: a fixed
 * reference block), decoded here with an independent protobuf reader and checked field by field
 * against ethers' ABI encoding. The decoded call data is then executed on the Hardhat vault, so the
 * bytes a TRON wallet would broadcast are proven to do what they should. Also covers the base58 <-> hex
 * address conversion the TRON scripts use.
 */
import { createHash } from "node:crypto";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { expect } from "chai";
import { artifacts, ethers } from "hardhat";
import { TronWeb } from "tronweb";
import type { Types } from "tronweb";
import { deployVaultFixture } from "../fixtures";
import { makeInvoice, payInvoice, signInvoice } from "../helpers";

type Addresses = {
  TRON_ADDRESS_PREFIX: number;
  toBase58(address: string): string;
  toTronHex(address: string): string;
  toEvmAddress(address: string): string;
  isTronAddress(address: string): boolean;
};
type Artifact = { name: string; abi: unknown[]; bytecode: string };
type DeployScript = {
  buildDeployTransaction(
    tronWeb: TronWeb,
    options: { artifact: Artifact; deployer: string; args: unknown[]; feeLimit: number; blockHeader?: object },
  ): Promise<Types.CreateSmartContractTransaction>;
  buildContractCall(
    tronWeb: TronWeb,
    options: { contract: string; abi: unknown[]; method: string; args: unknown[]; feeLimit: number; from: string; blockHeader?: object },
  ): Promise<Types.Transaction>;
};
/* eslint-disable @typescript-eslint/no-require-imports */
const addresses = require("../../../scripts/tron/addresses.js") as Addresses;
const deployScript = require("../../../scripts/tron/deploy.js") as DeployScript;
/* eslint-enable @typescript-eslint/no-require-imports */

const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";
/** TRON USDT, the worked example of the address forms. */
const USDT = { base58: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", hex: "41a614f803b6fd780986a42c78ec9c7f77e6ded13c" };
/** A fixed reference block: 8 bytes of height, then 24 bytes of hash, as TRON block ids are laid out. */
const BLOCK = {
  number: 58_123_456,
  id: ethers.toBeHex(58_123_456, 8).slice(2) + "9f3c0e11d2a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6",
  timestampMs: 1_735_689_600_000,
};
/** The reference-block fields tronweb would fetch from the node (getCurrentRefBlockParams), fixed. */
const BLOCK_HEADER = {
  ref_block_bytes: BLOCK.id.slice(12, 16),
  ref_block_hash: BLOCK.id.slice(16, 32),
  expiration: BLOCK.timestampMs + 60_000,
  timestamp: BLOCK.timestampMs,
};
const FEE_LIMIT_SUN = 150_000_000;
/** protocol.Transaction.Contract.ContractType values. */
const CREATE_SMART_CONTRACT = 30n;
const TRIGGER_SMART_CONTRACT = 31n;

// ---------------------------------------------------------------- a minimal protobuf reader

type Fields = Map<number, (bigint | Buffer)[]>;

/** Decodes one protobuf message into field number -> values (varints as bigint, bytes as Buffer). */
function decodeProto(buf: Buffer): Fields {
  const fields: Fields = new Map();
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buf[pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const [field, wire] = [key >> 3, key & 7];
    let value: bigint | Buffer;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const length = Number(varint());
      value = buf.subarray(pos, pos + length);
      pos += length;
    } else throw new Error(`unexpected wire type ${wire} for field ${field}`);
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}
const bytesOf = (fields: Fields, n: number): Buffer => fields.get(n)![0] as Buffer;
const intOf = (fields: Fields, n: number): bigint => (fields.get(n)?.[0] as bigint | undefined) ?? 0n;
const hexOf = (fields: Fields, n: number): string => bytesOf(fields, n).toString("hex");

/** The parts of a TRON transaction's raw_data, decoded from raw_data_hex. */
function decodeRawData(rawDataHex: string) {
  const raw = decodeProto(Buffer.from(rawDataHex, "hex"));
  expect(raw.get(11), "one contract per transaction").to.have.length(1);
  const contract = decodeProto(bytesOf(raw, 11));
  const parameter = decodeProto(bytesOf(contract, 2)); // google.protobuf.Any
  return {
    refBlockBytes: hexOf(raw, 1),
    refBlockHash: hexOf(raw, 4),
    expiration: intOf(raw, 8),
    timestamp: intOf(raw, 14),
    feeLimit: intOf(raw, 18),
    contractType: intOf(contract, 1),
    typeUrl: bytesOf(parameter, 1).toString("utf8"),
    value: decodeProto(bytesOf(parameter, 2)),
  };
}

/** TRON signs sha256(raw_data) = txID; returns the base58 address that made `signature` over it. */
function recoverSigner(txID: string, signature: string): string {
  return addresses.toBase58(ethers.recoverAddress(`0x${txID}`, `0x${signature}`));
}

function hardhatKey(index: number): string {
  return ethers.HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).privateKey.slice(2);
}

async function fixture() {
  const base = await deployVaultFixture();
  // Nothing listens on this port: any attempt to reach a node fails the test.
  const tronWeb = new TronWeb({ fullHost: "http://127.0.0.1:9" });
  const payerKey = hardhatKey(3);
  expect(new ethers.Wallet(payerKey).address).to.equal(base.payer.address);
  return { ...base, tronWeb, payerKey, vaultAddress: await base.vault.getAddress() };
}

describe("TRON addresses (scripts/tron/addresses.js)", function () {
  it("converts TRON USDT between base58, 41-hex and 0x forms", function () {
    expect(addresses.toTronHex(USDT.base58)).to.equal(USDT.hex);
    expect(addresses.toBase58(USDT.hex)).to.equal(USDT.base58);
    expect(addresses.toEvmAddress(USDT.base58)).to.equal(`0x${USDT.hex.slice(2)}`);
    expect(addresses.toBase58(`0x${USDT.hex.slice(2).toUpperCase()}`)).to.equal(USDT.base58);
  });

  it("agrees with tronweb for every Hardhat account", async function () {
    for (const signer of await ethers.getSigners()) {
      const base58 = addresses.toBase58(signer.address);
      expect(base58).to.equal(TronWeb.address.fromHex(signer.address));
      expect(addresses.toTronHex(base58)).to.equal(TronWeb.address.toHex(base58));
      expect(ethers.getAddress(addresses.toEvmAddress(base58))).to.equal(signer.address);
    }
  });

  it("rejects a mistyped base58 address, a foreign prefix and malformed input", function () {
    const typo = `${USDT.base58.slice(0, -1)}T`;
    expect(() => addresses.toTronHex(typo)).to.throw(`Invalid TRON address "${typo}": checksum mismatch`);
    expect(() => addresses.toBase58(`42${USDT.hex.slice(2)}`)).to.throw("unknown format");
    expect(() => addresses.toBase58("0x1234")).to.throw("unknown format");
    expect(addresses.isTronAddress(USDT.base58)).to.equal(true);
    expect(addresses.isTronAddress(typo)).to.equal(false);
    // A valid base58check string whose prefix byte is not 0x41 (here 0x00, a Bitcoin-style address).
    const zeroPrefixed = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2";
    expect(addresses.isTronAddress(zeroPrefixed)).to.equal(false);
  });
});

describe("TRON transactions built offline with tronweb", function () {
  describe("triggerSmartContract payInvoice", function () {
    it("carries the vault, selector, ethers' encoding, fee limit and reference block, signed by the payer", async function () {
      const { vault, merchant, payer, tronUsdt, tronWeb, payerKey, vaultAddress } = await loadFixture(fixture);
      const invoice = await makeInvoice({ merchant: merchant.address, token: await tronUsdt.getAddress(), payer: payer.address });
      const signature = await signInvoice(vault, merchant, invoice);
      const fragment = vault.interface.getFunction("payInvoice");
      // TRON-native call: the ABI given to tronweb, addresses inside the tuple in base58. tronweb encodes
      // tuples from positional arrays only (it drops the component names), so the struct goes in as one.
      const tronInvoice = fragment.inputs[0].components!.map(({ name, type }) => {
        const value = invoice[name as keyof typeof invoice];
        return type === "address" ? addresses.toBase58(value as string) : value;
      });
      const funcABIV2 = JSON.parse(fragment.format("json")) as Types.AbiFragment;

      const { transaction } = await tronWeb.transactionBuilder.triggerSmartContract(
        addresses.toBase58(vaultAddress),
        fragment.format("sighash"),
        { feeLimit: FEE_LIMIT_SUN, txLocal: true, blockHeader: BLOCK_HEADER, funcABIV2, parametersV2: [tronInvoice, signature] },
        [],
        addresses.toBase58(payer.address),
      );
      const signed = await tronWeb.trx.sign(transaction, payerKey);

      const raw = decodeRawData(signed.raw_data_hex);
      expect(raw.contractType).to.equal(TRIGGER_SMART_CONTRACT);
      expect(raw.typeUrl).to.equal("type.googleapis.com/protocol.TriggerSmartContract");
      expect(hexOf(raw.value, 1)).to.equal(addresses.toTronHex(payer.address)); // owner_address
      expect(hexOf(raw.value, 2)).to.equal(`41${vaultAddress.slice(2).toLowerCase()}`); // contract_address
      expect(intOf(raw.value, 3)).to.equal(0n); // call_value
      const data = `0x${hexOf(raw.value, 4)}`;
      expect(data.slice(0, 10)).to.equal(fragment.selector);
      expect(data).to.equal(vault.interface.encodeFunctionData("payInvoice", [invoice, signature]));
      expect(raw.feeLimit).to.equal(BigInt(FEE_LIMIT_SUN));
      expect(raw.refBlockBytes).to.equal((BLOCK.number & 0xffff).toString(16).padStart(4, "0"));
      expect(raw.refBlockHash).to.equal(BLOCK.id.slice(16, 32));
      expect(raw.timestamp).to.equal(BigInt(BLOCK.timestampMs));
      expect(raw.expiration).to.equal(BigInt(BLOCK.timestampMs + 60_000));
      expect(signed.txID).to.equal(createHash("sha256").update(Buffer.from(signed.raw_data_hex, "hex")).digest("hex"));
      expect(signed.signature).to.have.length(1);
      expect(recoverSigner(signed.txID, signed.signature[0])).to.equal(addresses.toBase58(payer.address));

      // The call data a TRON node would execute opens the escrow on the vault.
      await tronUsdt.connect(payer).approve(vaultAddress, invoice.amount);
      const invoiceId = await vault.hashInvoice(invoice);
      const tx = payer.sendTransaction({ to: vaultAddress, data });
      await expect(tx).to.emit(vault, "EscrowOpened");
      await expect(tx).to.changeTokenBalances(tronUsdt, [payer, vault], [-BigInt(invoice.amount), invoice.amount]);
      expect(await vault.escrowHashOf(invoiceId)).to.not.equal(ethers.ZeroHash);
    });

    it("refuses to sign with a key that does not own the transaction", async function () {
      const { vault, merchant, payer, tronUsdt, tronWeb, vaultAddress } = await loadFixture(fixture);
      const invoice = await makeInvoice({ merchant: merchant.address, token: await tronUsdt.getAddress() });
      const transaction = await deployScript.buildContractCall(tronWeb, {
        contract: vaultAddress,
        abi: vault.interface.fragments.map((f) => JSON.parse(f.format("json"))),
        method: "payInvoice",
        args: [invoice, await signInvoice(vault, merchant, invoice)],
        feeLimit: FEE_LIMIT_SUN,
        from: payer.address,
        blockHeader: BLOCK_HEADER,
      });
      await expect(tronWeb.trx.sign(transaction, hardhatKey(2))).to.be.rejectedWith("Private key does not match address in transaction");
    });
  });

  describe("triggerSmartContract executeTimeout (scripts' buildContractCall)", function () {
    it("carries the same call data as ethers and executes the timeout on the vault", async function () {
      const { vault, merchant, payer, other, tronUsdt, tronWeb, vaultAddress } = await loadFixture(fixture);
      const invoice = await makeInvoice({ merchant: merchant.address, token: await tronUsdt.getAddress() });
      const { escrowId, escrow } = await payInvoice(vault, merchant, payer, invoice);
      const otherKey = hardhatKey(5);
      expect(new ethers.Wallet(otherKey).address).to.equal(other.address);

      const transaction = await deployScript.buildContractCall(tronWeb, {
        contract: addresses.toBase58(vaultAddress),
        abi: vault.interface.fragments.map((f) => JSON.parse(f.format("json"))),
        method: "executeTimeout",
        args: [escrowId, escrow],
        feeLimit: FEE_LIMIT_SUN,
        from: addresses.toBase58(other.address),
        blockHeader: BLOCK_HEADER,
      });
      const signed = await tronWeb.trx.sign(transaction, otherKey);

      const raw = decodeRawData(signed.raw_data_hex);
      expect(raw.contractType).to.equal(TRIGGER_SMART_CONTRACT);
      expect(hexOf(raw.value, 2)).to.equal(addresses.toTronHex(vaultAddress));
      const data = `0x${hexOf(raw.value, 4)}`;
      expect(data).to.equal(vault.interface.encodeFunctionData("executeTimeout", [escrowId, escrow]));
      expect(raw.feeLimit).to.equal(BigInt(FEE_LIMIT_SUN));
      expect(raw.refBlockBytes).to.equal(BLOCK_HEADER.ref_block_bytes);
      expect(raw.refBlockHash).to.equal(BLOCK_HEADER.ref_block_hash);
      expect(recoverSigner(signed.txID, signed.signature[0])).to.equal(addresses.toBase58(other.address));

      await time.increaseTo(escrow.deadline + 1n);
      const tx = other.sendTransaction({ to: vaultAddress, data });
      await expect(tx).to.emit(vault, "EscrowTimedOut").withArgs(escrowId, escrow.timeoutAction, escrow.remaining, 0);
      await expect(tx).to.changeTokenBalances(tronUsdt, [vault, merchant], [-escrow.remaining, escrow.remaining]);
    });
  });

  describe("createSmartContract (scripts' buildDeployTransaction)", function () {
    it("carries the vault's init code with ethers-encoded constructor arguments and predicts the TRON address", async function () {
      const { owner, feeRecipient, other, tronWeb } = await loadFixture(fixture);
      const { abi, bytecode } = await artifacts.readArtifact("EscrowVault");
      const deployerKey = hardhatKey(0);
      const args = [addresses.toBase58(owner.address), addresses.toTronHex(feeRecipient.address), 25];

      const transaction = await deployScript.buildDeployTransaction(tronWeb, {
        artifact: { name: "EscrowVault", abi, bytecode },
        deployer: addresses.toBase58(owner.address),
        args,
        feeLimit: FEE_LIMIT_SUN,
        blockHeader: BLOCK_HEADER,
      });
      const signed = await tronWeb.trx.sign(transaction, deployerKey);

      const raw = decodeRawData(signed.raw_data_hex);
      expect(raw.contractType).to.equal(CREATE_SMART_CONTRACT);
      expect(raw.typeUrl).to.equal("type.googleapis.com/protocol.CreateSmartContract");
      expect(raw.feeLimit).to.equal(BigInt(FEE_LIMIT_SUN));
      expect(hexOf(raw.value, 1)).to.equal(addresses.toTronHex(owner.address)); // owner_address
      const newContract = decodeProto(bytesOf(raw.value, 2)); // SmartContract
      expect(hexOf(newContract, 1)).to.equal(addresses.toTronHex(owner.address)); // origin_address
      expect(intOf(newContract, 6)).to.equal(100n); // consume_user_resource_percent: callers pay their energy
      expect(bytesOf(newContract, 7).toString("utf8")).to.equal("EscrowVault"); // name
      const initCode = `0x${hexOf(newContract, 4)}`;
      const factory = new ethers.ContractFactory(abi, bytecode);
      const expectedInitCode = (await factory.getDeployTransaction(owner.address, feeRecipient.address, 25)).data;
      expect(initCode).to.equal(expectedInitCode);
      expect(recoverSigner(signed.txID, signed.signature[0])).to.equal(addresses.toBase58(owner.address));
      // TRON's CREATE address: 0x41 ++ last 20 bytes of keccak256(txID ++ owner address).
      const predicted = `41${ethers.keccak256(`0x${signed.txID}${addresses.toTronHex(owner.address)}`).slice(-40)}`;
      expect(transaction.contract_address).to.equal(predicted);

      // The same init code deploys a working vault with those arguments.
      const receipt = (await (await other.sendTransaction({ data: initCode })).wait())!;
      const deployed = await ethers.getContractAt("EscrowVault", receipt.contractAddress!);
      expect(await deployed.owner()).to.equal(owner.address);
      expect(await deployed.feeRecipient()).to.equal(feeRecipient.address);
      expect(await deployed.feeBps()).to.equal(25);
    });
  });
});
