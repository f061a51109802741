// HTTP/JSON load on the gateway: `concurrency` keep-alive connections each POSTing SubmitRequest
// (a new request id every time) for `seconds`; prints one JSON line in jiban-bench's shape
// ({label, rps, p50_ms, p99_ms, p999_ms, errors}).
//   node bench/http_load.mjs URL TOKEN CONCURRENCY SECONDS LABEL
import http from "node:http";

const [url, token, concurrency, seconds, label] = process.argv.slice(2);
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(concurrency) });
const latencies = [];
let errors = 0;
let next = 0;
const end = Date.now() + Number(seconds) * 1000;
const run = `${process.pid}-${Date.now()}`;

function body(n) {
  return JSON.stringify({
    requestId: `http-${run}-${n}`,
    request: {
      channel: "CHANNEL_WEB",
      nature: "NATURE_SUGGESTION",
      title: `建议增设公交线路${n}`,
      text: "希望在新区增设一条公交线路，方便上下班，早晚高峰加密班次。",
      location: { districtCode: "410202" },
      requester: { anonymous: true },
    },
  });
}

function one() {
  return new Promise((resolve) => {
    const data = Buffer.from(body(next++));
    const started = process.hrtime.bigint();
    const req = http.request(
      {
        host: target.hostname, port: target.port, path: target.pathname, method: "POST", agent,
        headers: {
          "content-type": "application/json", "content-length": data.length,
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => {
          if (res.statusCode === 200) {
            latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          } else {
            errors++;
          }
          resolve();
        });
      });
    req.on("error", () => { errors++; resolve(); });
    req.end(data);
  });
}

async function worker() {
  while (Date.now() < end) await one();
}

const t0 = Date.now();
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
const elapsed = (Date.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const q = (p) => latencies.length ? Number(latencies[Math.min(latencies.length - 1,
  Math.floor(p * latencies.length))].toFixed(2)) : 0;
console.log(JSON.stringify({
  label, rps: Math.round(latencies.length / elapsed), p50_ms: q(0.5), p99_ms: q(0.99),
  p999_ms: q(0.999), errors,
}));
agent.destroy();
