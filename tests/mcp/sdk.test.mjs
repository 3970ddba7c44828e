// The official MCP TypeScript SDK client (StdioClientTransport) drives
// `nokv mcp` through every tool on the sample workspace; every result is
// checked against schemas/<verb>.output.json (or error.json) with a
// JSON Schema 2020-12 validator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { loadSchemas, nokvBin } from './harness.mjs';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeWorkspace, nokv, RUN_COUNT, FAILED_RUNS } from './workspace.mjs';

const schemas = loadSchemas();
let workspace;
let client;
let stderr = '';

before(async () => {
  workspace = makeWorkspace(nokvBin());
  const transport = new StdioClientTransport({
    command: nokvBin(), args: ['--data-dir', workspace.dataDir, 'mcp'], stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk) => { stderr += chunk.toString(); });
  client = new Client({ name: 'nokv-sdk-test', version: '1.0.0' });
  await client.connect(transport);
});

after(async () => {
  await client?.close();
  workspace?.cleanup();
});

// Calls a tool through the SDK (which also validates structuredContent
// against the tool's outputSchema) and checks the result against the
// verb's own schema file and the text block (last; a read's bytes come
// first as an image or embedded resource block).
async function call(name, args, schemaName = `${name}.output.json`) {
  const result = await client.callTool({ name, arguments: args });
  assert.ok(result.content.length >= 1 && result.content.length <= 2);
  const text = result.content[result.content.length - 1];
  assert.equal(text.type, 'text');
  assert.deepEqual(JSON.parse(text.text), result.structuredContent);
  const expected = result.isError ? 'error.json' : schemaName;
  const problem = schemas.validate(expected, result.structuredContent);
  assert.equal(problem, null, `${name} ${JSON.stringify(args)} vs ${expected}: ${problem}\n` +
    JSON.stringify(result.structuredContent).slice(0, 2000));
  return result;
}

test('handshake: server info, capabilities, instructions', () => {
  assert.equal(client.getServerVersion().name, 'nokv');
  assert.ok(client.getServerCapabilities().tools);
  assert.ok(client.getServerCapabilities().resources);
  assert.match(client.getInstructions(), /catalog/);
});

test('ping', async () => {
  assert.deepEqual(await client.ping(), {});
});

test('tools/list: seven read-only tools with schemas', async () => {
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name),
    ['ls', 'stat', 'catalog', 'find', 'aggregate', 'read', 'grep']);
  for (const tool of tools) {
    assert.equal(tool.inputSchema.type, 'object');
    assert.equal(tool.outputSchema.type, 'object');
    assert.equal(tool.annotations.readOnlyHint, true);
    assert.equal(tool.annotations.openWorldHint, false);
    assert.ok(tool.description.length > 10);
  }
});

test('ls and stat', async () => {
  const ls = (await call('ls', { path: '/runs' })).structuredContent;
  assert.equal(ls.entry_count, RUN_COUNT);
  assert.equal(ls.entries[0].name, 'r001');
  const page = (await call('ls', { path: '/runs', limit: 5 })).structuredContent;
  assert.equal(page.entries.length, 5);
  assert.ok(page.next_cursor);
  const next = (await call('ls', { path: '/runs', limit: 5, cursor: page.next_cursor })).structuredContent;
  assert.equal(next.entries[0].name, 'r006');
  const stat = (await call('stat', { path: '/runs/r001/metadata.json' })).structuredContent;
  assert.equal(stat.kind, 'file');
  assert.match(stat.evidence, /^nokv-native:\/\/\/runs\/r001\/metadata.json@generation:\d+$/);
  await call('stat', { path: '/runs/r001' });
});

test('catalog lists the indexed fields', async () => {
  const cat = (await call('catalog', { path: '/runs', include_facets: true })).structuredContent;
  const ids = cat.fields.map((f) => f.id);
  for (const id of ['run.status', 'param.lr', 'metric.val_loss.min']) assert.ok(ids.includes(id), id);
});

test('find with predicates, sort and projection', async () => {
  const failed = (await call('find', {
    path: '/runs', predicates: [{ field: 'run.status', op: 'eq', value: 'failed' }],
    fields: ['run.status', 'param.lr'],
  })).structuredContent;
  assert.equal(failed.match_count, FAILED_RUNS.length);
  assert.deepEqual(failed.matches.map((m) => m.path).sort(), FAILED_RUNS.map((r) => `/runs/${r}`));
  const best = (await call('find', {
    path: '/runs', sort: [{ field: 'metric.val_loss.min', order: 'asc' }],
    fields: ['metric.val_loss.min', 'param.lr'], limit: 3,
  })).structuredContent;
  assert.equal(best.matches.length, 3);
  const losses = best.matches.map((m) => m.values['metric.val_loss.min']);
  assert.deepEqual([...losses].sort((a, b) => a - b), losses);
});

test('aggregate groups with measures', async () => {
  const agg = (await call('aggregate', {
    path: '/runs', group_by: ['run.status'],
    measures: [{ op: 'count' }, { op: 'min', field: 'metric.val_loss.min' }],
  })).structuredContent;
  assert.deepEqual(agg.group_by, ['run.status'], 'the key names, said once');
  const counts = Object.fromEntries(agg.groups.map((g) => [g.key[0], g.values.count]));
  assert.equal(counts.failed, FAILED_RUNS.length);
  assert.equal(counts.completed, RUN_COUNT - FAILED_RUNS.length);
});

test('grep finds the tracebacks, and read returns the evidence', async () => {
  const grep = (await call('grep', { path: '/runs', pattern: 'CUDA out of memory' })).structuredContent;
  assert.equal(grep.matches.length, FAILED_RUNS.length);
  const m = grep.matches[0];
  assert.match(m.evidence, /@generation:\d+#L\d+$/);
  const read = (await call('read', { evidence: m.evidence })).structuredContent;
  assert.ok(JSON.stringify(read).includes('CUDA out of memory'));
  const regex = (await call('grep', { path: '/runs', pattern: 'loss [0-9]\\.9', regex: true, glob: 'stdout.log' })).structuredContent;
  assert.equal(regex.matches.length, RUN_COUNT);
});

test('read: structured records, numbered lines, bytes', async () => {
  const recs = (await call('read', { path: '/runs/r002/metrics.jsonl', limit: 3 })).structuredContent;
  assert.equal(recs.format, 'structured');
  assert.equal(recs.records.length, 3);
  const text = (await call('read', { path: '/runs/r003/stdout.log', format: 'text' })).structuredContent;
  assert.equal(text.lines[0].line, 1);
  const bytes = await call('read', { path: '/runs/r001/checkpoint.bin', format: 'bytes' });
  assert.equal(bytes.structuredContent.encoding, 'base64');
  // The bytes travel once, as an embedded resource naming the version read.
  assert.equal(bytes.structuredContent.data, undefined);
  assert.equal(bytes.content.length, 2);
  const { resource } = bytes.content[0];
  assert.equal(bytes.content[0].type, 'resource');
  assert.equal(resource.uri, bytes.structuredContent.evidence);
  assert.equal(resource.mimeType, 'application/octet-stream');
  assert.deepEqual([...Buffer.from(resource.blob, 'base64')], [0, 1, 2, 3, 255, 0, 7]);
  // Text stays in the JSON: one block.
  assert.equal((await call('read', { path: '/runs/r003/stdout.log', format: 'bytes' })).content.length, 1);
});

test('verb errors are isError results with a structured error', async () => {
  const missing = await call('stat', { path: '/runs/nope' });
  assert.equal(missing.isError, true);
  assert.equal(missing.structuredContent.error.code, 'not_found');
  const badField = await call('find', { path: '/runs', predicates: [{ field: 'run.stauts', op: 'eq', value: 'x' }] });
  assert.equal(badField.isError, true);
  assert.ok(badField.structuredContent.error.hint ?? badField.structuredContent.error.message);
  const badRegex = await call('grep', { path: '/runs', pattern: '(', regex: true });
  assert.equal(badRegex.isError, true);
});

test('unknown tool is a JSON-RPC invalid params error', async () => {
  await assert.rejects(client.callTool({ name: 'rm', arguments: { path: '/' } }),
    (err) => err instanceof McpError && err.code === -32602);
});

test('progress token is accepted', async () => {
  const seen = [];
  const result = await client.callTool({ name: 'grep', arguments: { path: '/', pattern: 'epoch' } },
    undefined, { onprogress: (p) => seen.push(p) });
  assert.ok(result.structuredContent.matches.length > 0);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i].progress > seen[i - 1].progress);
});

test('resources: list, templates, read a file and an evidence range', async () => {
  const { resources } = await client.listResources();
  assert.deepEqual(resources.map((r) => r.uri).sort(), ['nokv-native:///datasets', 'nokv-native:///runs']);
  const { resourceTemplates } = await client.listResourceTemplates();
  assert.equal(resourceTemplates[0].uriTemplate, 'nokv-native://{+path}');
  const file = await client.readResource({ uri: 'nokv-native:///datasets/imagenet-mini/README.md' });
  assert.match(file.contents[0].text, /1000 classes/);
  const bin = await client.readResource({ uri: 'nokv-native:///runs/r001/checkpoint.bin' });
  assert.equal(Buffer.from(bin.contents[0].blob, 'base64').length, 7);
  await assert.rejects(client.readResource({ uri: 'nokv-native:///nope' }),
    (err) => err instanceof McpError && err.code === -32002);
});

test('stdout carried nothing but protocol (the SDK would have failed to parse)', () => {
  assert.ok(!stderr.includes('Segmentation'), stderr);
});

// Last: it adds /plots, which the listings above do not expect.
test('read: a PNG is image content a multimodal client can show', async () => {
  // A 1x1 PNG, published by another process while this server holds the directory.
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
  const dir = mkdtempSync(join(tmpdir(), 'nokv-png-'));
  try {
    writeFileSync(join(dir, 'loss.png'), Buffer.from(png, 'base64'));
    nokv(nokvBin(), workspace.dataDir, ['put', join(dir, 'loss.png'), '/plots/loss.png']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const image = await call('read', { path: '/plots/loss.png' });
  assert.equal(image.content[0].type, 'image');
  assert.equal(image.content[0].mimeType, 'image/png');
  assert.equal(image.content[0].data, png);
  assert.equal(image.structuredContent.format, 'image');
  assert.equal(image.structuredContent.media_type, 'image/png');
  assert.equal(image.structuredContent.length, Buffer.from(png, 'base64').length);
  assert.equal(image.structuredContent.data, undefined, 'the image is sent once');
  // The resource agrees on the media type (one table for the project).
  const resource = await client.readResource({ uri: 'nokv-native:///plots/loss.png' });
  assert.equal(resource.contents[0].mimeType, 'image/png');
  assert.equal(resource.contents[0].blob, png);
  const stat = (await call('stat', { path: '/plots/loss.png' })).structuredContent;
  assert.equal(stat.body.content_type, 'image/png');
});
