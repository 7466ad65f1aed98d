import { createServer, type Server } from "node:http";
import { connect, type Socket } from "node:net";

/** A local HTTP CONNECT proxy for tests: tunnels to any host and counts tunnels. */
export interface TestConnectProxy {
  url: string;
  /** `host:port` of every CONNECT request, in order. */
  tunnels: string[];
  /** Answer CONNECT with this status instead of tunnelling (e.g. 403). */
  refuseWith: number | undefined;
  close(): Promise<void>;
}

/** Starts a CONNECT proxy on 127.0.0.1 (port 0 by default). */
export async function startTestConnectProxy(options: { port?: number } = {}): Promise<TestConnectProxy> {
  const sockets = new Set<Socket>();
  const state: TestConnectProxy = {
    url: "",
    tunnels: [],
    refuseWith: undefined,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((_req, res) => {
    res.writeHead(405, { "Content-Type": "text/plain" }).end("only CONNECT is supported\n");
  });
  server.on("connect", (req, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.once("close", () => sockets.delete(client));
    state.tunnels.push(req.url ?? "");
    if (state.refuseWith) {
      client.end(`HTTP/1.1 ${state.refuseWith} Refused\r\n\r\n`);
      return;
    }
    const [host, port] = (req.url ?? "").split(/:(?=\d+$)/);
    const upstream = connect(Number(port), host?.replace(/^\[|\]$/g, "") ?? "127.0.0.1", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.once("close", () => sockets.delete(upstream));
    upstream.once("error", () => client.destroy());
    client.once("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const address = server.address();
  state.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return state;
}
