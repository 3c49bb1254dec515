import { createServer, type Server } from "node:http";

/** A JSON-RPC answer: a result, an error object, or a bare HTTP status with a body. */
export type Reply = { result: unknown } | { error: { code: number; message: string } } | { httpStatus: number; body?: string };

export interface FakeJsonRpcServer {
  url: string;
  calls: { method: string; params: unknown[] }[];
  close(): Promise<void>;
}

/** A loopback JSON-RPC server whose answers the test decides, method by method. */
export async function startFakeJsonRpc(handler: (method: string, params: unknown[]) => Reply | Promise<Reply>): Promise<FakeJsonRpcServer> {
  const calls: { method: string; params: unknown[] }[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", async () => {
      const request = JSON.parse(body) as { id: number; method: string; params: unknown[] };
      calls.push({ method: request.method, params: request.params });
      const reply = await handler(request.method, request.params);
      if ("httpStatus" in reply) {
        res.writeHead(reply.httpStatus, { "content-type": "text/plain" }).end(reply.body ?? "");
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: request.id, ...reply }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("no address");
  return {
    url: `http://127.0.0.1:${address.port}/jsonrpc`,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
