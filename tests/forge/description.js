// An OpenAPI 3.0 description turned into a request matcher and validator: every
// request the forge client sends is matched to one operation (method + path
// template) and checked (path and query parameters, headers, JSON body) against
// it; every response the test server sends is checked against the operation's
// response schema. Schemas are compiled by ajv straight from the description's
// own JSON (its $refs resolved in place), so nothing here restates GitHub's shapes.
'use strict';
const Ajv = require('ajv');
const addFormats = require('ajv-formats');

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head'];

// A JSON pointer as a URI fragment ajv resolves inside the document "doc".
function ref(id, segments) {
  return id + '#/' + segments
    .map((s) => encodeURIComponent(String(s).replace(/~/g, '~0').replace(/\//g, '~1')))
    .join('/');
}

// Values from a URL are strings; the schema says what they must be.
function coerce(value, schema) {
  const type = schema && schema.type;
  if (type === 'integer') return /^-?\d+$/.test(value) ? Number(value) : value;
  if (type === 'number') return value !== '' && !isNaN(Number(value)) ? Number(value) : value;
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

function explainErrors(errors) {
  return errors.slice(0, 5).map((e) => `${e.instancePath || '(root)'} ${e.message}` +
    (e.params && e.params.allowedValues ? ` ${JSON.stringify(e.params.allowedValues)}` : '') +
    (e.params && e.params.additionalProperty ? ` '${e.params.additionalProperty}'` : ''))
    .join('; ');
}

// OpenAPI 3.0 allows `nullable` only beside `type`, which ajv enforces; GitHub's
// description has a few typeless nullable schemas (anyOf of several types, e.g.
// issue-field-value.value, inside every issue). They are rewritten in place to what
// they mean: one more alternative, null.
function fixTypelessNullable(node, seen = new Set()) {
  if (!node || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  if (node.nullable === true && node.type === undefined && (node.anyOf || node.oneOf)) {
    const key = node.anyOf ? 'anyOf' : 'oneOf';
    node[key] = [...node[key], { type: 'null' }];
    delete node.nullable;
  }
  for (const v of Object.values(node)) fixTypelessNullable(v, seen);
}

class Description {
  // doc: the OpenAPI document; id: a name for it; basePath: where its paths are served.
  constructor(doc, id, basePath = '') {
    this.doc = doc;
    this.id = id;
    this.basePath = basePath;
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    fixTypelessNullable(doc);
    this.ajv.addSchema(doc, id);
    this.compiled = new Map();
    this.routes = [];
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        if (item[method]) this.routes.push(this.route(template, method, item));
      }
    }
  }

  route(template, method, item) {
    const names = [];
    let literal = 0;
    const pattern = template.split('/').map((seg) => seg.replace(
      /\{([^}]+)\}|([^{]+)/g, (m, name, text) => {
        if (name) { names.push(name); return '([^/]+)'; }
        literal += text.length;
        return text.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      })).join('/');
    const op = item[method];
    return {
      method: method.toUpperCase(), template, names, literal,
      regex: new RegExp('^' + pattern + '$'),
      op, operationId: op.operationId || `${method} ${template}`,
      pointer: ['paths', template, method],
      // Parameters may sit on the path item and on the operation.
      params: [...(item.parameters || []).map((p, i) => [p, ['paths', template, 'parameters', i]]),
        ...(op.parameters || []).map((p, i) => [p, ['paths', template, method, 'parameters', i]])]
        .map(([p, ptr]) => this.deref(p, ptr)),
    };
  }

  // A parameter or response object, following one $ref into components.
  deref(obj, pointer) {
    if (obj && obj.$ref) {
      const segs = obj.$ref.replace(/^#\//, '').split('/');
      let target = this.doc;
      for (const s of segs) target = target[s.replace(/~1/g, '/').replace(/~0/g, '~')];
      return { ...target, pointer: segs };
    }
    return { ...obj, pointer };
  }

  validator(segments) {
    const key = segments.join('\u0000');
    if (!this.compiled.has(key)) this.compiled.set(key, this.ajv.compile({ $ref: ref(this.id, segments) }));
    return this.compiled.get(key);
  }

  // The operation for a request: { route, params } or { status, reason }. The most
  // literal template wins (issues/comments/{id} over issues/{number}/comments).
  match(method, pathname) {
    if (!pathname.startsWith(this.basePath + '/')) return { status: 404, reason: `${pathname} is not under ${this.basePath}/` };
    const path = pathname.slice(this.basePath.length);
    let best = null;
    let methodMismatch = false;
    for (const r of this.routes) {
      const m = r.regex.exec(path);
      if (!m) continue;
      if (r.method !== method) { methodMismatch = true; continue; }
      if (!best || r.literal > best.route.literal) best = { route: r, values: m.slice(1) };
    }
    if (!best) {
      return methodMismatch
        ? { status: 404, reason: `${method} ${path}: the path exists in the description but not for ${method}` }
        : { status: 404, reason: `${method} ${path}: no operation of the description has this path` };
    }
    const params = {};
    try {
      best.route.names.forEach((n, i) => { params[n] = decodeURIComponent(best.values[i]); });
    } catch (e) {
      return { status: 404, reason: `${method} ${path}: malformed percent-encoding` };
    }
    return { route: best.route, params };
  }

  // Checks a matched request. query: URLSearchParams; headers: lower-case names;
  // raw: the body as a string (may be ''). Returns { reasons, path, query, body }.
  validateRequest(route, pathParams, query, headers, raw) {
    const reasons = [];
    const out = { path: {}, query: {}, body: undefined };
    for (const p of route.params) {
      const schemaPtr = [...p.pointer, 'schema'];
      let value;
      if (p.in === 'path') value = pathParams[p.name];
      else if (p.in === 'query') {
        const all = query.getAll(p.name);
        if (all.length > 1 && !(p.schema && p.schema.type === 'array')) reasons.push(`query parameter ${p.name} given ${all.length} times`);
        value = p.schema && p.schema.type === 'array' ? (all.length ? all.flatMap((v) => v.split(',')) : undefined) : all[0];
      } else if (p.in === 'header') value = headers[p.name.toLowerCase()];
      else continue;
      if (value === undefined) {
        if (p.required) reasons.push(`${p.in} parameter ${p.name} is required`);
        continue;
      }
      const typed = Array.isArray(value) ? value.map((v) => coerce(v, p.schema.items)) : coerce(value, p.schema);
      const check = this.validator(schemaPtr);
      if (!check(typed)) reasons.push(`${p.in} parameter ${p.name}=${JSON.stringify(value)}: ${explainErrors(check.errors)}`);
      (p.in === 'path' ? out.path : out.query)[p.name] = typed;
    }
    const known = new Set(route.params.filter((p) => p.in === 'query').map((p) => p.name));
    for (const name of new Set(query.keys())) {
      if (!known.has(name)) reasons.push(`query parameter ${name} is not a parameter of ${route.operationId}`);
    }
    reasons.push(...this.checkBody(route, headers, raw, out));
    return { reasons, ...out };
  }

  checkBody(route, headers, raw, out) {
    const rb = route.op.requestBody && this.deref(route.op.requestBody, [...route.pointer, 'requestBody']);
    if (!rb) return raw.length ? [`${route.operationId} takes no request body, got ${raw.length} bytes`] : [];
    if (!raw.length) return rb.required ? [`${route.operationId} requires a JSON body`] : [];
    const type = (headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    if (!rb.content['application/json']) return [`${route.operationId} takes ${Object.keys(rb.content).join(', ')}`];
    if (type !== 'application/json') return [`Content-Type is '${type}', the body must be sent as application/json`];
    try { out.body = JSON.parse(raw); } catch (e) { return [`body is not JSON: ${e.message}`]; }
    const check = this.validator([...rb.pointer, 'content', 'application/json', 'schema']);
    return check(out.body) ? [] : [`body: ${explainErrors(check.errors)}`];
  }

  // Checks a response the server is about to send; returns reasons (empty: valid).
  validateResponse(route, status, body) {
    const responses = route.op.responses || {};
    const declared = responses[String(status)] || responses[`${String(status)[0]}XX`] || responses.default;
    if (!declared) return [`${route.operationId} does not document status ${status}`];
    const key = responses[String(status)] ? String(status) : responses.default ? 'default' : `${String(status)[0]}XX`;
    const r = this.deref(declared, [...route.pointer, 'responses', key]);
    const json = r.content && r.content['application/json'];
    if (!json || !json.schema) {
      return body === undefined ? [] : [`${route.operationId} ${status} documents no JSON body`];
    }
    const check = this.validator([...r.pointer, 'content', 'application/json', 'schema']);
    return check(body) ? [] : [`${route.operationId} ${status}: ${explainErrors(check.errors)}`];
  }
}

module.exports = { Description };
