// The Gitea flavour: the same state served under /api/v1 in Gitea's shapes. No npm
// package ships Gitea's swagger description, so the subset the bot uses is written
// here as an OpenAPI 3.0 document, with Gitea's operationIds, parameter names and
// field names (as in Gitea 1.2x's swagger; the gitea-js 1.23 typings agree). It is
// stricter than Gitea in one way: unknown fields in a request body are violations,
// so a typo in the client shows up instead of being ignored.
'use strict';
const { isoNow } = require('./state');
const { HttpError } = require('./github');

const ref = (name) => ({ $ref: `#/components/schemas/${name}` });
const str = { type: 'string' };
const int = { type: 'integer' };
const bool = { type: 'boolean' };
const time = { type: 'string', format: 'date-time' };
// ajv's OpenAPI `nullable` needs a `type` beside it, which a $ref cannot have.
const nullable = (s) => (s.$ref ? { anyOf: [s, { type: 'null' }] } : { ...s, nullable: true });
const arr = (items) => ({ type: 'array', items });
// Every listed property is required: the server must send what it says Gitea sends.
const obj = (properties, extra = {}) => ({ type: 'object', properties, required: Object.keys(properties), ...extra });
const input = (properties, required) => ({ type: 'object', properties, required, additionalProperties: false });

const param = (name, where, schema, required = where === 'path') => ({ name, in: where, required, schema });
const repoParams = [param('owner', 'path', str), param('repo', 'path', str)];
const paging = [param('page', 'query', { type: 'integer', minimum: 1 }), param('limit', 'query', { type: 'integer', minimum: 1 })];
const json = (schema) => ({ content: { 'application/json': { schema } } });
const ok = (status, schema, description = 'OK') => ({ [status]: { description, ...(schema ? json(schema) : {}) } });
const errors = { 403: { description: 'forbidden', ...json(ref('APIError')) }, 404: { description: 'not found', ...json(ref('APIError')) },
  422: { description: 'validation', ...json(ref('APIError')) } };
const op = (operationId, parameters, responses, body) => ({ operationId, parameters,
  responses: { ...responses, ...errors }, ...(body ? { requestBody: { required: true, ...json(body) } } : {}) });

const STATES = ['pending', 'success', 'error', 'failure', 'warning'];
const REACTIONS = ['+1', '-1', 'laugh', 'hooray', 'confused', 'heart', 'rocket', 'eyes'];

const schemas = {
  APIError: { type: 'object', properties: { message: str, url: str }, required: ['message'] },
  User: obj({ id: int, login: str, login_name: str, full_name: str, email: str, avatar_url: str, html_url: str,
    language: str, is_admin: bool, last_login: time, created: time, restricted: bool, active: bool,
    prohibit_login: bool, location: str, website: str, description: str, visibility: str,
    followers_count: int, following_count: int, starred_repos_count: int, username: str }),
  Repository: obj({ id: int, owner: ref('User'), name: str, full_name: str, description: str, empty: bool,
    private: bool, fork: bool, html_url: str, ssh_url: str, clone_url: str, default_branch: str,
    created_at: time, updated_at: time }),
  Label: obj({ id: int, name: str, exclusive: bool, is_archived: bool, color: str, description: str, url: str }),
  PRBranchInfo: obj({ label: str, ref: str, sha: str, repo_id: int, repo: ref('Repository') }),
  PullRequest: obj({ id: int, url: str, number: int, user: ref('User'), title: str, body: str,
    labels: arr(ref('Label')), milestone: nullable({ type: 'object' }), assignee: nullable(ref('User')),
    assignees: nullable(arr(ref('User'))), state: { type: 'string', enum: ['open', 'closed'] }, is_locked: bool,
    comments: int, html_url: str, diff_url: str, patch_url: str, mergeable: bool, merged: bool,
    merged_at: nullable(time), merge_commit_sha: nullable(str), merged_by: nullable(ref('User')),
    allow_maintainer_edit: bool, base: ref('PRBranchInfo'), head: ref('PRBranchInfo'), merge_base: str,
    due_date: nullable(time), created_at: time, updated_at: time, closed_at: nullable(time), draft: bool }),
  Issue: obj({ id: int, url: str, html_url: str, number: int, user: ref('User'), original_author: str,
    original_author_id: int, title: str, body: str, ref: str, labels: arr(ref('Label')), milestone: nullable({ type: 'object' }),
    assignee: nullable(ref('User')), assignees: nullable(arr(ref('User'))), state: { type: 'string', enum: ['open', 'closed'] },
    is_locked: bool, comments: int, created_at: time, updated_at: time, closed_at: nullable(time), due_date: nullable(time),
    pull_request: nullable({ type: 'object' }), repository: { type: 'object' } }),
  Comment: obj({ id: int, html_url: str, pull_request_url: str, issue_url: str, user: ref('User'),
    original_author: str, original_author_id: int, body: str, assets: arr({ type: 'object' }),
    created_at: time, updated_at: time }),
  Reaction: obj({ user: ref('User'), content: str, created_at: time }),
  CommitStatus: obj({ id: int, status: { type: 'string', enum: STATES }, target_url: str, description: str,
    url: str, context: str, creator: ref('User'), created_at: time, updated_at: time }),
  CombinedStatus: obj({ state: { type: 'string', enum: STATES }, sha: str, total_count: int,
    statuses: arr(ref('CommitStatus')), repository: ref('Repository'), commit_url: str, url: str }),
  RepoCollaboratorPermission: obj({ permission: { type: 'string', enum: ['none', 'read', 'write', 'admin', 'owner'] },
    role_name: str, user: ref('User') }),
};

const R = '/repos/{owner}/{repo}';
const description = {
  openapi: '3.0.3',
  info: { title: 'Gitea API (the subset the bot uses)', version: '1.2x' },
  paths: {
    [`${R}/pulls`]: { get: op('repoListPullRequests', [...repoParams,
      param('state', 'query', { type: 'string', enum: ['open', 'closed', 'all'] }),
      param('sort', 'query', { type: 'string', enum: ['oldest', 'recentupdate', 'leastupdate', 'mostcomment', 'leastcomment', 'priority'] }),
      param('milestone', 'query', int), param('labels', 'query', arr(int)), param('poster', 'query', str), ...paging],
    ok(200, arr(ref('PullRequest')))) },
    [`${R}/pulls/{index}`]: { get: op('repoGetPullRequest', [...repoParams, param('index', 'path', int)], ok(200, ref('PullRequest'))) },
    [`${R}/issues`]: { get: op('issueListIssues', [...repoParams,
      param('state', 'query', { type: 'string', enum: ['closed', 'open', 'all'] }), param('labels', 'query', str),
      param('q', 'query', str), param('type', 'query', { type: 'string', enum: ['issues', 'pulls'] }),
      param('milestones', 'query', str), param('since', 'query', time), param('before', 'query', time),
      param('created_by', 'query', str), param('assigned_by', 'query', str), param('mentioned_by', 'query', str), ...paging],
    ok(200, arr(ref('Issue')))) },
    [`${R}/issues/{index}`]: { get: op('issueGetIssue', [...repoParams, param('index', 'path', int)], ok(200, ref('Issue'))) },
    [`${R}/issues/{index}/comments`]: {
      get: op('issueGetComments', [...repoParams, param('index', 'path', int), param('since', 'query', time),
        param('before', 'query', time)], ok(200, arr(ref('Comment')))),
      post: op('issueCreateComment', [...repoParams, param('index', 'path', int)], ok(201, ref('Comment')),
        input({ body: str }, ['body'])),
    },
    [`${R}/issues/comments/{id}`]: {
      get: op('issueGetComment', [...repoParams, param('id', 'path', int)], ok(200, ref('Comment'))),
      patch: op('issueEditComment', [...repoParams, param('id', 'path', int)], ok(200, ref('Comment')),
        input({ body: str }, ['body'])),
      delete: op('issueDeleteComment', [...repoParams, param('id', 'path', int)], ok(204)),
    },
    [`${R}/issues/comments/{id}/reactions`]: {
      get: op('issueGetCommentReactions', [...repoParams, param('id', 'path', int)], ok(200, arr(ref('Reaction')))),
      post: op('issuePostCommentReaction', [...repoParams, param('id', 'path', int)],
        { ...ok(200, ref('Reaction'), 'already there'), ...ok(201, ref('Reaction')) },
        input({ content: { type: 'string', enum: REACTIONS } }, ['content'])),
    },
    [`${R}/statuses/{sha}`]: { post: op('repoCreateStatus', [...repoParams, param('sha', 'path', str)], ok(201, ref('CommitStatus')),
      input({ state: { type: 'string', enum: STATES }, target_url: str, description: str, context: str }, ['state'])) },
    [`${R}/commits/{ref}/status`]: { get: op('repoGetCombinedStatusByRef', [...repoParams, param('ref', 'path', str), ...paging],
      ok(200, ref('CombinedStatus'))) },
    [`${R}/collaborators/{collaborator}/permission`]: { get: op('repoGetRepoPermissions',
      [...repoParams, param('collaborator', 'path', str)], ok(200, ref('RepoCollaboratorPermission'))) },
    [`${R}/labels`]: { get: op('issueListLabels', [...repoParams, ...paging], ok(200, arr(ref('Label')))) },
    [`${R}/issues/{index}/labels`]: {
      get: op('issueGetLabels', [...repoParams, param('index', 'path', int)], ok(200, arr(ref('Label')))),
      post: op('issueAddLabel', [...repoParams, param('index', 'path', int)], ok(200, arr(ref('Label'))),
        input({ labels: arr({ oneOf: [int, str] }) }, ['labels'])),
    },
    [`${R}/issues/{index}/labels/{id}`]: { delete: op('issueRemoveLabel',
      [...repoParams, param('index', 'path', int), param('id', 'path', int)], ok(204)) },
    '/user': { get: op('userGetCurrent', [], ok(200, ref('User'))) },
  },
  components: { schemas },
};

function user(u, base) {
  const host = base.replace(/\/api\/v1$/, '');
  return { id: u.id, login: u.login, login_name: '', full_name: '', email: `${u.login.replace(/\[bot\]$/, '')}@noreply.localhost`,
    avatar_url: `${host}/avatars/${u.id}`, html_url: `${host}/${u.login}`, language: '', is_admin: false,
    last_login: '2024-01-01T00:00:00Z', created: '2024-01-01T00:00:00Z', restricted: false, active: true,
    prohibit_login: false, location: '', website: '', description: '', visibility: 'public',
    followers_count: 0, following_count: 0, starred_repos_count: 0, username: u.login };
}

function repository(r, base) {
  const host = base.replace(/\/api\/v1$/, '');
  return { id: r.id, owner: user(r.owner, base), name: r.name, full_name: r.fullName, description: '',
    empty: false, private: r.private, fork: false, html_url: `${host}/${r.fullName}`,
    ssh_url: `git@127.0.0.1:${r.fullName}.git`, clone_url: r.cloneUrl || `${host}/${r.fullName}.git`,
    default_branch: r.defaultBranch, created_at: r.createdAt, updated_at: r.createdAt };
}

function label(l, repo, base) {
  return { id: l.id, name: l.name, exclusive: false, is_archived: false, color: l.color,
    description: l.description || '', url: `${base}/repos/${repo.fullName}/labels/${l.id}` };
}

function pull(p, repo, state, base) {
  const host = base.replace(/\/api\/v1$/, '');
  const html = `${host}/${repo.fullName}/pulls/${p.number}`;
  const branch = (b) => ({ label: b.ref, ref: b.ref, sha: b.sha, repo_id: repo.id, repo: repository(repo, base) });
  return { id: p.id, url: html, number: p.number, user: user(p.user, base), title: p.title, body: p.body || '',
    labels: p.labels.map((l) => label(l, repo, base)), milestone: null, assignee: null, assignees: null,
    state: p.state, is_locked: false, comments: state.commentsOf(repo, p.number).length, html_url: html,
    diff_url: `${html}.diff`, patch_url: `${html}.patch`, mergeable: p.state === 'open', merged: p.merged,
    merged_at: p.mergedAt, merge_commit_sha: p.merged ? p.head.sha : null, merged_by: null,
    allow_maintainer_edit: false, base: branch(p.base), head: branch(p.head), merge_base: p.base.sha,
    due_date: null, created_at: p.createdAt, updated_at: p.updatedAt, closed_at: p.closedAt, draft: p.draft };
}

function comment(c, base) {
  const host = base.replace(/\/api\/v1$/, '');
  return { id: c.id, html_url: `${host}/${c.repo.fullName}/pulls/${c.issue}#issuecomment-${c.id}`,
    pull_request_url: `${host}/${c.repo.fullName}/pulls/${c.issue}`, issue_url: '',
    user: user(c.user, base), original_author: '', original_author_id: 0, body: c.body, assets: [],
    created_at: c.createdAt, updated_at: c.updatedAt };
}

function status(s, base) {
  return { id: s.id, status: s.state, target_url: s.targetUrl || '', description: s.description || '',
    url: `${base}/repos/${s.repo.fullName}/statuses/${s.sha}`, context: s.context,
    creator: user(s.creator, base), created_at: s.createdAt, updated_at: s.updatedAt };
}

function issue(i, repo, state, base, isPull) {
  const host = base.replace(/\/api\/v1$/, '');
  const html = `${host}/${repo.fullName}/${isPull ? 'pulls' : 'issues'}/${i.number}`;
  return { id: i.id, url: `${base}/repos/${repo.fullName}/issues/${i.number}`, html_url: html, number: i.number,
    user: user(i.user, base), original_author: '', original_author_id: 0, title: i.title, body: i.body || '', ref: '',
    labels: i.labels.map((l) => label(l, repo, base)), milestone: null, assignee: null, assignees: null, state: i.state,
    is_locked: false, comments: state.commentsOf(repo, i.number).length, created_at: i.createdAt, updated_at: i.updatedAt,
    closed_at: i.closedAt, due_date: null, pull_request: isPull ? { merged: !!i.merged, merged_at: i.mergedAt, html_url: html } : null,
    repository: { id: repo.id, name: repo.name, owner: repo.owner.login, full_name: repo.fullName } };
}

const notFound = () => new HttpError(404, 'The target couldn\'t be found.');
const threadOf = (ctx, n) => { const t = ctx.state.thread(ctx.repo, n); if (!t) throw notFound(); return t; };
const pullOf = (ctx, n) => { const p = ctx.repo.pulls.get(n); if (!p) throw notFound(); return p; };
const commentOf = (ctx) => { const c = ctx.state.comments.get(ctx.params.id); if (!c || c.repo !== ctx.repo) throw notFound(); return c; };

const SORTS = {
  oldest: (a, b) => a.createdAt.localeCompare(b.createdAt), recentupdate: (a, b) => b.updatedAt.localeCompare(a.updatedAt),
  leastupdate: (a, b) => a.updatedAt.localeCompare(b.updatedAt), priority: (a, b) => b.updatedAt.localeCompare(a.updatedAt),
  mostcomment: (a, b) => b.number - a.number, leastcomment: (a, b) => a.number - b.number,
};

const handlers = {
  repoListPullRequests(ctx) {
    const state = ctx.query.state || 'open';
    const list = [...ctx.repo.pulls.values()].filter((p) => state === 'all' || p.state === state)
      .filter((p) => !ctx.query.poster || p.user.login === ctx.query.poster)
      .sort((a, b) => SORTS[ctx.query.sort || 'recentupdate'](a, b) || b.number - a.number);
    return { status: 200, body: ctx.paginate(list).map((p) => pull(p, ctx.repo, ctx.state, ctx.base)) };
  },
  repoGetPullRequest(ctx) { return { status: 200, body: pull(pullOf(ctx, ctx.params.index), ctx.repo, ctx.state, ctx.base) }; },
  issueListIssues(ctx) {
    const q = ctx.query;
    const state = q.state || 'open';
    let list = [];
    if (q.type !== 'pulls') list.push(...[...ctx.repo.issues.values()].map((i) => [i, false]));
    if (q.type !== 'issues') list.push(...[...ctx.repo.pulls.values()].map((p) => [p, true]));
    list = list.filter(([x]) => (state === 'all' || x.state === state) && (!q.since || x.updatedAt >= q.since)
      && (!q.before || x.updatedAt < q.before));
    // Gitea lists the newest first.
    list.sort(([a], [b]) => b.createdAt.localeCompare(a.createdAt) || b.number - a.number);
    return { status: 200, body: ctx.paginate(list).map(([x, isPull]) => issue(x, ctx.repo, ctx.state, ctx.base, isPull)) };
  },
  issueGetIssue(ctx) {
    const n = ctx.params.index;
    const i = ctx.repo.issues.get(n);
    if (i) return { status: 200, body: issue(i, ctx.repo, ctx.state, ctx.base, false) };
    return { status: 200, body: issue(pullOf(ctx, n), ctx.repo, ctx.state, ctx.base, true) };
  },
  issueGetComments(ctx) {
    threadOf(ctx, ctx.params.index);
    const list = ctx.state.commentsOf(ctx.repo, ctx.params.index)
      .filter((c) => (!ctx.query.since || c.updatedAt >= ctx.query.since) && (!ctx.query.before || c.updatedAt < ctx.query.before));
    return { status: 200, body: list.map((c) => comment(c, ctx.base)) };
  },
  issueCreateComment(ctx) {
    threadOf(ctx, ctx.params.index);
    return { status: 201, body: comment(ctx.state.addComment(ctx.repo, ctx.params.index, ctx.login, ctx.body.body), ctx.base) };
  },
  issueGetComment(ctx) { return { status: 200, body: comment(commentOf(ctx), ctx.base) }; },
  issueEditComment(ctx) {
    const c = commentOf(ctx);
    if (c.user.login !== ctx.login) throw new HttpError(403, 'user should be the poster of the comment');
    c.body = ctx.body.body;
    c.updatedAt = isoNow();
    ctx.state.touch(ctx.state.thread(ctx.repo, c.issue));
    return { status: 200, body: comment(c, ctx.base) };
  },
  issueDeleteComment(ctx) { ctx.state.comments.delete(commentOf(ctx).id); return { status: 204 }; },
  issueGetCommentReactions(ctx) {
    return { status: 200, body: commentOf(ctx).reactions.map((x) => ({ user: user(x.user, ctx.base), content: x.content, created_at: x.createdAt })) };
  },
  issuePostCommentReaction(ctx) {
    const c = commentOf(ctx);
    let x = c.reactions.find((r) => r.user.login === ctx.login && r.content === ctx.body.content);
    const created = !x;
    if (!x) { x = { id: ctx.state.id(), user: ctx.state.user(ctx.login), content: ctx.body.content, createdAt: isoNow() }; c.reactions.push(x); }
    return { status: created ? 201 : 200, body: { user: user(x.user, ctx.base), content: x.content, created_at: x.createdAt } };
  },
  repoCreateStatus(ctx) {
    if (!ctx.repo.shas.has(ctx.params.sha)) throw new HttpError(404, `sha ${ctx.params.sha} not found`);
    const b = ctx.body;
    const now = isoNow();
    const s = { id: ctx.state.id(), repo: ctx.repo, sha: ctx.params.sha, state: b.state, context: b.context || '',
      description: b.description ?? null, targetUrl: b.target_url ?? null, creator: ctx.state.user(ctx.login), createdAt: now, updatedAt: now };
    ctx.state.statuses.push(s);
    return { status: 201, body: status(s, ctx.base) };
  },
  repoGetCombinedStatusByRef(ctx) {
    const sha = ctx.state.resolveRef(ctx.repo, ctx.params.ref);
    if (!sha) throw notFound();
    const { state, list } = ctx.state.combined(ctx.repo, sha);
    return { status: 200, body: { state, sha, total_count: list.length, statuses: ctx.paginate(list).map((s) => status(s, ctx.base)),
      repository: repository(ctx.repo, ctx.base), commit_url: `${ctx.base}/repos/${ctx.repo.fullName}/git/commits/${sha}`,
      url: `${ctx.base}/repos/${ctx.repo.fullName}/commits/${sha}/status` } };
  },
  repoGetRepoPermissions(ctx) {
    const login = ctx.params.collaborator;
    const perm = ctx.repo.collaborators.get(login);
    if (!perm) throw notFound();
    const gitea = login === ctx.repo.owner.login ? 'owner' : { admin: 'admin', maintain: 'write', write: 'write', triage: 'read', read: 'read' }[perm];
    return { status: 200, body: { permission: gitea, role_name: gitea, user: user(ctx.state.user(login), ctx.base) } };
  },
  issueListLabels(ctx) { return { status: 200, body: ctx.paginate([...ctx.repo.labels.values()]).map((l) => label(l, ctx.repo, ctx.base)) }; },
  issueGetLabels(ctx) { return { status: 200, body: pullOf(ctx, ctx.params.index).labels.map((l) => label(l, ctx.repo, ctx.base)) }; },
  issueAddLabel(ctx) {
    const p = pullOf(ctx, ctx.params.index);
    for (const want of ctx.body.labels) {
      const l = typeof want === 'string' ? ctx.state.label(ctx.repo, want) : [...ctx.repo.labels.values()].find((x) => x.id === want);
      if (!l) throw new HttpError(422, `label ${want} does not exist`);
      if (!p.labels.includes(l)) p.labels.push(l);
    }
    ctx.state.touch(p);
    return { status: 200, body: p.labels.map((l) => label(l, ctx.repo, ctx.base)) };
  },
  issueRemoveLabel(ctx) {
    const p = pullOf(ctx, ctx.params.index);
    const i = p.labels.findIndex((l) => l.id === ctx.params.id);
    if (i < 0) throw notFound();
    p.labels.splice(i, 1);
    ctx.state.touch(p);
    return { status: 204 };
  },
  userGetCurrent(ctx) { return { status: 200, body: user(ctx.state.user(ctx.login), ctx.base) }; },
};

module.exports = { description, handlers };
