// The malformed-input battery over a real `nokv mcp` process: every bad line
// gets the right JSON-RPC error, notifications get nothing, the server keeps
// serving after each, stdout carries only protocol, and EOF exits 0.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawSession, nokvBin } from './harness.mjs';
import { makeWorkspace } from './workspace.mjs';

let workspace;
let session;

before(async () => {
  workspace = makeWorkspace(nokvBin());
  session = new RawSession(['--data-dir', workspace.dataDir, 'mcp']);
});

after(() => workspace?.cleanup());

const init = {
  protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'battery', version: '1' },
};
let nextId = 100;

// Sends `bytes` (a line without its newline), expects one error response
// with `code` and `id`, then checks the server still answers a ping.
async function expectError(bytes, code, id = null) {
  await session.send(Buffer.concat([Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes), Buffer.from('\n')]));
  const reply = await session.next();
  assert.equal(typeof reply, 'object', `not JSON: ${reply}`);
  assert.equal(reply.jsonrpc, '2.0');
  assert.equal(reply.id, id);
  assert.equal(reply.error?.code, code, JSON.stringify(reply));
  assert.ok(reply.error.message.length > 0);
  const pingId = nextId++;
  const pong = await session.request(pingId, 'ping');
  assert.deepEqual(pong, { jsonrpc: '2.0', id: pingId, result: {} });
  return reply;
}

test('before initialize: requests refused, ping and discover answered', async () => {
  const refused = await session.request(1, 'tools/list');
  assert.equal(refused.error.code, -32600);
  assert.match(refused.error.message, /initialize/);
  assert.deepEqual(await session.request(2, 'ping'), { jsonrpc: '2.0', id: 2, result: {} });
  // A discover without the 2026-07-28 _meta fields is malformed, and says
  // how a 2025 client starts instead (era2026.test.mjs has the full era).
  const discover = await session.request(3, 'server/discover', {});
  assert.equal(discover.error.code, -32602);
  assert.match(discover.error.message, /initialize/);
});

test('initialize negotiates the protocol version', async () => {
  const r = await session.request(4, 'initialize', init);
  assert.equal(r.result.protocolVersion, '2025-11-25');
  await session.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
});

test('non-JSON', () => expectError('hello there', -32700));
test('truncated JSON', () => expectError('{"jsonrpc":"2.0","id":9,"method":"pi', -32700));
test('invalid UTF-8', () => expectError(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), -32700));
test('wrong jsonrpc version', () => expectError('{"jsonrpc":"1.0","id":10,"method":"ping"}', -32600, 10));
test('missing jsonrpc', () => expectError('{"id":11,"method":"ping"}', -32600, 11));
test('id null', () => expectError('{"jsonrpc":"2.0","id":null,"method":"ping"}', -32600));
test('id of the wrong type', () => expectError('{"jsonrpc":"2.0","id":[1],"method":"ping"}', -32600));
test('batch array', () => expectError('[{"jsonrpc":"2.0","id":12,"method":"ping"}]', -32600));
test('empty batch', () => expectError('[]', -32600));
test('a bare scalar', () => expectError('42', -32600));
test('method of the wrong type', () => expectError('{"jsonrpc":"2.0","id":13,"method":7}', -32600, 13));
test('unknown method', () => expectError('{"jsonrpc":"2.0","id":14,"method":"tools/destroy"}', -32601, 14));
test('missing params', () => expectError('{"jsonrpc":"2.0","id":15,"method":"tools/call"}', -32602, 15));
test('params of the wrong type', () => expectError('{"jsonrpc":"2.0","id":16,"method":"tools/call","params":[1]}', -32602, 16));
test('unknown tool', () => expectError('{"jsonrpc":"2.0","id":17,"method":"tools/call","params":{"name":"rm"}}', -32602, 17));
test('arguments not an object', () => expectError('{"jsonrpc":"2.0","id":18,"method":"tools/call","params":{"name":"ls","arguments":"/"}}', -32602, 18));
test('resources/read without uri', () => expectError('{"jsonrpc":"2.0","id":19,"method":"resources/read","params":{}}', -32602, 19));
test('deep nesting', () => expectError('['.repeat(100000), -32600));

test('a 10 MiB line is refused and the next line served', async () => {
  const huge = '{"jsonrpc":"2.0","id":20,"method":"ping","params":{"pad":"' + 'x'.repeat(10 << 20) + '"}}';
  await expectError(huge, -32600);
});

test('notifications never get a response', async () => {
  await session.send('{"jsonrpc":"2.0","method":"notifications/unknown"}\n');
  await session.send('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":999}}\n');
  const r = await session.request(21, 'ping');
  assert.deepEqual(r, { jsonrpc: '2.0', id: 21, result: {} });
});

test('bad argument values are isError tool results, not protocol errors', async () => {
  const r = await session.request(22, 'tools/call', { name: 'grep', arguments: { path: '/runs', pattern: '(', regex: true } });
  assert.equal(r.result.isError, true);
  assert.equal(r.result.structuredContent.error.code, 'invalid_argument');
  const m = await session.request(23, 'tools/call', { name: 'ls', arguments: { path: '/no/such' } });
  assert.equal(m.result.isError, true);
  assert.equal(m.result.structuredContent.error.code, 'not_found');
});

test('every stdout line was a compact JSON-RPC message, and EOF exits 0', async () => {
  const { code, signal } = await session.close();
  assert.equal(signal, null);
  assert.equal(code, 0);
  assert.equal(session.lines.length, 0, `unread output: ${session.lines.join('\n')}`);
  for (const line of session.all) {
    const msg = JSON.parse(line);
    assert.equal(msg.jsonrpc, '2.0');
    assert.equal(JSON.stringify(msg), line, 'not compact');
  }
});
