// Start-up errors through the protocol: when `nokv mcp` cannot start (no data
// directory, a busy one, an unreachable --server, a bad flag) the official
// SDK client must see why as the JSON-RPC error of its initialize, not a
// closed connection; the reason is on stderr too, ping is still answered,
// and the process exits non-zero once stdin closes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { RawSession, nokvBin } from './harness.mjs';

const base = mkdtempSync(join(tmpdir(), 'nokv-mcp-startup-'));
after(() => rmSync(base, { recursive: true, force: true }));

const SERVER_NOT_STARTED = -32000;

// Connects the SDK client to `nokv ARGS`; resolves to {error, stderr}, with
// stderr read to its end (stdout and stderr are separate pipes: the error
// can arrive before the stderr line that says the same).
async function connectFails(args) {
  let stderr = '';
  const transport = new StdioClientTransport({ command: nokvBin(), args, stderr: 'pipe' });
  const stream = transport.stderr;
  stream?.on('data', (chunk) => { stderr += chunk.toString(); });
  const client = new Client({ name: 'startup-test', version: '1.0.0' });
  const error = await client.connect(transport).then(() => null, (err) => err);
  await client.close();
  if (stream) await finished(stream).catch(() => {});
  assert.ok(error, `connect to nokv ${args.join(' ')} should fail`);
  assert.ok(error instanceof McpError, `an MCP error, not ${error}`);
  assert.equal(error.code, SERVER_NOT_STARTED);
  return { error, stderr };
}

test('a missing data directory is the error of initialize, and on stderr', async () => {
  const missing = join(base, 'nothing-here');
  const { error, stderr } = await connectFails(['--data-dir', missing, 'mcp']);
  assert.match(error.message, /could not start: .*is not a NoKV data directory/);
  assert.match(error.data.reason, /nokv init/);
  assert.match(stderr, /is not a NoKV data directory/);
});

test('a bad flag is the error of initialize', async () => {
  const { error, stderr } = await connectFails(['mcp', '--no-such-flag']);
  assert.match(error.message, /unknown flag --no-such-flag/);
  assert.match(error.data.hint, /--help/);
  assert.match(stderr, /--no-such-flag/);
  const both = await connectFails(['mcp', '--write', '--snapshot', 's']);
  assert.match(both.error.message, /--write and --snapshot/);
});

test('an unreachable --server is the error of initialize', async () => {
  // A socket path nothing listens on: refused every time, unlike a TCP port
  // that another process could take in between.
  const { error } = await connectFails(['--server', `unix:${join(base, 'nobody.sock')}`, 'mcp']);
  assert.match(error.message, /cannot connect/);
  assert.match(error.data.hint, /nokv serve/);
});

test('a busy data directory is the error of initialize', async () => {
  const dataDir = join(base, 'busy');
  execFileSync(nokvBin(), ['--data-dir', dataDir, 'init']);
  // `put -` holds the directory (without serving it) while its stdin is open.
  const holder = spawn(nokvBin(), ['--data-dir', dataDir, 'put', '-', '/held'], { stdio: ['pipe', 'ignore', 'ignore'] });
  const held = new Promise((resolve) => holder.on('exit', resolve));
  try {
    const deadline = Date.now() + 20000;
    for (;;) {  // until the holder has the lock (exit 5: busy)
      const probe = spawnSync(nokvBin(), ['--data-dir', dataDir, '--no-wait', 'mkdir', '-p', '/probe']);
      if (probe.status === 5) break;
      assert.ok(Date.now() < deadline, 'the holder never took the data directory');
    }
    const { error } = await connectFails(['--data-dir', dataDir, '--no-wait', 'mcp']);
    assert.match(error.message, /locked/);
  } finally {
    holder.stdin.end();
    await held;
  }
});

test('in that state ping is answered, every other request fails the same way, exit code kept', async () => {
  const session = new RawSession(['--data-dir', join(base, 'nothing-here'), 'mcp']);
  const init = await session.request(1, 'initialize', {
    protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' },
  });
  assert.equal(init.error.code, SERVER_NOT_STARTED);
  assert.deepEqual((await session.request(2, 'ping')).result, {});
  const call = await session.request(3, 'tools/call', { name: 'ls', arguments: { path: '/' } });
  assert.equal(call.error.code, SERVER_NOT_STARTED);
  assert.match(call.error.message, /not a NoKV data directory/);
  const { code } = await session.close();
  assert.equal(code, 3, 'the CLI exit code for not found');
});
