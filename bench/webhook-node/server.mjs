// The reference receiver for bench/webhook: what maestro serve's POST /webhook does,
// written the way a Probot-style Node bot does it. @octokit/webhooks verifies
// X-Hub-Signature-256 (HMAC-SHA256, constant-time compare) before the body is
// parsed; the delivery id is de-duplicated (in memory: more generous than maestro,
// whose ids are durable in SQLite); the event is appended as one JSON line with a
// single write(2) before the 202 answer. Like maestro's WAL commit under
// synchronous=NORMAL, the write survives a killed process but is not fsynced.
// Usage: node server.mjs SECRET_FILE QUEUE_FILE LISTEN_FILE
import fs from "node:fs";
import http from "node:http";
import { Webhooks } from "@octokit/webhooks";

const [secretFile, queueFile, listenFile] = process.argv.slice(2);
const webhooks = new Webhooks({ secret: fs.readFileSync(secretFile, "utf8").trim() });
const queue = fs.openSync(queueFile, "a");
const seen = new Set();
const MAX_BODY = 25 << 20;

function answer(res, status, text) {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" });
  res.end(text + "\n");
}

const server = http.createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/webhook") return answer(res, 404, "not found");
  const chunks = [];
  let size = 0;
  req.on("data", (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) {
      answer(res, 413, "request body too large");
      req.destroy();
    } else chunks.push(chunk);
  });
  req.on("end", async () => {
    if (size > MAX_BODY) return;
    const body = Buffer.concat(chunks).toString("utf8");
    const signature = req.headers["x-hub-signature-256"];
    const delivery = req.headers["x-github-delivery"];
    const event = req.headers["x-github-event"];
    if (!signature || !(await webhooks.verify(body, signature)))
      return answer(res, 401, "bad or missing signature");
    if (!delivery || !event) return answer(res, 400, "missing event name or delivery id header");
    let payload;
    try {
      payload = JSON.parse(body);
    } catch {
      return answer(res, 400, "malformed payload");
    }
    if (seen.has(delivery)) return answer(res, 200, "duplicate");
    seen.add(delivery);
    const repo = (payload.repository && payload.repository.full_name) || "";
    fs.writeSync(queue, JSON.stringify({ delivery, event, repo, payload: body }) + "\n");
    answer(res, 202, "queued");
  });
});
server.keepAliveTimeout = 30000;
server.listen(0, "127.0.0.1", () => {
  fs.writeFileSync(listenFile, `127.0.0.1:${server.address().port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
