/**
 * TRON address forms and conversions, shared by the TRON scripts and their tests.
 *
 * A TRON address is the same 20 bytes as an EVM address with a 0x41 prefix byte in front:
 *   - base58check (what wallets show):  TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t
 *   - 41-prefixed hex (the node's API):  41a614f803b6fd780986a42c78ec9c7f77e6ded13c
 *   - 0x hex (inside the VM, ABI, EIP-712/TIP-712): 0xa614f803b6fd780986a42c78ec9c7f77e6ded13c
 * Every function here accepts any of the three forms. Written without tronweb so the scripts'
 * conversions can be checked against tronweb's in the tests.
 */
"use strict";

const { createHash } = require("node:crypto");

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
/** The byte in front of every TRON account and contract address. */
const TRON_ADDRESS_PREFIX = 0x41;
const ADDRESS_BYTES = 20;
const CHECKSUM_BYTES = 4;

function sha256(bytes) {
  return createHash("sha256").update(bytes).digest();
}

function base58Encode(bytes) {
  let value = BigInt(`0x${Buffer.from(bytes).toString("hex") || "0"}`);
  let out = "";
  while (value > 0n) {
    out = ALPHABET[Number(value % 58n)] + out;
    value /= 58n;
  }
  // Each leading zero byte is written as the alphabet's first character.
  for (const byte of bytes) {
    if (byte !== 0) break;
    out = ALPHABET[0] + out;
  }
  return out;
}

function base58Decode(text) {
  let value = 0n;
  for (const char of text) {
    const digit = ALPHABET.indexOf(char);
    if (digit < 0) throw new Error(`"${char}" is not a base58 character`);
    value = value * 58n + BigInt(digit);
  }
  let hex = value === 0n ? "" : value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let zeros = 0;
  while (zeros < text.length && text[zeros] === ALPHABET[0]) zeros++;
  return Buffer.concat([Buffer.alloc(zeros), Buffer.from(hex, "hex")]);
}

function invalid(address, reason) {
  return new Error(
    `Invalid TRON address "${address}": ${reason}. Use base58 (T…), 41-prefixed hex (41 + 40 hex digits) or 0x hex (0x + 40 hex digits).`,
  );
}

/**
 * The 21 address bytes (0x41 prefix + 20) of `address` in any of the three forms.
 * @param {string} address
 * @returns {Buffer}
 */
function addressBytes(address) {
  if (typeof address !== "string") throw invalid(address, "not a string");
  if (/^0x[0-9a-fA-F]{40}$/.test(address)) {
    return Buffer.concat([Buffer.from([TRON_ADDRESS_PREFIX]), Buffer.from(address.slice(2), "hex")]);
  }
  if (/^41[0-9a-fA-F]{40}$/.test(address)) return Buffer.from(address, "hex");
  if (!/^T[1-9A-HJ-NP-Za-km-z]{33}$/.test(address)) throw invalid(address, "unknown format");
  const decoded = base58Decode(address);
  if (decoded.length !== 1 + ADDRESS_BYTES + CHECKSUM_BYTES) throw invalid(address, "wrong length");
  const payload = decoded.subarray(0, 1 + ADDRESS_BYTES);
  const checksum = sha256(sha256(payload)).subarray(0, CHECKSUM_BYTES);
  if (!checksum.equals(decoded.subarray(1 + ADDRESS_BYTES))) throw invalid(address, "checksum mismatch (a typo?)");
  if (payload[0] !== TRON_ADDRESS_PREFIX) throw invalid(address, "prefix byte is not 0x41");
  return payload;
}

/**
 * The base58check form (T…), as wallets and explorers show it.
 * @param {string} address Any of the three forms.
 * @returns {string}
 */
function toBase58(address) {
  const payload = addressBytes(address);
  return base58Encode(Buffer.concat([payload, sha256(sha256(payload)).subarray(0, CHECKSUM_BYTES)]));
}

/**
 * The 41-prefixed lowercase hex form the node's HTTP API uses.
 * @param {string} address Any of the three forms.
 * @returns {string}
 */
function toTronHex(address) {
  return addressBytes(address).toString("hex");
}

/**
 * The 0x lowercase hex form: the 20 bytes the VM, the ABI and TIP-712 see.
 * @param {string} address Any of the three forms.
 * @returns {string}
 */
function toEvmAddress(address) {
  return `0x${addressBytes(address).subarray(1).toString("hex")}`;
}

/**
 * True when `address` is a well-formed TRON address in any of the three forms.
 * @param {string} address
 * @returns {boolean}
 */
function isTronAddress(address) {
  try {
    addressBytes(address);
    return true;
  } catch {
    return false;
  }
}

module.exports = { TRON_ADDRESS_PREFIX, toBase58, toTronHex, toEvmAddress, isTronAddress };
