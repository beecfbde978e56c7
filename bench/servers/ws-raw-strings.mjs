// The WebSocket echo on `ws` directly, doing the work ringlet's contract asks for on every message: a text
// message decoded to a string and sent back as one, through a promise that settles when the write is done.
// Beside ws-raw.mjs, it splits ringlet's cost into what the SPEC requires and what the adapter adds.
import { createServer } from "node:http";
import { WebSocketServer } from "ws";

const wss = new WebSocketServer({
  noServer: true,
  clientTracking: false,
  maxPayload: 65536,
  perMessageDeflate: false,
});
const server = createServer((_req, res) => {
  res.writeHead(404);
  res.end();
});
const noop = () => {};
server.on("upgrade", (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on("message", (data, isBinary) => {
      const message = isBinary ? data : data.toString();
      new Promise((resolve, reject) => ws.send(message, (error) => (error ? reject(error) : resolve()))).then(
        noop,
        noop,
      );
    });
  });
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () =>
  console.log(`READY ${server.address().port}`),
);
