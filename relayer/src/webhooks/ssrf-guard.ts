import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { NonRetryableUserError } from "../common/errors.js";

/**
 * Keeps webhook requests off private networks (server-side request forgery). Merchants choose the
 * URLs, so a URL must never reach the relayer's own machine, its LAN or a cloud metadata service.
 * The check runs on the address the connection actually uses: the guard's `lookup` resolves the
 * name, refuses private answers and hands the checked address to the socket, so a name that
 * resolves differently the second time (DNS rebinding) cannot slip past.
 */

/** Ranges no webhook may reach unless private networks are explicitly allowed. */
const BLOCKED_IPV4: readonly [string, number][] = [
  ["0.0.0.0", 8], // "this network"; 0.0.0.0 reaches localhost on Linux
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, including the 169.254.169.254 metadata service
  ["172.16.0.0", 12],
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24], // 6to4 relay anycast
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved and broadcast
];

const BLOCKED_IPV6: readonly [string, number][] = [
  ["::", 128], // unspecified
  ["::1", 128], // loopback
  ["::", 96], // IPv4-compatible (deprecated)
  ["100::", 64], // discard
  ["2001:db8::", 32], // documentation
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
];

/** Prefixes whose last 32 bits are an IPv4 address, checked as that address. */
const IPV4_EMBEDDING_PREFIXES = ["0:0:0:0:0:ffff:", "64:ff9b:0:0:0:0:"];

export class SsrfRefusedError extends NonRetryableUserError {
  override name = "SsrfRefusedError";
}

export interface SsrfGuard {
  /** Whether a connection to this IP address may be made. */
  isAllowedAddress(ip: string): boolean;
  /** Throws SsrfRefusedError for a URL that is not http(s) or names a refused IP literally. */
  checkUrl(url: string): URL;
  /** A `lookup` for http.request/net.connect that resolves, checks, and pins the checked address. */
  lookup: LookupFunction;
}

export interface SsrfGuardOptions {
  /** Lets requests reach private, loopback and link-local addresses (development). Default: false. */
  allowPrivateNetworks?: boolean;
  /** Resolves a host name to all its addresses. Default: the system resolver (dns.lookup). */
  resolve?: (hostname: string, family: number | undefined) => Promise<LookupAddress[]>;
}

const systemResolve = (hostname: string, family: number | undefined): Promise<LookupAddress[]> =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, family: family ?? 0 }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

export function createSsrfGuard(options: SsrfGuardOptions = {}): SsrfGuard {
  const allowPrivate = options.allowPrivateNetworks ?? false;
  const resolveName = options.resolve ?? systemResolve;
  const blocked = new BlockList();
  for (const [net, prefix] of BLOCKED_IPV4) blocked.addSubnet(net, prefix, "ipv4");
  for (const [net, prefix] of BLOCKED_IPV6) blocked.addSubnet(net, prefix, "ipv6");

  const isAllowedAddress = (ip: string): boolean => {
    if (allowPrivate) return isIP(ip) !== 0;
    const family = isIP(ip);
    if (family === 4) return !blocked.check(ip, "ipv4");
    if (family !== 6) return false;
    const embedded = embeddedIpv4(ip);
    if (embedded !== undefined) return !blocked.check(embedded, "ipv4");
    return !blocked.check(ip, "ipv6");
  };

  const checkUrl = (url: string): URL => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (cause) {
      throw new SsrfRefusedError(`Webhook URL ${JSON.stringify(url)} is not a URL`, { cause, hints: ["Use an absolute https:// URL."] });
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
      throw new SsrfRefusedError(`Webhook URL scheme ${parsed.protocol} is not http or https`, { hints: ["Use an https:// URL."] });
    }
    if (parsed.username || parsed.password) {
      throw new SsrfRefusedError("Webhook URLs must not carry credentials", { hints: ["Authenticate webhooks by their signature instead."] });
    }
    const host = stripBrackets(parsed.hostname);
    if (isIP(host) !== 0 && !isAllowedAddress(host)) throw refused(host);
    return parsed;
  };

  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    const family = typeof lookupOptions.family === "number" ? lookupOptions.family : undefined;
    resolveName(hostname, family).then(
      (list) => {
        // A name with one public and one private answer still only ever connects to the public one.
        const allowed = list.filter((entry) => isAllowedAddress(entry.address));
        const first = allowed[0];
        if (!first) return callback(refused(`${hostname} (${list.map((entry) => entry.address).join(", ")})`), "");
        if (lookupOptions.all) return callback(null, allowed);
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ""),
    );
  };

  return { isAllowedAddress, checkUrl, lookup };
}

function refused(what: string): SsrfRefusedError {
  return new SsrfRefusedError(`Refused to send a webhook to private, loopback or link-local address ${what}`, {
    hints: ["Use a public address, or set allowPrivateNetworks for local development only."],
  });
}

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** The IPv4 address inside an IPv4-mapped or NAT64 IPv6 address, else undefined. */
function embeddedIpv4(ipv6: string): string | undefined {
  const groups = expandIpv6(ipv6);
  if (groups === undefined) return undefined;
  const head = groups.slice(0, 6).join(":") + ":";
  if (!IPV4_EMBEDDING_PREFIXES.includes(head)) return undefined;
  const high = Number.parseInt(groups[6] ?? "0", 16);
  const low = Number.parseInt(groups[7] ?? "0", 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
}

/** Eight lower-case hex groups without leading zeros, or undefined if not IPv6. */
function expandIpv6(address: string): string[] | undefined {
  let text = address.toLowerCase().split("%")[0] ?? "";
  // A dotted tail ("::ffff:1.2.3.4") becomes two hex groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, dotted.index) + ((a << 8) | b).toString(16) + ":" + ((c << 8) | d).toString(16);
  }
  const [left, right] = text.split("::") as [string, string | undefined];
  const leftGroups = left ? left.split(":") : [];
  const rightGroups = right ? right.split(":") : [];
  const missing = 8 - leftGroups.length - rightGroups.length;
  if (right === undefined ? missing !== 0 : missing < 0) return undefined;
  const groups = [...leftGroups, ...Array<string>(right === undefined ? 0 : missing).fill("0"), ...rightGroups];
  return groups.map((group) => Number.parseInt(group, 16).toString(16));
}
