// Client roots with the official SDK client: a client that declares the
// roots capability is asked for roots/list, and every tool and resource
// call is confined to those roots intersected with --root; a
// notifications/roots/list_changed makes the server ask again before the
// next call runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { loadSchemas, nokvBin } from './harness.mjs';

const schemas = loadSchemas();
let base;
let dataDir;
let client;
let roots = [{ uri: 'file:///proj/a', name: 'a' }];
let rootsAsked = 0;

function nokv(...args) {
  return execFileSync(nokvBin(), ['--data-dir', dataDir, ...args], { encoding: 'utf8' });
}

before(async () => {
  base = mkdtempSync(join(tmpdir(), 'nokv-mcp-roots-'));
  dataDir = join(base, 'data');
  nokv('init');
  nokv('mkdir', '-p', '/proj/a', '/proj/b', '/other');
  for (const dir of ['/proj/a', '/proj/b', '/other']) {
    execFileSync(nokvBin(), ['--data-dir', dataDir, 'put', '-', `${dir}/notes.txt`], { input: `notes of ${dir}\n` });
  }
  client = new Client({ name: 'roots-test', version: '1.0.0' }, { capabilities: { roots: { listChanged: true } } });
  client.setRequestHandler(ListRootsRequestSchema, () => {
    rootsAsked++;
    return { roots };
  });
  const transport = new StdioClientTransport({
    command: nokvBin(), args: ['--data-dir', dataDir, 'mcp', '--write', '--root', '/proj'], stderr: 'pipe',
  });
  await client.connect(transport);
});

after(async () => {
  await client?.close();
  if (base) rmSync(base, { recursive: true, force: true });
});

async function call(name, args) {
  const result = await client.callTool({ name, arguments: args });
  const expected = result.isError ? 'error.json' : `${name}.output.json`;
  assert.equal(schemas.validate(expected, result.structuredContent), null);
  return result;
}

async function allowed(name, args) {
  const result = await call(name, args);
  assert.ok(!result.isError, `${name} ${JSON.stringify(args)}: ${result.content[0].text}`);
  return result.structuredContent;
}

async function refused(name, args, code = 'not_found') {
  const result = await call(name, args);
  assert.equal(result.isError, true, `${name} ${JSON.stringify(args)} should be refused`);
  assert.equal(result.structuredContent.error.code, code, result.content[0].text);
  return result.structuredContent.error;
}

async function setRoots(next) {
  roots = next;
  const asked = rootsAsked;
  await client.sendRootsListChanged();
  return asked;
}

test('the server asks for roots and confines reads and writes to them', async () => {
  // The first call waits for the answer to the roots/list sent after initialized.
  assert.equal((await allowed('read', { path: '/proj/a/notes.txt', format: 'bytes' })).data, 'notes of /proj/a\n');
  assert.ok(rootsAsked >= 1, 'roots/list was sent');
  const outside = await refused('stat', { path: '/proj/b/notes.txt' });
  assert.match(outside.message, /outside the client's roots \(\/proj\/a\)/);
  await refused('ls', { path: '/proj' });
  await refused('grep', { path: '/proj', pattern: 'notes' });
  await refused('read', { path: '/other/notes.txt' });
  const grep = await allowed('grep', { path: '/proj/a', pattern: 'notes' });
  assert.deepEqual(grep.matches.map((m) => m.path), ['/proj/a/notes.txt']);
  await allowed('write', { path: '/proj/a/new.txt', content: 'mine' });
  await refused('write', { path: '/proj/b/new.txt', content: 'x' }, 'permission_denied');
  await refused('move', { from: '/proj/a/new.txt', to: '/proj/b/new.txt' }, 'permission_denied');
  const { resources } = await client.listResources();
  assert.deepEqual(resources.map((r) => r.uri), ['nokv-native:///proj/a']);
  await assert.rejects(client.readResource({ uri: 'nokv-native:///proj/b/notes.txt' }));
  const res = await client.readResource({ uri: 'nokv-native:///proj/a/notes.txt' });
  assert.equal(res.contents[0].text, 'notes of /proj/a\n');
});

test('roots/list_changed: the next call runs under the new roots', async () => {
  const asked = await setRoots([{ uri: 'file:///proj/b' }, { uri: 'file:///other' }]);
  // No wait: the notification is read before the call, which waits for the answer.
  assert.equal((await allowed('read', { path: '/proj/b/notes.txt', format: 'bytes' })).data, 'notes of /proj/b\n');
  assert.ok(rootsAsked > asked);
  await refused('read', { path: '/proj/a/notes.txt' });
  // /other is a client root but outside --root: the intersection drops it.
  await refused('read', { path: '/other/notes.txt' });
  await allowed('write', { path: '/proj/b/new.txt', content: 'b' });
});

test('a root above --root leaves --root; roots that miss it allow nothing', async () => {
  await setRoots([{ uri: 'file:///' }]);
  await allowed('stat', { path: '/proj/a/notes.txt' });
  await allowed('stat', { path: '/proj/b/notes.txt' });
  await refused('stat', { path: '/other/notes.txt' });
  const { resources } = await client.listResources();
  assert.deepEqual(resources.map((r) => r.uri).sort(), ['nokv-native:///proj/a', 'nokv-native:///proj/b']);

  await setRoots([{ uri: 'file:///other' }]);
  const none = await refused('ls', { path: '/proj' });
  assert.match(none.message, /client's roots leave nothing/);
  await refused('write', { path: '/proj/a/x', content: 'x' }, 'permission_denied');
  assert.deepEqual((await client.listResources()).resources, []);

  // Percent-escaped file URIs name the same paths.
  nokv('mkdir', '-p', '/proj/with space');
  await setRoots([{ uri: 'file:///proj/with%20space' }]);
  await allowed('write', { path: '/proj/with space/f', content: 'x' });
  await refused('stat', { path: '/proj/a/notes.txt' });
});
