// The GitHub flavour: the state shown in GitHub's REST shapes, one handler per
// operationId of GitHub's OpenAPI description. The server validates every body
// built here against the description's response schema, so a field missing or of
// the wrong type shows up in GET /_control/response-errors.
'use strict';
const crypto = require('crypto');
const { isoNow } = require('./state');

const DOCS = 'https://docs.github.com/rest';

class HttpError extends Error {
  constructor(status, message, extra = {}) { super(message); this.status = status; this.extra = extra; }
}

function notFound() { return new HttpError(404, 'Not Found', { documentation_url: DOCS }); }

function validationFailed(resource, field, message) {
  return new HttpError(422, 'Validation Failed', {
    errors: [{ resource, code: 'custom', field, message }], documentation_url: DOCS,
  });
}

function nodeId(kind, id) { return Buffer.from(`0${kind}:${id}`).toString('base64'); }

function user(u, base) {
  const api = `${base}/users/${encodeURIComponent(u.login)}`;
  return {
    login: u.login, id: u.id, node_id: nodeId('User', u.id),
    avatar_url: `${base}/avatars/${u.id}`, gravatar_id: '', url: api,
    html_url: `${base}/${encodeURIComponent(u.login)}`,
    followers_url: `${api}/followers`, following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`, starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`, organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`, events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`, type: u.type, site_admin: false,
  };
}

// The URL fields every repository object carries, as GitHub spells them.
const REPO_URLS = {
  archive_url: '/{archive_format}{/ref}', assignees_url: '/assignees{/user}',
  blobs_url: '/git/blobs{/sha}', branches_url: '/branches{/branch}',
  collaborators_url: '/collaborators{/collaborator}', comments_url: '/comments{/number}',
  commits_url: '/commits{/sha}', compare_url: '/compare/{base}...{head}',
  contents_url: '/contents/{+path}', contributors_url: '/contributors',
  deployments_url: '/deployments', downloads_url: '/downloads', events_url: '/events',
  forks_url: '/forks', git_commits_url: '/git/commits{/sha}', git_refs_url: '/git/refs{/sha}',
  git_tags_url: '/git/tags{/sha}', hooks_url: '/hooks',
  issue_comment_url: '/issues/comments{/number}', issue_events_url: '/issues/events{/number}',
  issues_url: '/issues{/number}', keys_url: '/keys{/key_id}', labels_url: '/labels{/name}',
  languages_url: '/languages', merges_url: '/merges', milestones_url: '/milestones{/number}',
  notifications_url: '/notifications{?since,all,participating}', pulls_url: '/pulls{/number}',
  releases_url: '/releases{/id}', stargazers_url: '/stargazers', statuses_url: '/statuses/{sha}',
  subscribers_url: '/subscribers', subscription_url: '/subscription', tags_url: '/tags',
  teams_url: '/teams', trees_url: '/git/trees{/sha}',
};

function minimalRepo(r, base) {
  const api = `${base}/repos/${r.fullName}`;
  const out = { id: r.id, node_id: nodeId('Repository', r.id), name: r.name, full_name: r.fullName,
    owner: user(r.owner, base), private: r.private, html_url: `${base}/${r.fullName}`,
    description: null, fork: false, url: api };
  for (const [k, suffix] of Object.entries(REPO_URLS)) out[k] = api + suffix;
  return out;
}

function repository(r, base) {
  return {
    ...minimalRepo(r, base),
    clone_url: r.cloneUrl || `${base}/${r.fullName}.git`, git_url: `${base.replace(/^http/, 'git')}/${r.fullName}.git`,
    ssh_url: `git@127.0.0.1:${r.fullName}.git`, svn_url: `${base}/${r.fullName}`, mirror_url: null,
    homepage: null, language: null, forks: 0, forks_count: 0, stargazers_count: 0,
    watchers: 0, watchers_count: 0, size: 0, default_branch: r.defaultBranch,
    open_issues: 0, open_issues_count: 0, has_issues: true, has_projects: false, has_wiki: false,
    has_pages: false, has_downloads: false, archived: false, disabled: false, license: null,
    visibility: r.private ? 'private' : 'public',
    pushed_at: r.createdAt, created_at: r.createdAt, updated_at: r.createdAt,
  };
}

function label(l, repo, base) {
  return { id: l.id, node_id: nodeId('Label', l.id), url: `${base}/repos/${repo.fullName}/labels/${encodeURIComponent(l.name)}`,
    name: l.name, description: l.description, color: l.color, default: l.default };
}

function pullSimple(p, repo, state, base) {
  const api = `${base}/repos/${repo.fullName}`;
  const html = `${base}/${repo.fullName}/pull/${p.number}`;
  const branch = (b) => ({ label: `${repo.owner.login}:${b.ref}`, ref: b.ref, sha: b.sha,
    user: user(repo.owner, base), repo: repository(repo, base) });
  return {
    url: `${api}/pulls/${p.number}`, id: p.id, node_id: nodeId('PullRequest', p.id), html_url: html,
    diff_url: `${html}.diff`, patch_url: `${html}.patch`, issue_url: `${api}/issues/${p.number}`,
    commits_url: `${api}/pulls/${p.number}/commits`, review_comments_url: `${api}/pulls/${p.number}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`, comments_url: `${api}/issues/${p.number}/comments`,
    statuses_url: `${api}/statuses/${p.head.sha}`, number: p.number, state: p.state, locked: false,
    title: p.title, user: user(p.user, base), body: p.body,
    // The description's inline label schema here has a non-nullable description.
    labels: p.labels.map((l) => ({ ...label(l, repo, base), description: l.description || '' })),
    milestone: null, active_lock_reason: null, created_at: p.createdAt, updated_at: p.updatedAt,
    closed_at: p.closedAt, merged_at: p.mergedAt, merge_commit_sha: p.merged ? p.head.sha : null,
    assignee: null, assignees: [], requested_reviewers: [], requested_teams: [],
    head: branch(p.head), base: branch(p.base),
    _links: { self: { href: `${api}/pulls/${p.number}` }, html: { href: html },
      issue: { href: `${api}/issues/${p.number}` }, comments: { href: `${api}/issues/${p.number}/comments` },
      review_comments: { href: `${api}/pulls/${p.number}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${api}/pulls/${p.number}/commits` }, statuses: { href: `${api}/statuses/${p.head.sha}` } },
    author_association: state.association(repo, p.user.login), auto_merge: null, draft: p.draft,
  };
}

function pullFull(p, repo, state, base) {
  return { ...pullSimple(p, repo, state, base), merged: p.merged, mergeable: p.state === 'open' ? true : null,
    rebaseable: null, mergeable_state: p.state === 'open' ? 'clean' : 'unknown', merged_by: null,
    comments: state.commentsOf(repo, p.number).length, review_comments: 0, maintainer_can_modify: false,
    commits: 1, additions: 0, deletions: 0, changed_files: 0 };
}

const REACTIONS = ['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'rocket', 'eyes'];

function comment(c, state, base) {
  const api = `${base}/repos/${c.repo.fullName}`;
  const rollup = { url: `${api}/issues/comments/${c.id}/reactions`, total_count: c.reactions.length };
  for (const r of REACTIONS) rollup[r] = c.reactions.filter((x) => x.content === r).length;
  return { id: c.id, node_id: nodeId('IssueComment', c.id), url: `${api}/issues/comments/${c.id}`,
    html_url: `${base}/${c.repo.fullName}/pull/${c.issue}#issuecomment-${c.id}`, body: c.body,
    user: user(c.user, base), created_at: c.createdAt, updated_at: c.updatedAt,
    issue_url: `${api}/issues/${c.issue}`, author_association: state.association(c.repo, c.user.login),
    reactions: rollup };
}

function reaction(x, base) {
  return { id: x.id, node_id: nodeId('Reaction', x.id), user: user(x.user, base), content: x.content, created_at: x.createdAt };
}

function status(s, base, simple) {
  const out = { url: `${base}/repos/${s.repo.fullName}/statuses/${s.sha}`, avatar_url: `${base}/avatars/${s.creator.id}`,
    id: s.id, node_id: nodeId('StatusContext', s.id), state: s.state, description: s.description,
    target_url: s.targetUrl, context: s.context, created_at: s.createdAt, updated_at: s.updatedAt };
  if (!simple) out.creator = user(s.creator, base);
  return out;
}

// A permission as GitHub reports it: `permission` keeps the old four values,
// `role_name` the real role.
function permission(login, perm, base, state) {
  const legacy = { admin: 'admin', maintain: 'write', write: 'write', triage: 'read', read: 'read' }[perm];
  const u = user(state.user(login), base);
  return { permission: legacy, role_name: perm, user: { ...u, role_name: perm,
    permissions: { admin: perm === 'admin', maintain: ['admin', 'maintain'].includes(perm),
      push: ['admin', 'maintain', 'write'].includes(perm), triage: perm !== 'read', pull: true } } };
}

// An issue in GitHub's issue shape; a pull request listed among issues carries a
// pull_request object (that is how clients tell them apart).
function issue(i, repo, state, base, pull) {
  const api = `${base}/repos/${repo.fullName}`;
  const out = { id: i.id, node_id: nodeId(pull ? 'PullRequest' : 'Issue', i.id), url: `${api}/issues/${i.number}`,
    repository_url: api, labels_url: `${api}/issues/${i.number}/labels{/name}`,
    comments_url: `${api}/issues/${i.number}/comments`, events_url: `${api}/issues/${i.number}/events`,
    html_url: `${base}/${repo.fullName}/${pull ? 'pull' : 'issues'}/${i.number}`, number: i.number,
    state: i.state, title: i.title, body: i.body,
    user: user(i.user, base), labels: i.labels.map((l) => label(l, repo, base)), assignee: null, assignees: [],
    milestone: null, locked: false, active_lock_reason: null, comments: state.commentsOf(repo, i.number).length,
    closed_at: i.closedAt, created_at: i.createdAt, updated_at: i.updatedAt,
    author_association: state.association(repo, i.user.login) };
  // state_reason is optional; its enum has no null, so an open issue leaves it out.
  if (i.state === 'closed') out.state_reason = 'completed';
  if (pull) {
    out.pull_request = { url: `${api}/pulls/${i.number}`, html_url: out.html_url, diff_url: `${out.html_url}.diff`,
      patch_url: `${out.html_url}.patch`, merged_at: i.mergedAt };
  }
  return out;
}

// The issues endpoint's view of a repository: its issues and its pull requests.
function issueList(repo) {
  return [...[...repo.issues.values()].map((i) => [i, false]), ...[...repo.pulls.values()].map((p) => [p, true])];
}

function threadOf(ctx, number) {
  const t = ctx.state.thread(ctx.repo, number);
  if (!t) throw notFound();
  return t;
}

function pullOf(ctx, number) {
  const p = ctx.repo.pulls.get(number);
  if (!p) throw notFound();
  return p;
}

function commentOf(ctx) {
  const c = ctx.state.comments.get(ctx.params.comment_id);
  if (!c || c.repo !== ctx.repo) throw notFound();
  return c;
}

function checkBody(body) {
  if (typeof body === 'string' && body.length > 65536) {
    throw validationFailed('IssueComment', 'body', 'Body is too long (maximum is 65536 characters)');
  }
}

const SORT_KEY = { created: (p) => p.createdAt, updated: (p) => p.updatedAt,
  popularity: (p) => p.number, 'long-running': (p) => p.createdAt };

const handlers = {
  'pulls/list'(ctx) {
    const q = ctx.query;
    const state = q.state || 'open';
    const sort = q.sort || 'created';
    const dir = q.direction || (sort === 'created' ? 'desc' : 'asc');
    let list = [...ctx.repo.pulls.values()].filter((p) => state === 'all' || p.state === state);
    if (q.base) list = list.filter((p) => p.base.ref === q.base);
    if (q.head) list = list.filter((p) => `${ctx.repo.owner.login}:${p.head.ref}` === q.head);
    const key = SORT_KEY[sort];
    list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.number - b.number) * (dir === 'asc' ? 1 : -1));
    return { status: 200, body: ctx.paginate(list).map((p) => pullSimple(p, ctx.repo, ctx.state, ctx.base)) };
  },
  'pulls/get'(ctx) {
    return { status: 200, body: pullFull(pullOf(ctx, ctx.params.pull_number), ctx.repo, ctx.state, ctx.base) };
  },
  'issues/list-for-repo'(ctx) {
    const q = ctx.query;
    const state = q.state || 'open';
    const sort = q.sort || 'created';
    const dir = q.direction || 'desc';
    const key = { created: (x) => x.createdAt, updated: (x) => x.updatedAt, comments: (x) => x.number }[sort];
    let list = issueList(ctx.repo).filter(([x]) => state === 'all' || x.state === state);
    if (q.since) list = list.filter(([x]) => x.updatedAt >= q.since);
    if (q.labels) {
      const want = q.labels.split(',');
      list = list.filter(([x]) => want.every((n) => x.labels.some((l) => l.name === n)));
    }
    if (q.creator) list = list.filter(([x]) => x.user.login === q.creator);
    list.sort(([a], [b]) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.number - b.number) * (dir === 'asc' ? 1 : -1));
    return { status: 200, body: ctx.paginate(list).map(([x, pull]) => issue(x, ctx.repo, ctx.state, ctx.base, pull)) };
  },
  'issues/get'(ctx) {
    const n = ctx.params.issue_number;
    const i = ctx.repo.issues.get(n);
    if (i) return { status: 200, body: issue(i, ctx.repo, ctx.state, ctx.base, false) };
    return { status: 200, body: issue(pullOf(ctx, n), ctx.repo, ctx.state, ctx.base, true) };
  },
  'issues/list-comments'(ctx) {
    threadOf(ctx, ctx.params.issue_number);
    let list = ctx.state.commentsOf(ctx.repo, ctx.params.issue_number);
    if (ctx.query.since) list = list.filter((c) => c.updatedAt >= ctx.query.since);
    return { status: 200, body: ctx.paginate(list).map((c) => comment(c, ctx.state, ctx.base)) };
  },
  'issues/create-comment'(ctx) {
    threadOf(ctx, ctx.params.issue_number);
    checkBody(ctx.body.body);
    const c = ctx.state.addComment(ctx.repo, ctx.params.issue_number, ctx.login, ctx.body.body);
    const body = comment(c, ctx.state, ctx.base);
    return { status: 201, body, headers: { Location: body.url } };
  },
  'issues/get-comment'(ctx) { return { status: 200, body: comment(commentOf(ctx), ctx.state, ctx.base) }; },
  'issues/update-comment'(ctx) {
    const c = commentOf(ctx);
    if (c.user.login !== ctx.login && !['admin', 'maintain', 'write'].includes(ctx.repo.collaborators.get(ctx.login))) {
      throw new HttpError(403, 'Must have admin rights to Repository.', { documentation_url: DOCS });
    }
    checkBody(ctx.body.body);
    c.body = ctx.body.body;
    c.updatedAt = isoNow();
    ctx.state.touch(ctx.state.thread(ctx.repo, c.issue));
    return { status: 200, body: comment(c, ctx.state, ctx.base) };
  },
  'issues/delete-comment'(ctx) {
    const c = commentOf(ctx);
    ctx.state.comments.delete(c.id);
    return { status: 204 };
  },
  'reactions/list-for-issue-comment'(ctx) {
    const c = commentOf(ctx);
    const list = c.reactions.filter((x) => !ctx.query.content || x.content === ctx.query.content);
    return { status: 200, body: ctx.paginate(list).map((x) => reaction(x, ctx.base)) };
  },
  'reactions/create-for-issue-comment'(ctx) {
    const c = commentOf(ctx);
    const old = c.reactions.find((x) => x.user.login === ctx.login && x.content === ctx.body.content);
    if (old) return { status: 200, body: reaction(old, ctx.base) };
    const x = { id: ctx.state.id(), user: ctx.state.user(ctx.login), content: ctx.body.content, createdAt: isoNow() };
    c.reactions.push(x);
    return { status: 201, body: reaction(x, ctx.base) };
  },
  'repos/create-commit-status'(ctx) {
    const b = ctx.body;
    if (!ctx.repo.shas.has(ctx.params.sha)) throw validationFailed('Status', 'sha', `No commit found for SHA: ${ctx.params.sha}`);
    if (b.description && [...b.description].length > 140) {
      throw validationFailed('Status', 'description', 'description is too long (maximum is 140 characters)');
    }
    const now = isoNow();
    const s = { id: ctx.state.id(), repo: ctx.repo, sha: ctx.params.sha, state: b.state, context: b.context || 'default',
      description: b.description ?? null, targetUrl: b.target_url ?? null, creator: ctx.state.user(ctx.login),
      createdAt: now, updatedAt: now };
    ctx.state.statuses.push(s);
    const body = status(s, ctx.base, false);
    return { status: 201, body, headers: { Location: body.url } };
  },
  'repos/get-combined-status-for-ref'(ctx) {
    const sha = ctx.state.resolveRef(ctx.repo, ctx.params.ref);
    if (!sha) throw new HttpError(404, `No commit found for SHA: ${ctx.params.ref}`, { documentation_url: DOCS });
    const { state, list } = ctx.state.combined(ctx.repo, sha);
    const api = `${ctx.base}/repos/${ctx.repo.fullName}`;
    return { status: 200, body: { state, statuses: ctx.paginate(list).map((s) => status(s, ctx.base, true)), sha,
      total_count: list.length, repository: minimalRepo(ctx.repo, ctx.base),
      commit_url: `${api}/commits/${sha}`, url: `${api}/commits/${sha}/status` } };
  },
  'repos/list-commit-statuses-for-ref'(ctx) {
    const sha = ctx.state.resolveRef(ctx.repo, ctx.params.ref);
    const list = sha ? ctx.state.statuses.filter((s) => s.repo === ctx.repo && s.sha === sha).reverse() : [];
    return { status: 200, body: ctx.paginate(list).map((s) => status(s, ctx.base, false)) };
  },
  'repos/get-collaborator-permission-level'(ctx) {
    const perm = ctx.repo.collaborators.get(ctx.params.username);
    if (!perm) throw new HttpError(404, `${ctx.params.username} is not a user`, { documentation_url: DOCS });
    return { status: 200, body: permission(ctx.params.username, perm, ctx.base, ctx.state) };
  },
  'issues/list-labels-for-repo'(ctx) {
    return { status: 200, body: ctx.paginate([...ctx.repo.labels.values()]).map((l) => label(l, ctx.repo, ctx.base)) };
  },
  'issues/list-labels-on-issue'(ctx) {
    const p = threadOf(ctx, ctx.params.issue_number);
    return { status: 200, body: ctx.paginate(p.labels).map((l) => label(l, ctx.repo, ctx.base)) };
  },
  'issues/add-labels'(ctx) {
    const p = threadOf(ctx, ctx.params.issue_number);
    const b = ctx.body;
    const names = (Array.isArray(b) ? b : b.labels).map((x) => (typeof x === 'string' ? x : x.name));
    for (const n of names) {
      const l = ctx.state.label(ctx.repo, n);
      if (!p.labels.includes(l)) p.labels.push(l);
    }
    ctx.state.touch(p);
    return { status: 200, body: p.labels.map((l) => label(l, ctx.repo, ctx.base)) };
  },
  'issues/remove-label'(ctx) {
    const p = threadOf(ctx, ctx.params.issue_number);
    const i = p.labels.findIndex((l) => l.name === ctx.params.name);
    if (i < 0) throw new HttpError(404, 'Label does not exist', { documentation_url: DOCS });
    p.labels.splice(i, 1);
    ctx.state.touch(p);
    return { status: 200, body: p.labels.map((l) => label(l, ctx.repo, ctx.base)) };
  },
  'users/get-authenticated'(ctx) {
    const u = ctx.state.user(ctx.login);
    return { status: 200, body: { ...user(u, ctx.base), name: null, company: null, blog: '', location: null,
      email: null, hireable: null, bio: null, public_repos: 0, public_gists: 0, followers: 0, following: 0,
      created_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:00Z', private_gists: 0,
      total_private_repos: 0, owned_private_repos: 0, disk_usage: 0, collaborators: 0,
      two_factor_authentication: true } };
  },
  'apps/get-authenticated'(ctx) {
    const app = ctx.state.app;
    return { status: 200, body: { id: app.id, slug: app.slug, node_id: nodeId('Integration', app.id),
      client_id: `Iv1.${app.id}`, owner: user(ctx.state.user(app.owner), ctx.base), name: app.name,
      description: null, external_url: ctx.base, html_url: `${ctx.base}/apps/${app.slug}`,
      created_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:00Z',
      permissions: { issues: 'write', pull_requests: 'write', statuses: 'write', metadata: 'read' },
      events: ['pull_request', 'issue_comment', 'push'] } };
  },
  'apps/create-installation-access-token'(ctx) {
    const app = ctx.state.app;
    if (!app.installations.has(ctx.params.installation_id)) throw notFound();
    const token = 'ghs_' + crypto.randomBytes(18).toString('base64url');
    const expires = Date.now() + app.tokenTtl * 1000;
    ctx.state.tokens.set(token, { login: `${app.slug}[bot]`, expires });
    return { status: 201, body: { token, expires_at: isoNow(expires),
      permissions: { issues: 'write', pull_requests: 'write', statuses: 'write', metadata: 'read' },
      repository_selection: 'all' } };
  },
};

module.exports = { handlers, HttpError, notFound, DOCS };
