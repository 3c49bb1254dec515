import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendWebhook, MAX_LOGGED_RESPONSE_BYTES } from "../../../relayer/src/webhooks/http-sender.js";
import { createSsrfGuard, SsrfRefusedError } from "../../../relayer/src/webhooks/ssrf-guard.js";
import { startRecordingServer, type RecordingServer } from "./support.js";

const REFUSED = [
  "0.0.0.0",
  "0.1.2.3",
  "10.0.0.1",
  "100.64.0.1",
  "127.0.0.1",
  "127.255.255.254",
  "169.254.169.254",
  "169.254.0.1",
  "172.16.0.1",
  "172.31.255.255",
  "192.0.0.8",
  "192.0.2.1",
  "192.168.1.1",
  "198.18.0.1",
  "224.0.0.1",
  "255.255.255.255",
  "::",
  "::1",
  "::ffff:127.0.0.1",
  "::ffff:7f00:1",
  "::ffff:169.254.169.254",
  "::ffff:10.0.0.1",
  "0:0:0:0:0:ffff:c0a8:101",
  "64:ff9b::7f00:1",
  "::127.0.0.1",
  "fc00::1",
  "fd12:3456::1",
  "fe80::1",
  "fe80::1%eth0",
  "ff02::1",
  "2001:db8::1",
];

const ALLOWED = ["1.1.1.1", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"];

describe("ssrf guard", () => {
  const guard = createSsrfGuard();

  it.each(REFUSED)("refuses %s", (ip) => {
    expect(guard.isAllowedAddress(ip)).toBe(false);
  });

  it.each(ALLOWED)("allows public %s", (ip) => {
    expect(guard.isAllowedAddress(ip)).toBe(true);
  });

  it("allows every private range when allowPrivateNetworks is set", () => {
    const open = createSsrfGuard({ allowPrivateNetworks: true });
    for (const ip of REFUSED.filter((ip) => !ip.includes("%"))) expect(open.isAllowedAddress(ip)).toBe(true);
    expect(open.isAllowedAddress("not-an-ip")).toBe(false);
  });

  it("checkUrl() refuses literal private hosts in any spelling, other schemes and credentials", () => {
    for (const url of [
      "http://127.0.0.1/hook",
      "http://2130706433/hook", // 127.0.0.1 as one decimal number
      "http://0x7f.1/hook",
      "http://0/hook",
      "https://[::1]/hook",
      "https://[::ffff:169.254.169.254]/latest/meta-data",
      "http://169.254.169.254/latest/meta-data",
    ]) {
      expect(() => guard.checkUrl(url), url).toThrow(SsrfRefusedError);
    }
    expect(() => guard.checkUrl("ftp://example.com/")).toThrow("not http or https");
    expect(() => guard.checkUrl("https://user:pw@example.com/")).toThrow("credentials");
    expect(() => guard.checkUrl("not a url")).toThrow("is not a URL");
    expect(guard.checkUrl("https://example.com/hook").hostname).toBe("example.com");
  });
});

describe("sendWebhook() with the guard", () => {
  let server: RecordingServer;

  beforeAll(async () => {
    server = await startRecordingServer((_req, res) => void res.writeHead(200).end("x".repeat(10_000)));
  });

  afterAll(async () => {
    await server.close();
  });

  const send = (url: string, allowPrivateNetworks: boolean) =>
    sendWebhook({ url, headers: { "content-type": "application/json" }, body: "{}", guard: createSsrfGuard({ allowPrivateNetworks }), timeoutMs: 5000 });

  it("refuses a DNS name that resolves to loopback, without connecting", async () => {
    const result = await send(`http://localhost:${server.port}/hook`, false);
    expect(result.outcome).toBe("refused");
    expect(result.error).toMatch(/private, loopback or link-local address localhost \(/);
    expect(server.requests).toHaveLength(0);
  });

  it("refuses a literal loopback URL without connecting", async () => {
    const result = await send(server.url, false);
    expect(result.outcome).toBe("refused");
    expect(server.requests).toHaveLength(0);
  });

  it("connects to the name's checked address when private networks are allowed, and truncates the body", async () => {
    const result = await send(`http://localhost:${server.port}/hook`, true);
    expect(result.outcome).toBe("succeeded");
    expect(result.status).toBe(200);
    expect(result.responseBody).toHaveLength(MAX_LOGGED_RESPONSE_BYTES);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.headers["user-agent"]).toMatch(/usdt-escrow-relayer/);
  });

  it("connects only to the address its own lookup checked (no second resolution to rebind)", async () => {
    // "rebind.invalid" exists in no real DNS: reaching the server proves the socket used the guard's answer.
    const answers: string[] = [];
    const resolve = async () => {
      answers.push("127.0.0.1");
      return [{ address: "127.0.0.1", family: 4 }];
    };
    const url = `http://rebind.invalid:${server.port}/hook`;
    const before = server.requests.length;
    const open = await sendWebhook({ url, headers: {}, body: "{}", guard: createSsrfGuard({ allowPrivateNetworks: true, resolve }), timeoutMs: 5000 });
    expect(open.outcome).toBe("succeeded");
    expect(answers).toHaveLength(1);
    const closed = await sendWebhook({ url, headers: {}, body: "{}", guard: createSsrfGuard({ resolve }), timeoutMs: 5000 });
    expect(closed.outcome).toBe("refused");
    expect(answers).toHaveLength(2);
    expect(server.requests.length).toBe(before + 1);
  });

  it("uses only the public answers of a name that also resolves to private ones", async () => {
    const guard = createSsrfGuard({ resolve: async () => [{ address: "10.0.0.5", family: 4 }, { address: "8.8.8.8", family: 4 }] });
    const picked = await new Promise<unknown>((resolve) => {
      guard.lookup("mixed.invalid", { all: true }, (error, addresses) => resolve(error ?? addresses));
    });
    expect(picked).toEqual([{ address: "8.8.8.8", family: 4 }]);
  });
});
