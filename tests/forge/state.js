// The forge's state, shared by the GitHub and Gitea flavours: users, repositories,
// pull requests, issue comments with their reactions, commit statuses and labels.
// Built from a seed document (see README.md) and changed by the API handlers; the
// flavours only differ in how they show it.
'use strict';
const crypto = require('crypto');

const PERMISSIONS = ['admin', 'maintain', 'write', 'triage', 'read'];
const SHA = /^[0-9a-f]{40}$/;

// GitHub's timestamps: RFC 3339 in UTC, whole seconds.
function isoNow(ms = Date.now()) { return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z'); }

class SeedError extends Error {}

function need(cond, what) { if (!cond) throw new SeedError(`seed: ${what}`); }

class State {
  constructor(seed) {
    need(seed && typeof seed === 'object' && !Array.isArray(seed), 'must be a JSON object');
    this.nextId = 1000;
    this.users = new Map();
    this.tokens = new Map();           // token -> { login, expires (ms, 0 = never) }
    this.repos = new Map();            // "owner/name" -> repo
    this.comments = new Map();         // id -> comment
    this.statuses = [];                // every status ever set, oldest first
    for (const [token, login] of Object.entries(seed.tokens || {})) {
      need(typeof login === 'string', `tokens.${token} must be a login`);
      this.tokens.set(token, { login, expires: 0 });
      this.user(login);
    }
    this.app = seed.app ? this.loadApp(seed.app) : null;
    this.rateLimit = Number.isInteger(seed.rate_limit) ? seed.rate_limit : 5000;
    need(Array.isArray(seed.repos || []), 'repos must be an array');
    for (const r of seed.repos || []) this.addRepo(r);
  }

  loadApp(app) {
    need(Number.isInteger(app.id), 'app.id must be an integer');
    const pem = app.public_key_pem || app.private_key_pem;
    need(typeof pem === 'string', 'app needs public_key_pem (or private_key_pem)');
    const slug = app.slug || 'maestro-test';
    this.user(`${slug}[bot]`, 'Bot');
    return {
      id: app.id, slug, name: app.name || slug,
      publicKey: crypto.createPublicKey(pem),
      installations: new Set(app.installations || []),
      tokenTtl: Number.isInteger(app.token_ttl_s) ? app.token_ttl_s : 3600,
      owner: app.owner || 'maestro-owner',
    };
  }

  id() { return this.nextId++; }

  user(login, type = 'User') {
    need(typeof login === 'string' && /^[A-Za-z0-9-]+(\[bot\])?$/.test(login), `bad login ${JSON.stringify(login)}`);
    if (!this.users.has(login)) this.users.set(login, { id: this.id(), login, type });
    return this.users.get(login);
  }

  addRepo(r) {
    need(typeof r.owner === 'string' && typeof r.name === 'string', 'a repo needs owner and name');
    const repo = {
      id: this.id(), owner: this.user(r.owner), name: r.name, fullName: `${r.owner}/${r.name}`,
      defaultBranch: r.default_branch || 'main', private: !!r.private,
      collaborators: new Map(), labels: new Map(), pulls: new Map(), issues: new Map(), shas: new Set(r.commits || []),
      createdAt: r.created_at || '2024-01-01T00:00:00Z',
      // Where git fetches from: a seed may point it at a local repository (a path or
      // file:// URL) so that a bot under test can fetch real commits.
      cloneUrl: r.clone_url || null,
    };
    need(repo.cloneUrl === null || typeof repo.cloneUrl === 'string', 'clone_url must be a string');
    this.repos.set(repo.fullName, repo);
    this.user(r.owner);
    repo.collaborators.set(r.owner, 'admin');
    for (const [login, perm] of Object.entries(r.collaborators || {})) {
      need(PERMISSIONS.includes(perm), `collaborator ${login}: permission must be one of ${PERMISSIONS}`);
      this.user(login);
      repo.collaborators.set(login, perm);
    }
    for (const l of r.labels || []) this.label(repo, l.name, l);
    for (const p of r.pulls || []) this.upsertPull(repo, p);
    for (const i of r.issues || []) this.upsertIssue(repo, i);
    for (const c of r.comments || []) {
      need(repo.pulls.has(c.issue) || repo.issues.has(c.issue), `comment on unknown PR or issue ${c.issue} of ${repo.fullName}`);
      this.addComment(repo, c.issue, c.user, c.body, c.created_at);
    }
    return repo;
  }

  label(repo, name, spec = {}) {
    if (!repo.labels.has(name)) {
      repo.labels.set(name, { id: this.id(), name, color: spec.color || 'ededed',
        description: spec.description || null, default: false });
    }
    return repo.labels.get(name);
  }

  // Creates or updates a PR (seed, or POST /_control/pull); a change bumps updated_at.
  upsertPull(repo, p) {
    need(Number.isInteger(p.number) && p.number > 0, 'a pull needs a positive integer number');
    const old = repo.pulls.get(p.number);
    const head = { ...(old && old.head), ...(p.head || {}) };
    const base = { ...(old && old.base), ...(p.base || {}) };
    need(SHA.test(head.sha || '') && SHA.test(base.sha || ''), `pull ${p.number}: head.sha and base.sha must be 40 hex`);
    need(typeof head.ref === 'string' && typeof base.ref === 'string', `pull ${p.number}: head.ref and base.ref are required`);
    const now = isoNow();
    const pull = {
      id: old ? old.id : this.id(), number: p.number,
      title: p.title ?? (old ? old.title : `PR ${p.number}`),
      body: p.body ?? (old ? old.body : null),
      user: this.user(p.user || (old ? old.user.login : repo.owner.login)),
      state: p.state || (old ? old.state : 'open'),
      merged: p.merged ?? (old ? old.merged : false),
      draft: !!(p.draft ?? (old && old.draft)),
      head, base,
      labels: p.labels ? p.labels.map((n) => this.label(repo, n)) : old ? old.labels : [],
      createdAt: p.created_at || (old ? old.createdAt : now),
      updatedAt: p.updated_at || now,
      closedAt: null, mergedAt: null,
    };
    need(['open', 'closed'].includes(pull.state), `pull ${p.number}: state must be open or closed`);
    if (pull.state === 'closed') pull.closedAt = (old && old.closedAt) || pull.updatedAt;
    if (pull.merged) pull.mergedAt = pull.closedAt;
    repo.pulls.set(pull.number, pull);
    repo.shas.add(head.sha);
    repo.shas.add(base.sha);
    return pull;
  }

  // Creates or updates an issue (seed, or POST /_control/issue). Issues and pulls share
  // one number sequence on GitHub and Gitea: a number may not be both.
  upsertIssue(repo, i) {
    need(Number.isInteger(i.number) && i.number > 0, 'an issue needs a positive integer number');
    need(!repo.pulls.has(i.number), `issue ${i.number}: that number is a pull request`);
    const old = repo.issues.get(i.number);
    const now = isoNow();
    const issue = {
      id: old ? old.id : this.id(), number: i.number,
      title: i.title ?? (old ? old.title : `Issue ${i.number}`),
      body: i.body !== undefined ? i.body : (old ? old.body : null),
      user: this.user(i.user || (old ? old.user.login : repo.owner.login)),
      state: i.state || (old ? old.state : 'open'),
      labels: i.labels ? i.labels.map((n) => this.label(repo, n)) : old ? old.labels : [],
      createdAt: i.created_at || (old ? old.createdAt : now),
      updatedAt: i.updated_at || now,
      closedAt: null,
    };
    need(['open', 'closed'].includes(issue.state), `issue ${i.number}: state must be open or closed`);
    need(issue.body === null || typeof issue.body === 'string', `issue ${i.number}: body must be a string or null`);
    if (issue.state === 'closed') issue.closedAt = (old && old.closedAt) || issue.updatedAt;
    repo.issues.set(issue.number, issue);
    return issue;
  }

  // The PR or issue a comment thread belongs to, or undefined.
  thread(repo, number) { return repo.pulls.get(number) || repo.issues.get(number); }

  touch(pull) { pull.updatedAt = isoNow(); }

  addComment(repo, issue, login, body, createdAt) {
    const now = createdAt || isoNow();
    const c = { id: this.id(), repo, issue, user: this.user(login), body, createdAt: now, updatedAt: now, reactions: [] };
    this.comments.set(c.id, c);
    const thread = this.thread(repo, issue);
    if (!createdAt) this.touch(thread);
    return c;
  }

  commentsOf(repo, issue) {
    return [...this.comments.values()].filter((c) => c.repo === repo && c.issue === issue);
  }

  // A branch name or sha to a known sha of repo, or null.
  resolveRef(repo, ref) {
    if (repo.shas.has(ref)) return ref;
    for (const p of repo.pulls.values()) {
      if (p.head.ref === ref) return p.head.sha;
      if (p.base.ref === ref) return p.base.sha;
    }
    return null;
  }

  // The latest status per context for sha, newest first, and the combined state.
  combined(repo, sha) {
    const latest = new Map();
    for (const s of this.statuses) if (s.repo === repo && s.sha === sha) latest.set(s.context, s);
    const list = [...latest.values()].sort((a, b) => b.id - a.id);
    let state = 'success';
    if (!list.length || list.some((s) => s.state === 'pending')) state = 'pending';
    if (list.some((s) => s.state === 'failure' || s.state === 'error')) state = 'failure';
    return { state, list };
  }

  // GitHub's author_association of login on repo.
  association(repo, login) {
    if (login === repo.owner.login) return 'OWNER';
    return repo.collaborators.has(login) ? 'COLLABORATOR' : 'NONE';
  }

  // A summary for GET /_control/state.
  dump() {
    return {
      repos: [...this.repos.values()].map((r) => ({
        repo: r.fullName,
        pulls: [...r.pulls.values()].map((p) => ({ number: p.number, state: p.state, head_sha: p.head.sha,
          updated_at: p.updatedAt, labels: p.labels.map((l) => l.name) })),
        issues: [...r.issues.values()].map((i) => ({ number: i.number, state: i.state, title: i.title,
          updated_at: i.updatedAt, labels: i.labels.map((l) => l.name) })),
        comments: [...this.comments.values()].filter((c) => c.repo === r).map((c) => ({ id: c.id,
          issue: c.issue, user: c.user.login, body: c.body, updated_at: c.updatedAt,
          reactions: c.reactions.map((x) => ({ user: x.user.login, content: x.content })) })),
        statuses: this.statuses.filter((s) => s.repo === r).map((s) => ({ sha: s.sha, context: s.context,
          state: s.state, description: s.description, target_url: s.targetUrl, creator: s.creator.login })),
      })),
    };
  }
}

module.exports = { State, SeedError, isoNow, PERMISSIONS };
