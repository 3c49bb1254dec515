import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { generateSecret, sign, signatureHeader, signedRequest, webhookBody } from "../../../relayer/src/webhooks/signer.js";

const message = { id: "evt_0123456789abcdef", type: "invoice.paid", occurredAt: new Date("2026-11-22T10:00:00.000Z"), data: { invoiceId: "0xabc", amount: "1500000", sequence: 2 } };

describe("signer", () => {
  it("generateSecret() gives a whsec_ secret of 32 random bytes", () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(32);
    expect(generateSecret()).not.toBe(secret);
  });

  it("signedRequest() is accepted by the official standardwebhooks verifier", () => {
    const secret = generateSecret();
    const { headers, body } = signedRequest(message, [secret], new Date());
    expect(headers["webhook-id"]).toBe(message.id);
    expect(headers["webhook-timestamp"]).toMatch(/^\d+$/);
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual({ type: "invoice.paid", timestamp: "2026-11-22T10:00:00.000Z", data: message.data });
  });

  it("signs with every live secret during a rotation, and each verifies alone", () => {
    const [oldSecret, newSecret, stranger] = [generateSecret(), generateSecret(), generateSecret()];
    const { headers, body } = signedRequest(message, [newSecret, oldSecret], new Date());
    expect(headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(() => new Webhook(oldSecret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newSecret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(stranger).verify(body, headers)).toThrow("No matching signature found");
  });

  it("a tampered body, id or timestamp is rejected by the verifier", () => {
    const secret = generateSecret();
    const { headers, body } = signedRequest(message, [secret], new Date());
    const verifier = new Webhook(secret);
    expect(() => verifier.verify(body.replace("1500000", "9500000"), headers)).toThrow("No matching signature found");
    expect(() => verifier.verify(body, { ...headers, "webhook-id": "evt_other" })).toThrow("No matching signature found");
    const later = String(Number(headers["webhook-timestamp"]) + 1);
    expect(() => verifier.verify(body, { ...headers, "webhook-timestamp": later })).toThrow("No matching signature found");
  });

  it("sign() is HMAC-SHA256 over id.timestamp.body keyed by the base64 after whsec_", () => {
    const key = Buffer.alloc(24, 7);
    const secret = `whsec_${key.toString("base64")}`;
    const expected = createHmac("sha256", key).update("evt_1.1674087231.{}").digest("base64");
    expect(sign(secret, "evt_1", 1674087231, "{}")).toBe(`v1,${expected}`);
    // The library's own signer agrees byte for byte.
    expect(sign(secret, "evt_1", 1674087231, "{}")).toBe(new Webhook(secret).sign("evt_1", new Date(1674087231_000), "{}"));
  });

  it("the body is exactly { type, timestamp, data } and the same on every attempt", () => {
    expect(JSON.parse(webhookBody(message))).toEqual({ type: "invoice.paid", timestamp: "2026-11-22T10:00:00.000Z", data: message.data });
    const secret = generateSecret();
    const first = signedRequest(message, [secret], new Date(1_000_000));
    const second = signedRequest(message, [secret], new Date(2_000_000));
    expect(second.body).toBe(first.body);
    expect(second.headers["webhook-signature"]).not.toBe(first.headers["webhook-signature"]);
  });

  it("refuses ids with a dot, secrets without the prefix and an empty secret list", () => {
    expect(() => signedRequest({ ...message, id: "evt.1" }, [generateSecret()], new Date())).toThrow('must not contain "."');
    expect(() => sign("c2VjcmV0", "evt_1", 1, "{}")).toThrow("whsec_");
    expect(() => signatureHeader([], "evt_1", 1, "{}")).toThrow("at least one live secret");
  });
});
