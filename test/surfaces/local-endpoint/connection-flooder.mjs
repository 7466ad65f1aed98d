// A hostile neighbour for the connection-flood test, in its own process so that its sockets cost the
// legitimate client's event loop nothing: `node connection-flooder.mjs <port> <connections> <ms>`.
// Holds <connections> connections to 127.0.0.1:<port> for <ms> milliseconds, in three kinds taken in
// turn: idle (sends nothing), half-open (half a request, then one more header line a second, never
// finishing) and kept alive (a complete request every 4 s, under the server's keep-alive timeout).
// A connection the server closes is opened again at once. Prints one JSON line of counts each
// second and at the end.
import { connect } from "node:net";

const [port, connections, durationMs] = process.argv.slice(2).map(Number);
const until = Date.now() + durationMs;
const KINDS = ["idle", "half-open", "kept-alive"];
const stats = { launched: 0, open: 0, maxOpen: 0, opened: 0, closedByServer: 0, neverConnected: 0 };
const sockets = new Set();

function hold(index) {
  if (Date.now() >= until) return;
  const kind = KINDS[index % KINDS.length];
  const socket = connect({ port, host: "127.0.0.1" });
  sockets.add(socket);
  stats.opened++;
  let connected = false;
  let timer;
  socket.on("connect", () => {
    connected = true;
    stats.open++;
    stats.maxOpen = Math.max(stats.maxOpen, stats.open);
    if (kind === "half-open") {
      socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      timer = setInterval(() => socket.write("X-Slow: 1\r\n"), 1000);
    } else if (kind === "kept-alive") {
      const ask = () => socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      ask();
      timer = setInterval(ask, 4000);
    }
  });
  socket.on("data", () => {});
  socket.on("error", () => {});
  socket.on("close", () => {
    clearInterval(timer);
    sockets.delete(socket);
    if (connected) {
      stats.open--;
      stats.closedByServer++;
    } else stats.neverConnected++;
    setImmediate(() => hold(index));
  });
}

// Opened in batches so that the listen backlog, not this process, is what is under pressure.
let next = 0;
const ramp = setInterval(() => {
  for (let i = 0; i < 500 && next < connections; i++) hold(next++);
  stats.launched = next;
  if (next >= connections) clearInterval(ramp);
}, 10);
const report = setInterval(() => process.stdout.write(`${JSON.stringify(stats)}\n`), 1000);
setTimeout(() => {
  clearInterval(report);
  clearInterval(ramp);
  process.stdout.write(`${JSON.stringify({ ...stats, done: true })}\n`);
  for (const socket of sockets) socket.destroy();
  process.exit(0);
}, durationMs);
