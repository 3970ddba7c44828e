// Streamable HTTP (`nokv mcp --http HOST:PORT`) driven by the official SDK's
// StreamableHTTPClientTransport: the same tools over sessions
// (Mcp-Session-Id), several clients at once, session termination, Origin
// checks against DNS rebinding, the bearer token (required off loopback),
// start-up errors as the error of initialize, and SIGTERM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ListRootsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { loadSchemas, nokvBin, startHttpServer } from './harness.mjs';

const schemas = loadSchemas();
const base = mkdtempSync(join(tmpdir(), 'nokv-mcp-http-'));
const dataDir = join(base, 'data');
const servers = [];
let url;

// Starts `nokv ARGS` (harness.mjs), to be killed at the end.
async function startServer(args) {
  const server = await startHttpServer(args);
  servers.push(server);
  return server;
}

async function connect(target, headers = {}) {
  const transport = new StreamableHTTPClientTransport(target, { requestInit: { headers } });
  const client = new Client({ name: 'http-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

async function post(target, body, headers = {}) {
  return fetch(target, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
}

const INITIALIZE = {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

before(async () => {
  execFileSync(nokvBin(), ['--data-dir', dataDir, 'init']);
  execFileSync(nokvBin(), ['--data-dir', dataDir, 'mkdir', '-p', '/ws']);
  url = (await startServer(['--data-dir', dataDir, 'mcp', '--write', '--root', '/ws', '--http', '127.0.0.1:0'])).url;
});

after(async () => {
  for (const s of servers) s.child.kill('SIGKILL');
  rmSync(base, { recursive: true, force: true });
});

test('the SDK client gets a session and the same tools over HTTP', async () => {
  const { client, transport } = await connect(url);
  try {
    assert.match(transport.sessionId, /^[0-9a-f]{32}$/);
    const { tools } = await client.listTools();
    assert.equal(tools.length, 14);
    assert.ok(tools.some((t) => t.name === 'write' && t.annotations.readOnlyHint === false));
    const written = await client.callTool({ name: 'write', arguments: { path: '/ws/h.txt', content: 'over http\n' } });
    assert.equal(schemas.validate('write.output.json', written.structuredContent), null);
    const read = await client.callTool({ name: 'read', arguments: { path: '/ws/h.txt', format: 'bytes' } });
    assert.equal(read.structuredContent.data, 'over http\n');
    const ls = await client.callTool({ name: 'ls', arguments: { path: '/ws' } });
    assert.equal(schemas.validate('ls.output.json', ls.structuredContent), null);
    const outside = await client.callTool({ name: 'stat', arguments: { path: '/' } });
    assert.equal(outside.isError, true);
    const { resources } = await client.listResources();
    assert.ok(resources.some((r) => r.uri === 'nokv-native:///ws/h.txt'));
    assert.deepEqual(await client.ping(), {});
  } finally {
    await client.close();
  }
});

test('two clients have separate sessions; a terminated session is gone', async () => {
  const a = await connect(url);
  const b = await connect(url);
  try {
    assert.notEqual(a.transport.sessionId, b.transport.sessionId);
    const [ra, rb] = await Promise.all([
      a.client.callTool({ name: 'write', arguments: { path: '/ws/a.txt', content: 'a' } }),
      b.client.callTool({ name: 'write', arguments: { path: '/ws/b.txt', content: 'b' } }),
    ]);
    assert.ok(!ra.isError && !rb.isError);
    const old = a.transport.sessionId;
    await a.transport.terminateSession();
    const stale = await post(url, { jsonrpc: '2.0', id: 5, method: 'ping' }, { 'mcp-session-id': old });
    assert.equal(stale.status, 404);
    assert.deepEqual(await b.client.ping(), {}, 'the other session lives on');
  } finally {
    await a.client.close();
    await b.client.close();
  }
});

test('a full session table ends the session idle longest', async () => {
  const ids = [];
  for (let i = 0; i < 65; i++) {  // one more than the table holds (64)
    const res = await post(url, INITIALIZE);
    assert.equal(res.status, 200);
    ids.push(res.headers.get('mcp-session-id'));
    await res.arrayBuffer();
  }
  const first = await post(url, { jsonrpc: '2.0', id: 9, method: 'ping' }, { 'mcp-session-id': ids[0] });
  assert.equal(first.status, 404, 'the idle first session was ended');
  const last = await post(url, { jsonrpc: '2.0', id: 9, method: 'ping' }, { 'mcp-session-id': ids[64] });
  assert.equal(last.status, 200);
  for (const id of ids.slice(1)) await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': id } });
});

test('session and protocol headers are checked', async () => {
  const missing = await post(url, { jsonrpc: '2.0', id: 2, method: 'ping' });
  assert.equal(missing.status, 400);
  const init = await post(url, INITIALIZE);
  assert.equal(init.status, 200);
  const session = init.headers.get('mcp-session-id');
  assert.ok(session);
  const badVersion = await post(url, { jsonrpc: '2.0', id: 3, method: 'ping' },
    { 'mcp-session-id': session, 'mcp-protocol-version': '1999-01-01' });
  assert.equal(badVersion.status, 400);
  const note = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': session });
  assert.equal(note.status, 202);
  // GET opens the session's one stream of server messages; a second is refused.
  const opened = new AbortController();
  const get = await fetch(url, { headers: { accept: 'text/event-stream', 'mcp-session-id': session }, signal: opened.signal });
  assert.equal(get.status, 200);
  assert.match(get.headers.get('content-type'), /^text\/event-stream/);
  const second = await fetch(url, { headers: { accept: 'text/event-stream', 'mcp-session-id': session } });
  assert.equal(second.status, 409);
  const notSse = await fetch(url, { headers: { accept: 'application/json', 'mcp-session-id': session } });
  assert.equal(notSse.status, 406);
  opened.abort();
  const batch = await post(url, [{ jsonrpc: '2.0', id: 4, method: 'ping' }], { 'mcp-session-id': session });
  assert.equal(batch.status, 400);
  assert.equal((await batch.json()).error.code, -32600);
  const del = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': session } });
  assert.equal(del.status, 204);
});

test('roots over HTTP: the server asks on the GET stream and confines calls', async () => {
  let roots = [{ uri: 'nokv-native:///ws/a', name: 'a' }];
  let asked = 0;
  const transport = new StreamableHTTPClientTransport(url);
  const client = new Client({ name: 'http-roots', version: '1.0.0' }, { capabilities: { roots: { listChanged: true } } });
  client.setRequestHandler(ListRootsRequestSchema, async () => { asked++; return { roots }; });
  await client.connect(transport);
  try {
    const inside = await client.callTool({ name: 'write', arguments: { path: '/ws/a/x', content: 'x' } });
    assert.ok(!inside.isError, JSON.stringify(inside.structuredContent));
    assert.ok(asked >= 1, 'roots/list reached the client over HTTP');
    const outside = await client.callTool({ name: 'write', arguments: { path: '/ws/b/y', content: 'y' } });
    assert.equal(outside.isError, true);
    assert.match(outside.structuredContent.error.message, /outside the served root \/ws\/a/);
    roots = [{ uri: 'nokv-native:///ws/b', name: 'b' }];
    const before = asked;
    await client.sendRootsListChanged();
    const moved = await client.callTool({ name: 'write', arguments: { path: '/ws/b/y', content: 'y' } });
    assert.ok(!moved.isError, JSON.stringify(moved.structuredContent));
    assert.ok(asked > before, 'asked again after list_changed');
  } finally {
    await transport.terminateSession();
    await client.close();
  }
});

test('progress comes on the request\'s own event stream', async () => {
  const { client, transport } = await connect(url);
  try {
    for (let i = 0; i < 20; i++) {
      await client.callTool({ name: 'write', arguments: { path: `/ws/logs/run${i}.log`, content: `epoch ${i}\nloss 0.${i}\n` } });
    }
    const seen = [];
    const result = await client.callTool({ name: 'grep', arguments: { path: '/ws/logs', pattern: 'loss' } },
      undefined, { onprogress: (p) => seen.push(p) });
    assert.equal(result.structuredContent.matches.length, 20);
    assert.ok(seen.length >= 1, 'at least the first file scanned is reported');
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i].progress > seen[i - 1].progress);
    // On the wire: the POST is answered as an event stream, progress first, the response last.
    const res = await post(url, { jsonrpc: '2.0', id: 77, method: 'tools/call',
      params: { name: 'grep', arguments: { path: '/ws/logs', pattern: 'loss' }, _meta: { progressToken: 'p77' } } },
    { 'mcp-session-id': transport.sessionId, 'mcp-protocol-version': '2025-06-18' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/event-stream/);
    const events = (await res.text()).split('\n\n').filter((e) => e.startsWith('event: message'))
      .map((e) => JSON.parse(e.slice(e.indexOf('data: ') + 6)));
    assert.ok(events.length >= 2, JSON.stringify(events).slice(0, 500));
    assert.equal(events[0].method, 'notifications/progress');
    assert.equal(events[0].params.progressToken, 'p77');
    assert.equal(events[events.length - 1].id, 77);
    assert.equal(events[events.length - 1].result.structuredContent.matches.length, 20);
  } finally {
    await client.close();
  }
});

test('2026-07-28 over HTTP: no session, headers that repeat the body', async () => {
  const meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  const headers = (method, extra = {}) => ({ 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...extra });
  const discover = await post(url, { jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: meta } },
    headers('server/discover'));
  assert.equal(discover.status, 200);
  assert.equal(discover.headers.get('mcp-session-id'), null, 'no session is minted');
  const d = (await discover.json()).result;
  assert.equal(d.resultType, 'complete');
  assert.ok(d.supportedVersions.includes('2026-07-28'));
  const call = await post(url, { jsonrpc: '2.0', id: 2, method: 'tools/call',
    params: { name: 'write', arguments: { path: '/ws/era.txt', content: 'e' }, _meta: meta } },
  headers('tools/call', { 'mcp-name': '=?base64?' + Buffer.from('write').toString('base64') + '?=' }));
  assert.equal(call.status, 200);
  const result = (await call.json()).result;
  assert.equal(result.resultType, 'complete');
  assert.equal(result.structuredContent.path, '/ws/era.txt');
  // The headers must say what the body says.
  const noMethod = await post(url, { jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: meta } },
    { 'mcp-protocol-version': '2026-07-28' });
  assert.equal(noMethod.status, 400);
  assert.equal((await noMethod.json()).error.code, -32020);
  const wrongName = await post(url, { jsonrpc: '2.0', id: 4, method: 'tools/call',
    params: { name: 'ls', arguments: { path: '/ws' }, _meta: meta } }, headers('tools/call', { 'mcp-name': 'write' }));
  assert.equal(wrongName.status, 400);
  assert.equal((await wrongName.json()).error.code, -32020);
  const wrongVersion = await post(url, { jsonrpc: '2.0', id: 5, method: 'tools/list', params: { _meta: meta } },
    headers('tools/list', { 'mcp-protocol-version': '2025-11-25' }));
  assert.equal(wrongVersion.status, 400);
  const old = { ...meta, 'io.modelcontextprotocol/protocolVersion': '1900-01-01' };
  const unsupported = await post(url, { jsonrpc: '2.0', id: 6, method: 'tools/list', params: { _meta: old } },
    headers('tools/list', { 'mcp-protocol-version': '1900-01-01' }));
  assert.equal(unsupported.status, 400);
  assert.equal((await unsupported.json()).error.code, -32022);
  const ping = await post(url, { jsonrpc: '2.0', id: 7, method: 'ping', params: { _meta: meta } }, headers('ping'));
  assert.equal(ping.status, 404);
  // Progress streams on the request's own response.
  const grep = await post(url, { jsonrpc: '2.0', id: 8, method: 'tools/call',
    params: { name: 'grep', arguments: { path: '/ws', pattern: 'e' }, _meta: { ...meta, progressToken: 'era' } } },
  headers('tools/call', { 'mcp-name': 'grep' }));
  assert.match(grep.headers.get('content-type'), /^text\/event-stream/);
  const events = (await grep.text()).split('\n\n').filter((e) => e.startsWith('event: message'))
    .map((e) => JSON.parse(e.slice(e.indexOf('data: ') + 6)));
  assert.equal(events[0].method, 'notifications/progress');
  assert.equal(events[events.length - 1].result.resultType, 'complete');
  // No GET stream in this era.
  const get = await fetch(url, { headers: { accept: 'text/event-stream' } });
  assert.equal(get.status, 405);
});

test('Origin: loopback pages are let in, others refused (DNS rebinding)', async () => {
  const evil = await post(url, INITIALIZE, { origin: 'http://attacker.example' });
  assert.equal(evil.status, 403);
  const rebound = await post(url, INITIALIZE, { origin: 'http://attacker.example:' + url.port });
  assert.equal(rebound.status, 403);
  const local = await post(url, INITIALIZE, { origin: 'http://localhost:5173' });
  assert.equal(local.status, 200);
});

test('a bearer token is required when given, and off loopback', async () => {
  const tokenFile = join(base, 'token');
  writeFileSync(tokenFile, 's3cret-token\n');
  const guarded = await startServer(['--data-dir', dataDir, 'mcp', '--root', '/ws',
    '--http', '0.0.0.0:0', '--token-file', tokenFile]);
  await assert.rejects(connect(guarded.url), (e) => e.code === 401 && /bearer token is required/.test(e.message));
  await assert.rejects(connect(guarded.url, { authorization: 'Bearer wrong' }), (e) => e.code === 401);
  const { client } = await connect(guarded.url, { authorization: 'Bearer s3cret-token' });
  assert.deepEqual(await client.ping(), {});
  await client.close();

  const open = spawn(nokvBin(), ['--data-dir', dataDir, 'mcp', '--http', '0.0.0.0:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  open.stderr.on('data', (c) => { err += c.toString(); });
  const code = await new Promise((resolve) => open.on('exit', resolve));
  assert.notEqual(code, 0);
  assert.match(err, /needs a bearer token/);
});

test('start-up errors are the error of initialize over HTTP too', async () => {
  const broken = await startServer(['--data-dir', join(base, 'missing'), 'mcp', '--http', '127.0.0.1:0']);
  const failure = await connect(broken.url).then(() => null, (e) => e);
  assert.ok(failure instanceof McpError, String(failure));
  assert.equal(failure.code, -32000);
  assert.match(failure.message, /not a NoKV data directory/);
});

test('SIGTERM stops the server cleanly', async () => {
  const server = await startServer(['--data-dir', join(base, 'missing'), 'mcp', '--http', '127.0.0.1:0']);
  server.child.kill('SIGTERM');
  const { code, signal } = await server.exited;
  assert.equal(signal, null);
  assert.equal(code, 3, 'the exit code of the start-up failure it was serving');
});
