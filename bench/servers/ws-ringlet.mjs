// The WebSocket echo on ringlet/node (`serve` from the built package in dist/): the handler answers the
// upgrade with a websocket response whose listener sends each message back.
import { isWebSocketRequest, websocketResponse } from "../../dist/index.js";
import { serve } from "../../dist/node.js";

const echo = websocketResponse({ onMessage: (socket, message) => socket.send(message) });
const notFound = { status: 404, headers: {}, body: undefined };

const server = await serve((request) => (isWebSocketRequest(request) ? echo : notFound), {
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
});
console.log(`READY ${server.port}`);
