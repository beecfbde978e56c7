/**
 * A Node `IncomingMessage` made by hand, to call the Node adapter's `toRequest` without a socket, and a
 * summary of a mapping's outcome that both adapters' results can be compared by.
 */
import { IncomingMessage } from "node:http";
import { Socket } from "node:net";
import { isHttpError } from "../../src/core/http-error.js";
import type { Request } from "../../src/core/types.js";

/** A GET request for `target` with the given raw header lines, on an unconnected (TLS or plain) socket. */
export function incomingMessage(target: string, rawHeaders: string[], encrypted = false): IncomingMessage {
  const socket = new Socket();
  if (encrypted) Object.assign(socket, { encrypted: true });
  const req = new IncomingMessage(socket);
  req.method = "GET";
  req.url = target;
  req.rawHeaders = rawHeaders;
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.httpVersion = "1.1";
  return req;
}

/** What a mapping gave: the keys both adapters derive from the target and host, or the status it refused with. */
export function mapped(
  map: () => Request | Error,
): Pick<Request, "uri" | "queryString" | "scheme" | "serverName" | "serverPort"> | { status: number } {
  let result: Request | Error;
  try {
    result = map();
  } catch (error) {
    result = error as Error;
  }
  if (result instanceof Error) {
    if (!isHttpError(result)) throw result;
    return { status: result.status };
  }
  const { uri, queryString, scheme, serverName, serverPort } = result;
  return { uri, queryString, scheme, serverName, serverPort };
}
