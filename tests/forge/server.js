#!/usr/bin/env node
// The forge test server: stands in for GitHub (or, with --flavor gitea, Gitea) on
// 127.0.0.1 so the forge client's tests run against a description nobody here
// wrote. Every request is matched to an operation of the description and
// validated; a request that matches none or fails validation is answered as the
// forge would (404/400/422) and recorded as a violation. Answers are stateful,
// carry rate-limit headers, honour ETags, and can be made to fail on purpose
// (faults, primary rate limit). The control API under /_control/ is documented
// in README.md.
'use strict';
const fs = require('fs');
const http = require('http');
const crypto = require('crypto');
const { Description } = require('./description');
const { State, SeedError } = require('./state');
const github = require('./github');
const gitea = require('./gitea');
const { verifyJwt } = require('./jwt');

const MAX_BODY = 5 * 1024 * 1024;

function parseArgs(argv) {
  const opt = { host: '127.0.0.1', port: 0, flavor: 'github', seed: null, portFile: null, watchPid: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => { if (i + 1 >= argv.length) throw new Error(`${a} needs a value`); return argv[++i]; };
    if (a === '--host') opt.host = next();
    else if (a === '--port') opt.port = Number(next());
    else if (a === '--flavor') opt.flavor = next();
    else if (a === '--seed') opt.seed = next();
    else if (a === '--port-file') opt.portFile = next();
    else if (a === '--watch-pid') opt.watchPid = Number(next());
    else throw new Error(`unknown option ${a}`);
  }
  if (!['github', 'gitea'].includes(opt.flavor)) throw new Error('--flavor must be github or gitea');
  return opt;
}

function loadFlavor(name) {
  if (name === 'gitea') {
    return { name, description: new Description(gitea.description, 'gitea', '/api/v1'), handlers: gitea.handlers,
      rateLimit: false, etag: false, requireUserAgent: false, page: { param: 'limit', def: 30, max: 50 },
      error: (status, message, extra) => ({ message, url: 'https://gitea.com/api/swagger', ...extra }) };
  }
  const doc = require('@octokit/openapi/generated/api.github.com.json');
  return { name, description: new Description(doc, 'github', ''), handlers: github.handlers,
    rateLimit: true, etag: true, requireUserAgent: true, page: { param: 'per_page', def: 30, max: 100 },
    error: (status, message, extra) => ({ message, documentation_url: github.DOCS, ...extra }) };
}

class Server {
  constructor(flavor, seed) {
    this.flavor = flavor;
    this.state = new State(seed);
    this.requests = [];
    this.violations = [];
    this.responseErrors = [];
    this.faults = [];
    this.limit = { limit: this.state.rateLimit, remaining: this.state.rateLimit, reset: 0 };
  }

  // The primary rate limit: a window of an hour that refills when it ends.
  rateWindow() {
    const now = Math.floor(Date.now() / 1000);
    if (now >= this.limit.reset) Object.assign(this.limit, { remaining: this.limit.limit, reset: now + 3600 });
    return this.limit;
  }

  rateHeaders() {
    if (!this.flavor.rateLimit) return {};
    const l = this.rateWindow();
    return { 'X-RateLimit-Limit': String(l.limit), 'X-RateLimit-Remaining': String(l.remaining),
      'X-RateLimit-Reset': String(l.reset), 'X-RateLimit-Used': String(l.limit - l.remaining),
      'X-RateLimit-Resource': 'core' };
  }

  send(res, entry, status, body, headers = {}) {
    entry.status = status;
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { ...(text ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
      'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  violation(entry, reason) {
    entry.violation = reason;
    this.violations.push({ seq: entry.seq, method: entry.method, path: entry.path,
      operationId: entry.operationId, reason });
  }

  // Who the Authorization header names: { login } or { error }.
  authenticate(route, headers) {
    const auth = headers.authorization || '';
    const m = /^(token|bearer)\s+(\S+)$/i.exec(auth);
    const appOnly = route.operationId.startsWith('apps/');
    if (!m) return { error: 'Requires authentication' };
    if (appOnly) {
      if (!this.state.app) return { error: 'Integration not found' };
      if (m[1].toLowerCase() !== 'bearer') return { error: 'A JSON web token could not be decoded' };
      const err = verifyJwt(m[2], this.state.app);
      return err ? { error: err } : { login: `${this.state.app.slug}[bot]`, app: true };
    }
    const t = this.state.tokens.get(m[2]);
    if (!t || (t.expires && Date.now() >= t.expires)) return { error: 'Bad credentials' };
    return { login: t.login };
  }

  takeFault(method, pathname) {
    const i = this.faults.findIndex((f) => (!f.method || f.method === method) && f.regex.test(pathname));
    if (i < 0) return null;
    const f = this.faults[i];
    if (--f.count <= 0) this.faults.splice(i, 1);
    return f;
  }

  faultAnswer(f) {
    const headers = { ...f.headers };
    let body = f.body;
    if (f.status === 403 && body === undefined) {
      body = { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. ' +
        `If you reach out to GitHub Support for help, please include the request ID ${crypto.randomUUID()}.`,
        documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits' };
    }
    if (f.status === 429 && !Object.keys(headers).some((h) => h.toLowerCase() === 'retry-after')) headers['Retry-After'] = '1';
    if (body === undefined) body = { message: f.status === 502 ? 'Server Error' : 'Internal Server Error' };
    return { headers, body };
  }

  paginator(ctx, url, base) {
    return (list) => {
      const { param, def, max } = this.flavor.page;
      const size = Math.min(Math.max(ctx.query[param] || def, 1), max);
      const page = Math.max(ctx.query.page || 1, 1);
      const last = Math.max(Math.ceil(list.length / size), 1);
      const link = (p, rel) => { const u = new URL(url.pathname + url.search, base); u.searchParams.set('page', p); return `<${u}>; rel="${rel}"`; };
      const rels = [];
      if (page > 1) rels.push(link(Math.min(page - 1, last), 'prev'));
      if (page < last) rels.push(link(page + 1, 'next'), link(last, 'last'));
      if (page > 1) rels.push(link(1, 'first'));
      if (rels.length) ctx.headers.Link = rels.join(', ');
      if (this.flavor.name === 'gitea') ctx.headers['X-Total-Count'] = String(list.length);
      return list.slice((page - 1) * size, page * size);
    };
  }

  async forge(req, res, url, raw) {
    const entry = { seq: this.requests.length + 1, method: req.method, path: url.pathname + url.search, operationId: null, status: null };
    this.requests.push(entry);
    const fl = this.flavor;
    const err = (status, message, extra = {}) => this.send(res, entry, status, fl.error(status, message, extra), this.rateHeaders());
    const m = fl.description.match(req.method, url.pathname);
    if (!m.route) { this.violation(entry, m.reason); return err(404, 'Not Found'); }
    const route = m.route;
    entry.operationId = route.operationId;
    if (fl.requireUserAgent && !req.headers['user-agent']) {
      this.violation(entry, 'no User-Agent header (GitHub refuses such requests)');
      return err(403, 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header');
    }
    const v = fl.description.validateRequest(route, m.params, url.searchParams, req.headers, raw);
    if (v.reasons.length) {
      v.reasons.forEach((r) => this.violation(entry, r));
      const unparsable = v.reasons.some((r) => r.startsWith('body is not JSON'));
      return err(unparsable ? 400 : 422, unparsable ? 'Problems parsing JSON' : 'Invalid request.', { errors: v.reasons });
    }
    const who = this.authenticate(route, req.headers);
    if (who.error) return err(401, who.error);
    if (fl.rateLimit) {
      const l = this.rateWindow();
      if (l.remaining <= 0) return err(403, `API rate limit exceeded for ${who.login}.`);
    }
    const fault = this.takeFault(req.method, url.pathname);
    if (fault) {
      entry.fault = true;
      if (fault.delay_ms) await new Promise((r) => setTimeout(r, fault.delay_ms));
      if (fault.status) {
        const a = this.faultAnswer(fault);
        return this.send(res, entry, fault.status, a.body, { ...this.rateHeaders(), ...a.headers });
      }
    }
    const base = `http://${req.headers.host || '127.0.0.1'}`;
    const ctx = { state: this.state, params: v.path, query: v.query, body: v.body, login: who.login,
      base: base + fl.description.basePath, headers: {} };
    ctx.paginate = this.paginator(ctx, url, base);
    if (v.path.owner !== undefined) {
      ctx.repo = this.state.repos.get(`${v.path.owner}/${v.path.repo}`);
      if (!ctx.repo) return this.answer(res, entry, route, req, { status: 404, body: fl.error(404, 'Not Found') }, true);
    }
    let out;
    try {
      out = fl.handlers[route.operationId];
      if (!out) {
        this.violation(entry, `${route.operationId} is in the description but the test server does not serve it`);
        return err(501, `${route.operationId} is not implemented by the test server`);
      }
      out = out(ctx);
      out.headers = { ...ctx.headers, ...out.headers };
    } catch (e) {
      if (!(e instanceof github.HttpError)) throw e;
      return this.answer(res, entry, route, req, { status: e.status, body: fl.error(e.status, e.message, e.extra) }, true);
    }
    return this.answer(res, entry, route, req, out, false);
  }

  // Sends a handler's answer: checked against the response schema, with an ETag
  // (and 304 on a matching If-None-Match, which costs no rate limit) on GitHub.
  answer(res, entry, route, req, out, isError) {
    const reasons = this.flavor.description.validateResponse(route, out.status, out.body);
    if (reasons.length && !(isError && reasons[0].includes('does not document'))) {
      this.responseErrors.push({ seq: entry.seq, operationId: route.operationId, status: out.status, reasons });
    }
    const headers = { ...out.headers };
    if (this.flavor.etag && req.method === 'GET' && out.status === 200) {
      headers.ETag = 'W/"' + crypto.createHash('sha256').update(JSON.stringify(out.body)).digest('hex').slice(0, 32) + '"';
      if (req.headers['if-none-match'] === headers.ETag) {
        delete headers.Link;
        return this.send(res, entry, 304, undefined, { ...this.rateHeaders(), ETag: headers.ETag });
      }
    }
    if (this.flavor.rateLimit) this.rateWindow().remaining--;
    return this.send(res, entry, out.status, out.body, { ...this.rateHeaders(), ...headers });
  }

  control(req, res, url, raw) {
    const ok = (status, body) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(body)); };
    const input = () => JSON.parse(raw || 'null');
    const what = `${req.method} ${url.pathname}`;
    switch (what) {
      case 'GET /_control/health': return ok(200, { ok: true, flavor: this.flavor.name });
      case 'GET /_control/requests': return ok(200, this.requests);
      case 'GET /_control/violations': return ok(200, this.violations);
      case 'GET /_control/response-errors': return ok(200, this.responseErrors);
      case 'DELETE /_control/requests':
        this.requests = []; this.violations = []; this.responseErrors = [];
        return ok(200, { cleared: true });
      case 'GET /_control/state': return ok(200, this.state.dump());
      case 'POST /_control/seed': {
        const prev = this.state;
        this.state = new State(input());
        if (prev.tokens.size && !this.state.tokens.size) this.state.tokens = prev.tokens;
        Object.assign(this.limit, { limit: this.state.rateLimit, remaining: this.state.rateLimit, reset: 0 });
        return ok(200, { seeded: this.state.repos.size });
      }
      case 'POST /_control/pull': {
        const p = input();
        const repo = this.state.repos.get(p && p.repo);
        if (!repo) return ok(404, { error: `unknown repo ${p && p.repo}` });
        return ok(200, { number: this.state.upsertPull(repo, p).number });
      }
      case 'POST /_control/issue': {
        const i = input();
        const repo = this.state.repos.get(i && i.repo);
        if (!repo) return ok(404, { error: `unknown repo ${i && i.repo}` });
        return ok(200, { number: this.state.upsertIssue(repo, i).number });
      }
      case 'GET /_control/faults': return ok(200, this.faults.map(({ regex, ...f }) => f));
      case 'DELETE /_control/faults': this.faults = []; return ok(200, { cleared: true });
      case 'POST /_control/faults': {
        const list = input();
        if (!Array.isArray(list)) return ok(400, { error: 'faults: a JSON array is expected' });
        for (const f of list) {
          if (!f || typeof f.path_regex !== 'string') return ok(400, { error: 'faults: each needs path_regex' });
          if (f.status !== undefined && !(Number.isInteger(f.status) && f.status >= 400 && f.status <= 599)) return ok(400, { error: 'faults: status must be 400..599' });
          if (!f.status && !f.delay_ms) return ok(400, { error: 'faults: each needs status or delay_ms' });
        }
        for (const f of list) {
          this.faults.push({ method: f.method ? f.method.toUpperCase() : null, path_regex: f.path_regex,
            regex: new RegExp(f.path_regex), status: f.status || 0, headers: f.headers || {}, body: f.body,
            delay_ms: f.delay_ms || 0, count: Number.isInteger(f.count) && f.count > 0 ? f.count : 1 });
        }
        return ok(200, { queued: this.faults.length });
      }
      case 'POST /_control/rate-limit': {
        const r = input() || {};
        const now = Math.floor(Date.now() / 1000);
        if (Number.isInteger(r.limit)) this.limit.limit = r.limit;
        this.limit.remaining = Number.isInteger(r.remaining) ? r.remaining : this.limit.limit;
        this.limit.reset = now + (Number.isInteger(r.reset_in_s) ? r.reset_in_s : 3600);
        return ok(200, this.rateHeaders());
      }
      default: return ok(404, { error: `no control endpoint ${what}` });
    }
  }

  handle(req, res) {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const url = new URL(req.url, 'http://127.0.0.1');
      if (size > MAX_BODY) {
        res.writeHead(413, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ message: 'Payload too large' }));
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      const done = url.pathname.startsWith('/_control/')
        ? Promise.resolve().then(() => this.control(req, res, url, raw))
        : this.forge(req, res, url, raw);
      done.catch((e) => {
        const status = e instanceof SeedError || e instanceof SyntaxError ? 400 : 500;
        if (status === 500) console.error(e);
        if (!res.headersSent) { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify({ error: e.message })); }
      });
    });
  }
}

function main() {
  let opt;
  try { opt = parseArgs(process.argv.slice(2)); } catch (e) {
    console.error(`forge test server: ${e.message}`);
    process.exit(2);
  }
  const seed = opt.seed ? JSON.parse(fs.readFileSync(opt.seed, 'utf8')) : {};
  const server = new Server(loadFlavor(opt.flavor), seed);
  const httpServer = http.createServer((req, res) => server.handle(req, res));
  httpServer.keepAliveTimeout = 30000;
  httpServer.listen(opt.port, opt.host, () => {
    const port = httpServer.address().port;
    if (opt.portFile) {
      const tmp = `${opt.portFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, `${port}\n`);
      fs.renameSync(tmp, opt.portFile);
    }
    console.error(`forge test server (${opt.flavor}) on ${opt.host}:${port}`);
  });
  const stop = () => { httpServer.close(); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Exit with the test that started us, whatever way it died.
  if (opt.watchPid > 1) {
    setInterval(() => {
      try { process.kill(opt.watchPid, 0); } catch (e) { if (e.code === 'ESRCH') stop(); }
    }, 250).unref();
  }
}

if (require.main === module) main();
module.exports = { Server, loadFlavor };
