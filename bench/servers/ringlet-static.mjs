// Static files (issue 17) with ringlet's wrapFile on its Node adapter (the built package in dist/).
import { serve, wrapFile } from "../../dist/node.js";
import { ensureStaticFiles } from "../static-files.mjs";

const notFound = { status: 404, headers: {}, body: undefined };
const server = await serve(
  wrapFile(() => notFound, ensureStaticFiles()),
  {
    port: Number(process.env.PORT ?? 0),
    hostname: "127.0.0.1",
  },
);
console.log(`READY ${server.port}`);
