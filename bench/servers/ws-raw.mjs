// The WebSocket echo baseline: the `ws` package used directly on a node:http server (noServer +
// handleUpgrade, as ringlet/node does), with the same limits ringlet sets by default.
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
server.on("upgrade", (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    // The idiomatic echo: the bytes go back as they came, text or binary.
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () =>
  console.log(`READY ${server.address().port}`),
);
