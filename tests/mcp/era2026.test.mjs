// The 2026-07-28 era, spoken by a client of our own written from the spec
// text (docs/specification/2026-07-28: basic/index, basic/versioning,
// server/discover, server/tools): no initialize; every request names the
// version and the client's capabilities in params._meta; results carry
// resultType; a dual-era server also answers a 2025 client that starts
// with initialize, even on the same connection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawSession, nokvBin } from './harness.mjs';
import { makeWorkspace, RUN_COUNT } from './workspace.mjs';

const VERSION = '2026-07-28';
let workspace;

before(() => { workspace = makeWorkspace(nokvBin()); });
after(() => workspace?.cleanup());

function meta(extra = {}) {
  return {
    'io.modelcontextprotocol/protocolVersion': VERSION,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { name: 'era-test', version: '1' },
    ...extra,
  };
}

async function withServer(fn) {
  const session = new RawSession(['--data-dir', workspace.dataDir, 'mcp']);
  try {
    await fn(session);
  } finally {
    await session.close();
  }
}

test('server/discover, then tools without a handshake', async () => {
  await withServer(async (s) => {
    const discover = await s.request(1, 'server/discover', { _meta: meta() });
    const d = discover.result;
    assert.equal(d.resultType, 'complete');
    assert.ok(d.supportedVersions.includes(VERSION));
    assert.ok(d.supportedVersions.includes('2025-11-25'), 'the handshake versions are named too');
    assert.deepEqual(Object.keys(d.capabilities).sort(), ['resources', 'tools']);
    assert.match(d.instructions, /catalog/);
    assert.equal(typeof d.ttlMs, 'number');
    assert.ok(['public', 'private'].includes(d.cacheScope));
    assert.equal(d._meta['io.modelcontextprotocol/serverInfo'].name, 'nokv');

    const list = (await s.request(2, 'tools/list', { _meta: meta() })).result;
    assert.equal(list.resultType, 'complete');
    assert.equal(list.tools.length, 7);
    assert.equal(list.cacheScope, 'public');

    const call = (await s.request(3, 'tools/call', { name: 'ls', arguments: { path: '/runs' }, _meta: meta() })).result;
    assert.equal(call.resultType, 'complete');
    assert.equal(call.structuredContent.entries.length, RUN_COUNT);
    assert.equal(call._meta['io.modelcontextprotocol/serverInfo'].name, 'nokv');

    const read = (await s.request(4, 'resources/read', { uri: 'nokv-native:///datasets/imagenet-mini/README.md', _meta: meta() })).result;
    assert.equal(read.resultType, 'complete');
    assert.match(read.contents[0].text, /1000 classes/);
    assert.equal(read.ttlMs, 0, 'file contents change: not cached');
  });
});

test('errors of this era: missing fields, an unsupported version, removed methods', async () => {
  await withServer(async (s) => {
    const noCaps = await s.request(1, 'tools/list', { _meta: { 'io.modelcontextprotocol/protocolVersion': VERSION } });
    assert.equal(noCaps.error.code, -32602);
    assert.match(noCaps.error.message, /clientCapabilities/);
    const old = await s.request(2, 'tools/list', { _meta: meta({ 'io.modelcontextprotocol/protocolVersion': '1900-01-01' }) });
    assert.equal(old.error.code, -32022);
    assert.equal(old.error.data.requested, '1900-01-01');
    assert.ok(old.error.data.supported.includes(VERSION));
    const ping = await s.request(3, 'ping', { _meta: meta() });
    assert.equal(ping.error.code, -32601, 'ping is not a method of this era');
    const missing = await s.request(4, 'resources/read', { uri: 'nokv-native:///nope', _meta: meta() });
    assert.equal(missing.error.code, -32602, 'a missing resource is invalid params now');
    assert.equal(missing.error.data.uri, 'nokv-native:///nope');
    const unknownTool = await s.request(5, 'tools/call', { name: 'rm', arguments: {}, _meta: meta() });
    assert.equal(unknownTool.error.code, -32602);
    const bare = await s.request(6, 'server/discover', {});
    assert.equal(bare.error.code, -32602, 'discover needs the _meta fields');
    // A request of neither era before any handshake is still refused.
    const legacy = await s.request(7, 'tools/list', {});
    assert.equal(legacy.error.code, -32600);
  });
});

test('progress for a stateless request', async () => {
  await withServer(async (s) => {
    await s.send(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call',
      params: { name: 'grep', arguments: { path: '/runs', pattern: 'epoch' }, _meta: meta({ progressToken: 'g9' }) } }) + '\n');
    const seen = [];
    for (;;) {
      const line = await s.next();
      if (line.method === 'notifications/progress') {
        assert.equal(line.params.progressToken, 'g9');
        seen.push(line.params.progress);
        continue;
      }
      assert.equal(line.id, 9);
      assert.equal(line.result.resultType, 'complete');
      break;
    }
    assert.ok(seen.length >= 1);
  });
});

test('roots the 2026 way: input_required, then the call again with the answer', async () => {
  await withServer(async (s) => {
    const withRoots = meta({ 'io.modelcontextprotocol/clientCapabilities': { roots: {} } });
    const params = { name: 'ls', arguments: { path: '/runs' }, _meta: withRoots };
    const first = (await s.request(1, 'tools/call', params)).result;
    assert.equal(first.resultType, 'input_required');
    assert.deepEqual(first.inputRequests, { roots: { method: 'roots/list' } });
    assert.equal(first.content, undefined, 'nothing ran yet');
    const inputResponses = { roots: { roots: [{ uri: 'nokv-native:///runs/r001', name: 'r001' }] } };
    const outside = (await s.request(2, 'tools/call', { ...params, inputResponses })).result;
    assert.equal(outside.resultType, 'complete');
    assert.equal(outside.isError, true, 'ls /runs is outside the root the client gave');
    const inside = (await s.request(3, 'tools/call',
      { ...params, arguments: { path: '/runs/r001' }, inputResponses })).result;
    assert.equal(inside.resultType, 'complete');
    assert.ok(!inside.isError, JSON.stringify(inside.structuredContent));
    const read = (await s.request(4, 'resources/read',
      { uri: 'nokv-native:///datasets/imagenet-mini/README.md', _meta: withRoots })).result;
    assert.equal(read.resultType, 'input_required', 'resources/read asks too');
    // An empty list (no folder open) narrows nothing.
    const open = (await s.request(5, 'tools/call', { ...params, inputResponses: { roots: { roots: [] } } })).result;
    assert.ok(!open.isError);
    assert.equal(open.structuredContent.entries.length, RUN_COUNT);
  });
});

test('a dual-era server: a 2025 client on the same connection as a 2026 one', async () => {
  await withServer(async (s) => {
    const init = await s.request(1, 'initialize', {
      protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'old', version: '1' } });
    assert.equal(init.result.protocolVersion, '2025-06-18');
    await s.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
    const legacy = (await s.request(2, 'tools/list', {})).result;
    assert.equal(legacy.resultType, undefined, '2025 results keep their shape');
    assert.equal(legacy.tools.length, 7);
    const modern = (await s.request(3, 'tools/list', { _meta: meta() })).result;
    assert.equal(modern.resultType, 'complete');
    const pong = await s.request(4, 'ping');
    assert.deepEqual(pong.result, {});
  });
});
