import { afterEach, describe, expect, it } from "vitest";
import { chatApp } from "../../../examples/chat.js";
import { type RunningServer, serve } from "../../../src/adapters/node.js";
import { refusal, TestClient, wsUrl } from "./ws-client.js";

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function login(url: string, user: string): Promise<string> {
  const response = await fetch(`${url}/login?user=${user}`);
  expect(response.status).toBe(200);
  const cookie = response.headers.getSetCookie()[0]!;
  return cookie.slice(0, cookie.indexOf(";"));
}

describe("a session-authenticated chat", () => {
  it("knows the logged-in user on the upgrade, renews the cookie on the 101, and refuses a stranger", async () => {
    running = await serve(chatApp(), { port: 0 });
    const url = running.url;
    const aliceCookie = await login(url, "alice");
    const bobCookie = await login(url, "bob");

    const alice = await TestClient.open(wsUrl(url, "/chat"), undefined, { headers: { cookie: aliceCookie } });
    expect((await alice.message(1)).data).toBe("welcome alice");
    // A new session key on the upgrade: the 101 carries the Set-Cookie wrapSession wrote.
    const renewed = alice.upgrade?.headers["set-cookie"]?.[0] ?? "";
    expect(renewed).toMatch(/^ring-session=[^;]+;/);
    expect(renewed.slice(0, renewed.indexOf(";"))).not.toBe(aliceCookie);

    const bob = await TestClient.open(wsUrl(url, "/chat"), undefined, { headers: { cookie: bobCookie } });
    expect((await bob.message(1)).data).toBe("welcome bob");
    bob.ws.send("hi all");
    expect((await alice.message(2)).data).toBe("bob: hi all");
    expect((await bob.message(2)).data).toBe("bob: hi all");

    const stranger = await refusal(TestClient.open(wsUrl(url, "/chat")));
    expect(stranger.status).toBe(401);
    expect(stranger.body).toBe("log in first");
    // The old key was replaced on the upgrade: it no longer opens a connection.
    expect(
      (await refusal(TestClient.open(wsUrl(url, "/chat"), undefined, { headers: { cookie: aliceCookie } })))
        .status,
    ).toBe(401);

    alice.ws.close();
    bob.ws.close();
  });
});
