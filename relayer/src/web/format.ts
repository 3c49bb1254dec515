/** Display helpers shared by the checkout page and the dashboard. Money stays bigint until here. */

/**
 * Decimals used to show amounts. The store keeps only raw units and the relayer does not read token
 * metadata; every token the product targets (USDT on TRON and EVM chains) has 6.
 */
export const DISPLAY_DECIMALS = 6;

/** 25000000n -> "25.00", 1234567n -> "1.234567": at least two decimals, no float anywhere. */
export function formatUnits(units: bigint, decimals = DISPLAY_DECIMALS): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const base = 10n ** BigInt(decimals);
  const whole = (abs / base).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  let fraction = (abs % base).toString().padStart(decimals, "0").replace(/0+$/, "");
  if (fraction.length < 2) fraction = fraction.padEnd(2, "0");
  return `${negative ? "-" : ""}${whole}.${fraction}`;
}

/** Unix seconds -> "2026-11-22 20:54:23 UTC": unambiguous without JavaScript or a time zone guess. */
export function formatTime(seconds: bigint | number): string {
  return `${new Date(Number(seconds) * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, "")} UTC`;
}

export function formatDate(date: Date): string {
  return `${date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "")} UTC`;
}

/** 0x1234…abcd: enough to tell ids apart in a table; the full value is in the title and the link. */
export function shortHex(value: string, keep = 6): string {
  return value.length <= keep * 2 + 3 ? value : `${value.slice(0, keep)}…${value.slice(-4)}`;
}
