import type { EIP1193Provider } from "hardhat/types";

/** One view call: `data` sent to `target`, returning one word. */
export interface Query {
  label: string;
  target: string;
  data: string;
}

/** `n` as `bytes` bytes of big-endian hex, without a prefix. */
export const hex = (n: number, bytes: number) => n.toString(16).padStart(bytes * 2, "0");

/**
 * Init code that performs every query as a STATICCALL and returns [allSucceeded, result0, result1, ...].
 * Run through `eth_call` without a `to` ("deployless" reads): nothing is deployed, and one round trip
 * replaces a hundred, which is what lets 500 sequences with a full state check after every step run
 * in minutes.
 */
export function lensInitCode(queries: readonly Query[]): string {
  const OUT = 0x80; // results start here; calldata is written at 0x00-0x5f
  let code = "6001"; // PUSH1 1: the running "all succeeded" flag
  queries.forEach((q, i) => {
    const data = q.data.slice(2);
    if (data.length > 0x60 * 2) throw new Error(`query ${q.label} has too much calldata`);
    const padded = data.padEnd(Math.ceil(data.length / 64) * 64, "0");
    for (let w = 0; w * 64 < padded.length; w++) {
      code += "7f" + padded.slice(w * 64, w * 64 + 64) + "60" + hex(w * 32, 1) + "52"; // MSTORE(w*32, word)
    }
    code += "6020"; // retSize 32
    code += "61" + hex(OUT + 32 * (i + 1), 2); // retOffset
    code += "60" + hex(data.length / 2, 1); // argsSize
    code += "6000"; // argsOffset 0
    code += "73" + q.target.slice(2).toLowerCase(); // address
    code += "5a" + "fa" + "16"; // GAS STATICCALL AND
  });
  code += "60" + hex(OUT, 1) + "52"; // MSTORE(OUT, flag)
  code += "61" + hex(32 * (queries.length + 1), 2) + "60" + hex(OUT, 1) + "f3"; // RETURN(OUT, size)
  return "0x" + code;
}

/** Performs every query in one `eth_call`; any failed query fails the whole read. */
export async function readAll(provider: EIP1193Provider, queries: readonly Query[]): Promise<bigint[]> {
  const out = (await provider.request({
    method: "eth_call",
    params: [{ data: lensInitCode(queries) }, "latest"],
  })) as string;
  const words: bigint[] = [];
  for (let i = 2; i < out.length; i += 64) words.push(BigInt("0x" + out.slice(i, i + 64)));
  if (words.length !== queries.length + 1 || words[0] !== 1n) throw new Error("a state read failed");
  return words.slice(1);
}
