import { afterEach, describe, expect, it } from "vitest";
import { createWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from "../../../relayer/src/webhooks/receiver.js";
import { generateSecret, signedRequest } from "../../../relayer/src/webhooks/signer.js";

const message = { id: "evt_00aa", type: "escrow.released", occurredAt: new Date("2026-11-22T10:00:00Z"), data: { escrowId: "0x01", sequence: 3 } };

describe("createWebhookReceiver()", () => {
  let receiver: WebhookReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  const start = async (secret: string | string[], onEvent?: (event: ReceivedWebhook) => void) => {
    const lines: string[] = [];
    const events: ReceivedWebhook[] = [];
    receiver = await createWebhookReceiver({
      secret,
      print: (line) => lines.push(line),
      onEvent: (event) => {
        onEvent?.(event);
        events.push(event);
      },
    });
    return { lines, events, url: receiver.url };
  };

  const post = (url: string, request: { headers: Record<string, string>; body: string }) =>
    fetch(url, { method: "POST", headers: request.headers, body: request.body });

  it("accepts a signed webhook, hands it over once and prints it", async () => {
    const secret = generateSecret();
    const { lines, events, url } = await start(secret);
    const request = signedRequest(message, [secret], new Date());
    const response = await post(url, request);
    expect(response.status).toBe(200);
    expect(events).toEqual([{ id: "evt_00aa", type: "escrow.released", timestamp: "2026-11-22T10:00:00.000Z", data: message.data }]);
    expect(lines).toEqual([`webhook escrow.released evt_00aa {"escrowId":"0x01","sequence":3}`]);
  });

  it("acknowledges a repeated webhook-id without processing it again", async () => {
    const secret = generateSecret();
    const { events, url } = await start(secret);
    expect((await post(url, signedRequest(message, [secret], new Date()))).status).toBe(200);
    const again = await post(url, signedRequest(message, [secret], new Date(Date.now() + 1000)));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ duplicate: true });
    expect(events).toHaveLength(1);
  });

  it("answers 401 to a tampered body or a foreign secret and 400 without the headers", async () => {
    const secret = generateSecret();
    const { events, url } = await start(secret);
    const request = signedRequest(message, [secret], new Date());
    expect((await post(url, { ...request, body: request.body.replace("0x01", "0x02") })).status).toBe(401);
    expect((await post(url, signedRequest(message, [generateSecret()], new Date()))).status).toBe(401);
    expect((await post(url, { headers: { "content-type": "application/json" }, body: request.body })).status).toBe(400);
    expect((await fetch(url)).status).toBe(405);
    expect(events).toHaveLength(0);
  });

  it("answers 401 to a replay outside the 5-minute timestamp tolerance", async () => {
    const secret = generateSecret();
    const { url } = await start(secret);
    expect((await post(url, signedRequest(message, [secret], new Date(Date.now() - 10 * 60_000)))).status).toBe(401);
  });

  it("accepts either secret while a rotation is under way", async () => {
    const [oldSecret, newSecret] = [generateSecret(), generateSecret()];
    const { events, url } = await start([newSecret, oldSecret]);
    expect((await post(url, signedRequest(message, [oldSecret], new Date()))).status).toBe(200);
    expect((await post(url, signedRequest({ ...message, id: "evt_00bb" }, [newSecret], new Date()))).status).toBe(200);
    expect(events.map((e) => e.id)).toEqual(["evt_00aa", "evt_00bb"]);
  });

  it("answers 500 when the handler throws, and processes the retry", async () => {
    const secret = generateSecret();
    let fail = true;
    const { events, url } = await start(secret, () => {
      if (fail) throw new Error("database down");
    });
    expect((await post(url, signedRequest(message, [secret], new Date()))).status).toBe(500);
    fail = false;
    expect((await post(url, signedRequest(message, [secret], new Date()))).status).toBe(200);
    expect(events).toHaveLength(1);
  });
});
