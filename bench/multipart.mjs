// Multipart upload head-to-head (issue 17): a 10 MB file POSTed again and again to wrapMultipartParams and to
// busboy used directly on node:http, both writing the file to a temp file. Reports throughput (MB/s, the median
// of the rounds, servers alternated each round) and the server's peak RSS. Run: `node bench/multipart.mjs`
// (after `npm run build`); options: --rounds <n> (5), --uploads <n> per round (20), --size <MB> (10).
import { request } from "node:http";
import { parseArgs } from "node:util";
import { startServer } from "./server-process.mjs";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    uploads: { type: "string", default: "20" },
    size: { type: "string", default: "10" },
  },
});
const rounds = Number(values.rounds);
const uploads = Number(values.uploads);
const size = Number(values.size) * 1_000_000;

const BOUNDARY = "------------------------d74496d66958873e";
const body = Buffer.concat([
  Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="user"\r\n\r\nann\r\n`),
  Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  ),
  Buffer.alloc(size, 0x61),
  Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
]);
const expected = JSON.stringify({ user: 3, file: size });

function upload(url) {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: {
          "content-type": `multipart/form-data; boundary=${BOUNDARY}`,
          "content-length": body.length,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () =>
          res.statusCode === 200 && text === expected
            ? resolve()
            : reject(new Error(`${res.statusCode} ${text}`)),
        );
      },
    );
    req.on("error", reject);
    // Written in 64 KiB pieces, as a socket would carry it.
    for (let i = 0; i < body.length; i += 65536) req.write(body.subarray(i, i + 65536));
    req.end();
  });
}

async function measure(file) {
  const server = await startServer(file, { cpu: 0 });
  try {
    for (let i = 0; i < 3; i++) await upload(server.url);
    const started = process.hrtime.bigint();
    for (let i = 0; i < uploads; i++) await upload(server.url);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const { maxRssKb } = await (await fetch(server.url)).json();
    return { mbPerS: (uploads * body.length) / 1e6 / seconds, maxRssMb: maxRssKb / 1024 };
  } finally {
    await server.stop();
  }
}

const targets = ["multipart-busboy.mjs", "multipart-ringlet.mjs"];
const results = Object.fromEntries(targets.map((t) => [t, []]));
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? targets : [...targets].reverse();
  for (const target of order) {
    const result = await measure(target);
    results[target].push(result);
    console.log(
      `round ${round + 1} ${target}: ${result.mbPerS.toFixed(0)} MB/s, peak RSS ${result.maxRssMb.toFixed(0)} MB`,
    );
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = Object.fromEntries(
  targets.map((t) => [
    t,
    {
      mbPerS: median(results[t].map((r) => r.mbPerS)),
      maxRssMb: Math.max(...results[t].map((r) => r.maxRssMb)),
    },
  ]),
);
for (const t of targets)
  console.log(
    `${t}: median ${summary[t].mbPerS.toFixed(0)} MB/s, peak RSS ${summary[t].maxRssMb.toFixed(0)} MB`,
  );
const ratios = results["multipart-ringlet.mjs"].map(
  (r, i) => r.mbPerS / results["multipart-busboy.mjs"][i].mbPerS,
);
console.log(
  `ringlet / busboy throughput: median ratio ${median(ratios).toFixed(2)} (per round: ${ratios.map((r) => r.toFixed(2)).join(", ")})`,
);
