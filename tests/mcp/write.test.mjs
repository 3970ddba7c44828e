// The write profile (`nokv mcp --write`) driven by the official MCP
// TypeScript SDK client: two agents (two `nokv mcp` processes on one data
// directory; the second goes through the first's socket) racing with
// expected_generation, edit conflicts and diffs, appends that all survive a
// race, and confinement to --root through symbolic links. Every result is
// checked against schemas/<verb>.output.json or error.json.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { loadSchemas, nokvBin } from './harness.mjs';

const schemas = loadSchemas();
const WRITE_TOOLS = ['write', 'append', 'edit', 'mkdir', 'move', 'remove', 'snapshot'];
let base;
let dataDir;
let alice;  // holds the data directory
let bob;    // reaches it through alice's process

function nokv(...args) {
  return execFileSync(nokvBin(), ['--data-dir', dataDir, ...args], { encoding: 'utf8' });
}

async function connect(name, args) {
  const transport = new StdioClientTransport({
    command: nokvBin(), args: ['--data-dir', dataDir, 'mcp', ...args], stderr: 'pipe',
  });
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  return client;
}

before(async () => {
  base = mkdtempSync(join(tmpdir(), 'nokv-mcp-write-'));
  dataDir = join(base, 'data');
  nokv('init');
  nokv('mkdir', '-p', '/ws/notes', '/outside');
  nokv('ln', '-s', '/outside', '/ws/escape');           // absolute, leads out
  nokv('ln', '-s', '../outside', '/ws/climb');         // relative, leads out
  nokv('ln', '-s', 'notes', '/ws/inside');             // stays in
  alice = await connect('alice', ['--write', '--root', '/ws']);
  bob = await connect('bob', ['--write', '--root', '/ws']);
});

after(async () => {
  await bob?.close();
  await alice?.close();
  if (base) rmSync(base, { recursive: true, force: true });
});

// Calls a tool and checks the result against its schema file and the text block.
async function call(client, name, args) {
  const result = await client.callTool({ name, arguments: args });
  assert.deepEqual(JSON.parse(result.content[0].text), result.structuredContent);
  const expected = result.isError ? 'error.json' : `${name}.output.json`;
  const problem = schemas.validate(expected, result.structuredContent);
  assert.equal(problem, null, `${name} vs ${expected}: ${problem}\n${JSON.stringify(result.structuredContent)}`);
  return result;
}

async function ok(client, name, args) {
  const result = await call(client, name, args);
  assert.ok(!result.isError, `${name} ${JSON.stringify(args)}: ${JSON.stringify(result.structuredContent)}`);
  return result.structuredContent;
}

async function fails(client, name, args, code) {
  const result = await call(client, name, args);
  assert.equal(result.isError, true, `${name} ${JSON.stringify(args)} should fail`);
  assert.equal(result.structuredContent.error.code, code, JSON.stringify(result.structuredContent));
  return result.structuredContent.error;
}

async function text(client, path) {
  const read = await ok(client, 'read', { path, format: 'bytes' });
  assert.equal(read.encoding, 'utf8');
  return read.data;
}

test('tools/list offers the write tools with honest annotations', async () => {
  const { tools } = await alice.listTools();
  assert.deepEqual(tools.map((t) => t.name),
    ['ls', 'stat', 'catalog', 'find', 'aggregate', 'read', 'grep', ...WRITE_TOOLS]);
  const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
  for (const name of WRITE_TOOLS) {
    assert.equal(byName[name].annotations.readOnlyHint, false, name);
    assert.equal(byName[name].annotations.openWorldHint, false, name);
    assert.ok(byName[name].description.length > 10, name);
  }
  for (const name of ['write', 'edit', 'move', 'remove']) {
    assert.equal(byName[name].annotations.destructiveHint, true, name);
  }
  for (const name of ['append', 'mkdir', 'snapshot']) {
    assert.equal(byName[name].annotations.destructiveHint, false, name);
  }
  assert.match(alice.getInstructions(), /expected_generation/);
});

test('without --write the write tools are absent and calling one says how to get it', async () => {
  const reader = await connect('reader', ['--root', '/ws']);
  try {
    const { tools } = await reader.listTools();
    assert.ok(!tools.some((t) => WRITE_TOOLS.includes(t.name)));
    await assert.rejects(reader.callTool({ name: 'write', arguments: { path: '/ws/x', content: 'x' } }),
      (err) => err instanceof McpError && err.code === -32602 && /--write/.test(err.message));
  } finally {
    await reader.close();
  }
});

test('write creates, then replaces only at the expected generation', async () => {
  const made = await ok(alice, 'write', { path: '/ws/notes/plan.md', content: 'step 1\n', expected_generation: 0 });
  assert.equal(made.created, true);
  assert.equal(made.size_bytes, 7);
  assert.equal(made.evidence, `nokv-native:///ws/notes/plan.md@generation:${made.generation}`);
  // Bob sees it at once, through the other process.
  assert.equal(await text(bob, '/ws/notes/plan.md'), 'step 1\n');
  const again = await fails(bob, 'write', { path: '/ws/notes/plan.md', content: 'x', expected_generation: 0 }, 'conflict');
  assert.equal(again.current_generation, made.generation);
  const replaced = await ok(bob, 'write', { path: '/ws/notes/plan.md', content: 'step 2\n', expected_generation: made.generation });
  assert.equal(replaced.created, false);
  assert.equal(replaced.previous_generation, made.generation);
  assert.ok(replaced.generation > made.generation);
  const bytes = await ok(alice, 'write', { path: '/ws/notes/blob.bin', content: Buffer.from([0, 1, 254, 255]).toString('base64'), encoding: 'base64' });
  assert.equal(bytes.size_bytes, 4);
  await fails(alice, 'write', { path: '/ws/notes/blob.bin', content: '***', encoding: 'base64' }, 'invalid_argument');
  await fails(alice, 'write', { path: '/ws/notes', content: 'x' }, 'not_a_file');
});

test('two agents racing with expected_generation: exactly one wins each round', async () => {
  let { generation } = await ok(alice, 'write', { path: '/ws/counter', content: '0' });
  for (let round = 1; round <= 10; round++) {
    const [a, b] = await Promise.all([
      call(alice, 'write', { path: '/ws/counter', content: `alice ${round}`, expected_generation: generation }),
      call(bob, 'write', { path: '/ws/counter', content: `bob ${round}`, expected_generation: generation }),
    ]);
    const winners = [a, b].filter((r) => !r.isError);
    const losers = [a, b].filter((r) => r.isError);
    assert.equal(winners.length, 1, `round ${round}: ${JSON.stringify([a.structuredContent, b.structuredContent])}`);
    const won = winners[0].structuredContent;
    const lost = losers[0].structuredContent.error;
    assert.equal(lost.code, 'conflict');
    assert.equal(lost.current_generation, won.generation, 'the conflict names the winner\'s generation');
    assert.match(lost.message, new RegExp(`generation ${won.generation}`));
    assert.equal(await text(bob, '/ws/counter'), winners[0] === a ? `alice ${round}` : `bob ${round}`);
    generation = won.generation;
  }
});

test('concurrent appends without expected_generation are all kept', async () => {
  await ok(alice, 'write', { path: '/ws/log.txt', content: '' });
  const appends = [];
  for (let i = 0; i < 6; i++) {
    appends.push(ok(i % 2 ? alice : bob, 'append', { path: '/ws/log.txt', content: `line ${i}\n` }));
  }
  await Promise.all(appends);
  const lines = (await text(alice, '/ws/log.txt')).split('\n').filter(Boolean).sort();
  assert.deepEqual(lines, [0, 1, 2, 3, 4, 5].map((i) => `line ${i}`));
  const stat = await ok(alice, 'stat', { path: '/ws/log.txt' });
  const stale = await fails(bob, 'append', { path: '/ws/log.txt', content: 'x', expected_generation: stat.generation - 1 }, 'conflict');
  assert.equal(stale.current_generation, stat.generation);
  const appended = await ok(bob, 'append', { path: '/ws/log.txt', content: 'last\n', expected_generation: stat.generation });
  assert.equal(appended.previous_generation, stat.generation);
  assert.equal(appended.appended_bytes, 5);
  assert.match(await text(alice, '/ws/log.txt'), /last\n$/);
});

test('edit applies exact replacements at a generation and returns a unified diff', async () => {
  const { generation } = await ok(alice, 'write', {
    path: '/ws/params.yaml', content: 'lr: 0.1\nbatch: 32\nepochs: 10\nseed: 1\n',
  });
  const edited = await ok(alice, 'edit', {
    path: '/ws/params.yaml', expected_generation: generation,
    edits: [{ old_text: 'lr: 0.1', new_text: 'lr: 0.05' }, { old_text: 'seed: 1\n', new_text: 'seed: 2\nwarmup: 100\n' }],
  });
  assert.equal(edited.previous_generation, generation);
  assert.equal(edited.replacements, 2);
  assert.equal(await text(bob, '/ws/params.yaml'), 'lr: 0.05\nbatch: 32\nepochs: 10\nseed: 2\nwarmup: 100\n');
  assert.equal(edited.diff, [
    '--- a/ws/params.yaml', '+++ b/ws/params.yaml', '@@ -1,4 +1,5 @@',
    '-lr: 0.1', '+lr: 0.05', ' batch: 32', ' epochs: 10', '-seed: 1', '+seed: 2', '+warmup: 100', ''].join('\n'));
  // Bob edits against the generation he read, after Alice changed it: a
  // conflict naming her generation, and nothing of his is applied.
  const conflict = await fails(bob, 'edit', {
    path: '/ws/params.yaml', expected_generation: generation,
    edits: [{ old_text: 'batch: 32', new_text: 'batch: 64' }],
  }, 'conflict');
  assert.equal(conflict.current_generation, edited.generation);
  assert.match(await text(alice, '/ws/params.yaml'), /batch: 32/);
  // Both edit the same generation at once: one wins, the other conflicts.
  const [a, b] = await Promise.all([
    call(alice, 'edit', { path: '/ws/params.yaml', expected_generation: edited.generation, edits: [{ old_text: 'epochs: 10', new_text: 'epochs: 20' }] }),
    call(bob, 'edit', { path: '/ws/params.yaml', expected_generation: edited.generation, edits: [{ old_text: 'batch: 32', new_text: 'batch: 64' }] }),
  ]);
  assert.equal([a, b].filter((r) => r.isError).length, 1);
  const winner = [a, b].find((r) => !r.isError).structuredContent;
  assert.equal([a, b].find((r) => r.isError).structuredContent.error.current_generation, winner.generation);
  await fails(alice, 'edit', { path: '/ws/params.yaml', expected_generation: winner.generation, edits: [{ old_text: 'nope', new_text: 'x' }] }, 'invalid_argument');
  await fails(alice, 'edit', { path: '/ws/params.yaml', expected_generation: winner.generation, edits: [{ old_text: '0', new_text: '1' }] }, 'invalid_argument');
  const all = await ok(alice, 'edit', { path: '/ws/params.yaml', expected_generation: winner.generation, edits: [{ old_text: ': ', new_text: ' = ', replace_all: true }] });
  assert.equal(all.replacements, 5);
  await fails(alice, 'edit', { path: '/ws/params.yaml', edits: [{ old_text: 'a', new_text: 'b' }] }, 'invalid_argument');
});

test('mkdir, move without replacing, remove directories only when recursive', async () => {
  const made = await ok(alice, 'mkdir', { path: '/ws/exp/a/b' });
  assert.equal(made.created, true);
  assert.equal((await ok(alice, 'mkdir', { path: '/ws/exp/a/b' })).created, false);
  await fails(alice, 'mkdir', { path: '/ws/exp/a/b', parents: false }, 'already_exists');
  await ok(alice, 'write', { path: '/ws/exp/one', content: '1' });
  await ok(alice, 'write', { path: '/ws/exp/two', content: '2' });
  await fails(bob, 'move', { from: '/ws/exp/one', to: '/ws/exp/two' }, 'already_exists');
  assert.equal(await text(alice, '/ws/exp/two'), '2');
  const moved = await ok(bob, 'move', { from: '/ws/exp/one', to: '/ws/exp/two', replace: true });
  assert.equal(moved.kind, 'file');
  assert.equal(await text(alice, '/ws/exp/two'), '1');
  await fails(alice, 'stat', { path: '/ws/exp/one' }, 'not_found');
  await fails(alice, 'remove', { path: '/ws/exp/a' }, 'not_a_file');
  const removed = await ok(alice, 'remove', { path: '/ws/exp', recursive: true });
  assert.equal(removed.kind, 'directory');
  await fails(bob, 'stat', { path: '/ws/exp' }, 'not_found');
});

test('remove with expected_generation keeps a file another agent rewrote', async () => {
  const first = await ok(alice, 'write', { path: '/ws/draft.md', content: 'v1' });
  const rewritten = await ok(bob, 'write', { path: '/ws/draft.md', content: 'v2' });
  const stale = await fails(alice, 'remove', { path: '/ws/draft.md', expected_generation: first.generation }, 'conflict');
  assert.equal(stale.current_generation, rewritten.generation);
  assert.equal(await text(bob, '/ws/draft.md'), 'v2', 'the newer version is kept');
  await ok(alice, 'mkdir', { path: '/ws/dir' });
  await fails(alice, 'remove', { path: '/ws/dir', recursive: true, expected_generation: 1 }, 'invalid_argument');
  const removed = await ok(alice, 'remove', { path: '/ws/draft.md', expected_generation: rewritten.generation });
  assert.equal(removed.generation, rewritten.generation);
  await fails(bob, 'stat', { path: '/ws/draft.md' }, 'not_found');
  // Racing a rewrite: the remove either takes the version it read or is a conflict.
  for (let round = 0; round < 10; round++) {
    const made = await ok(alice, 'write', { path: '/ws/race.md', content: `r${round}` });
    const [gone, newer] = await Promise.all([
      call(alice, 'remove', { path: '/ws/race.md', expected_generation: made.generation }),
      call(bob, 'write', { path: '/ws/race.md', content: `bob ${round}`, expected_generation: made.generation }),
    ]);
    assert.equal([gone, newer].filter((r) => !r.isError).length, 1,
      `round ${round}: ${JSON.stringify([gone.structuredContent, newer.structuredContent])}`);
    if (gone.isError) {
      assert.equal(await text(alice, '/ws/race.md'), `bob ${round}`);
      await ok(alice, 'remove', { path: '/ws/race.md' });
    }
  }
});

test('nothing is written outside --root, through symbolic links included', async () => {
  await fails(alice, 'write', { path: '/outside/x', content: 'x' }, 'permission_denied');
  const escape = await fails(alice, 'write', { path: '/ws/escape/x', content: 'x' }, 'permission_denied');
  assert.match(escape.message, /resolves to \/outside\/x/);
  await fails(alice, 'write', { path: '/ws/climb/x', content: 'x' }, 'permission_denied');
  await fails(alice, 'write', { path: '/ws/escape', content: 'x' }, 'permission_denied');
  await fails(alice, 'append', { path: '/ws/escape/x', content: 'x' }, 'permission_denied');
  await fails(alice, 'mkdir', { path: '/ws/escape/d' }, 'permission_denied');
  await fails(alice, 'snapshot', { action: 'create', name: 'out', path: '/ws/escape' }, 'permission_denied');
  await ok(alice, 'write', { path: '/ws/notes/moveme', content: 'm' });
  await fails(alice, 'move', { from: '/ws/notes/moveme', to: '/ws/escape/moved' }, 'permission_denied');
  await fails(alice, 'move', { from: '/ws/notes/moveme', to: '/outside/moved' }, 'permission_denied');
  await fails(alice, 'write', { path: '/ws/../outside/x', content: 'x' }, 'invalid_argument');
  await fails(alice, 'write', { path: 'ws/x', content: 'x' }, 'invalid_argument');
  await fails(alice, 'remove', { path: '/ws', recursive: true }, 'permission_denied');
  assert.equal(nokv('ls', '/outside').trim(), '', 'nothing reached /outside');
  // A link that stays inside the root is followed; removing a link removes the link.
  const inside = await ok(alice, 'write', { path: '/ws/inside/through-link', content: 'ok' });
  assert.equal(inside.path, '/ws/notes/through-link');
  assert.equal((await ok(alice, 'remove', { path: '/ws/escape' })).kind, 'symlink');
  assert.match(nokv('ls', '/'), /outside/);
});

test('snapshot create and list; the snapshot keeps what was there', async () => {
  const { generation } = await ok(alice, 'write', { path: '/ws/notes/result.txt', content: 'before' });
  const made = (await ok(alice, 'snapshot', { action: 'create', name: 'checkpoint-1' })).snapshot;
  assert.equal(made.root, '/ws');
  await ok(bob, 'write', { path: '/ws/notes/result.txt', content: 'after', expected_generation: generation });
  const old = await ok(bob, 'read', { path: '/ws/notes/result.txt', format: 'bytes', snapshot: 'checkpoint-1' });
  assert.equal(old.data, 'before');
  assert.equal(await text(bob, '/ws/notes/result.txt'), 'after');
  const { snapshots } = await ok(bob, 'snapshot', { action: 'list' });
  assert.ok(snapshots.some((s) => s.name === 'checkpoint-1' && s.as_of === made.as_of));
  await fails(alice, 'snapshot', { action: 'create', name: 'checkpoint-1' }, 'already_exists');
  await fails(alice, 'snapshot', { action: 'delete' }, 'invalid_argument');
});

test('a frozen view refuses --write at start', () => {
  const run = spawnSync(nokvBin(), ['--data-dir', dataDir, 'mcp', '--write', '--snapshot', 'checkpoint-1'],
    { input: '', encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /--write and --snapshot/);
});
