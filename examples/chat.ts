/**
 * A session-authenticated chat over WebSockets (`npx tsx examples/chat.ts`): log in over HTTP at
 * `/login?user=NAME`, then the page at `/` opens a WebSocket to `/chat`; the upgrade request carries the
 * session cookie, so the handler knows who is talking and refuses a stranger with 401.
 */
import { pathToFileURL } from "node:url";
import { serve } from "../src/adapters/node.js";
import {
  contentType,
  isWebSocketRequest,
  notFound,
  response,
  status,
  type WebSocketSocket,
  websocketResponse,
} from "../src/index.js";
import { memoryStore, type SessionHandler, wrapSession } from "../src/session/index.js";

/** The session's shape: who logged in. */
export type Chat = { user?: string };

const PAGE = `<!doctype html>
<meta charset="utf-8"><title>chat</title>
<ul id="log"></ul>
<form id="say"><input id="text" autocomplete="off"><button>Send</button></form>
<script>
  const log = document.getElementById("log");
  const socket = new WebSocket(\`ws://\${location.host}/chat\`);
  const show = (text) => log.appendChild(document.createElement("li")).textContent = text;
  socket.onmessage = (event) => show(event.data);
  socket.onclose = (event) => show(\`closed \${event.code}\`);
  document.getElementById("say").onsubmit = (event) => {
    event.preventDefault();
    socket.send(document.getElementById("text").value);
  };
</script>`;

/** The chat application: one room per app, every message to every open socket as `NAME: text`. */
export function chatApp() {
  const room = new Set<WebSocketSocket>();
  const handler: SessionHandler<Chat> = (request) => {
    if (request.uri === "/") return contentType(response(PAGE), "text/html; charset=utf-8");
    if (request.uri === "/login") {
      const user = new URLSearchParams(request.queryString).get("user");
      if (user === null || user === "") return status(response("user?"), 400);
      // A new session key at login (fixation defence).
      return { ...response(`hello ${user}`), session: { user }, recreateSession: true };
    }
    if (request.uri === "/chat" && isWebSocketRequest(request)) {
      const user = request.session.user;
      // An ordinary response refuses the upgrade.
      if (user === undefined) return status(response("log in first"), 401);
      return {
        ...websocketResponse({
          onOpen: (socket) => {
            room.add(socket);
            return socket.send(`welcome ${user}`);
          },
          onMessage: async (_socket, message) => {
            await Promise.all([...room].map((peer) => peer.send(`${user}: ${String(message)}`)));
          },
          onClose: (socket) => {
            room.delete(socket);
          },
        }),
        // The upgrade is a response like any other: renewing the session here sends its Set-Cookie on the 101.
        session: { user },
        recreateSession: true,
      };
    }
    return notFound();
  };
  return wrapSession(handler, { store: memoryStore() });
}

// Started as a program (not imported by a test): serve it.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await serve(chatApp(), { port: Number(process.env.PORT ?? 3000) });
  console.log(`Chat at http://localhost:${server.port}/login?user=you, then / (Ctrl-C to stop)`);
}
