// POST / multipart/form-data with busboy used directly on node:http, files written to temp files and
// deleted after the response: the baseline of the multipart bench (bench/multipart.mjs). GET /rss: peak RSS.
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { unlink } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";

const server = createServer((req, res) => {
  if (req.method === "GET") {
    res.end(JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }));
    return;
  }
  const parser = busboy({ headers: req.headers, limits: { fileSize: 10 * 1024 * 1024 + 1, files: 20 } });
  const tasks = [];
  const paths = [];
  const sizes = {};
  parser.on("field", (name, value) => {
    sizes[name] = value.length;
  });
  parser.on("file", (name, stream) => {
    const path = join(tmpdir(), `busboy-bench-${randomUUID()}`);
    paths.push(path);
    let size = 0;
    stream.on("data", (chunk) => {
      size += chunk.length;
    });
    tasks.push(
      pipeline(stream, createWriteStream(path, { flags: "wx", mode: 0o600 })).then(
        () => (sizes[name] = size),
      ),
    );
  });
  parser.on("close", async () => {
    await Promise.all(tasks);
    res.end(JSON.stringify(sizes));
    await Promise.all(paths.map((path) => unlink(path)));
  });
  req.pipe(parser);
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () =>
  console.log(`READY ${server.address().port}`),
);
