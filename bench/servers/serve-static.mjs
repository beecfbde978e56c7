// Static files (issue 17) with serve-static, express's static middleware (express.static is this package),
// on node:http without express's router, so the baseline is the file serving alone. Default options.
import { createServer } from "node:http";
import serveStatic from "serve-static";
import { ensureStaticFiles } from "../static-files.mjs";

const serve = serveStatic(ensureStaticFiles());
const server = createServer((req, res) =>
  serve(req, res, () => {
    res.statusCode = 404;
    res.end();
  }),
);
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`READY ${server.address().port}`);
});
