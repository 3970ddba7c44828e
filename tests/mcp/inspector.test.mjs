// The MCP Inspector (2.x, CLI mode) against `nokv mcp`, over stdio and over
// `nokv mcp --http`: tools/list with --strict (schema portability lint) has
// no error and no finding beyond the committed baseline, and tools/call,
// resources/list and resources/read work.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HERE, nokvBin, startHttpServer } from './harness.mjs';
import { makeWorkspace } from './workspace.mjs';

let workspace;
let server;  // nokv mcp --http on the same data directory (a second holder goes through the first)
before(async () => {
  workspace = makeWorkspace(nokvBin());
  server = await startHttpServer(['--data-dir', workspace.dataDir, 'mcp', '--http', '127.0.0.1:0']);
});
after(async () => {
  await server?.stop();
  workspace?.cleanup();
});

// The inspector's own spawnSync: it blocks this process's event loop, which
// the HTTP server (a child process) does not need.
function run(target, args) {
  const r = spawnSync(join(HERE, 'node_modules', '.bin', 'inspector'), ['--cli', ...args, ...target],
    { encoding: 'utf8', timeout: 60000, env: { ...process.env, MCP_CATALOG_PATH: join(workspace.dataDir, '..', 'catalog.json') } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const TRANSPORTS = {
  stdio: () => [nokvBin(), '--data-dir', workspace.dataDir, 'mcp'],
  http: () => [server.url.href],
};

// "Warning|Error <tool> <path>" for each finding the strict lint printed.
function findings(stderr) {
  const out = [];
  const re = /^(Warning|Error): tool "([^"]+)"\n\s+Path: (\S+)/gm;
  for (let m; (m = re.exec(stderr));) out.push(`${m[1]} ${m[2]} ${m[3]}`);
  return out;
}

for (const [transport, target] of Object.entries(TRANSPORTS)) {
  const inspector = (...args) => run(target(), args);

  test(`${transport}: tools/list --strict: no errors, no findings beyond the baseline`, () => {
    const r = inspector('--strict', '--method', 'tools/list');
    assert.equal(r.code, 0, r.stderr);
    const tools = JSON.parse(r.stdout).tools;
    assert.equal(tools.length, 7);
    const baseline = JSON.parse(readFileSync(join(HERE, 'inspector-baseline.json'), 'utf8')).findings;
    const found = findings(r.stderr);
    assert.ok(found.every((f) => !f.startsWith('Error')), found.join('\n'));
    const unexpected = found.filter((f) => !baseline.includes(f));
    assert.deepEqual(unexpected, [], `new findings:\n${r.stderr}`);
    const stale = baseline.filter((f) => !found.includes(f));
    if (stale.length) console.log(`inspector-baseline.json has stale entries (remove them): ${stale.join('; ')}`);
    // With no findings at all the inspector prints no summary.
    if (found.length > 0) assert.match(r.stderr, /0 errors/);
  });

  test(`${transport}: tools/call through the inspector`, () => {
    const r = inspector('--method', 'tools/call', '--tool-name', 'ls', '--tool-args-json', '{"path":"/runs"}');
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.structuredContent.path, '/runs');
    assert.ok(!result.isError);
  });

  test(`${transport}: resources through the inspector`, () => {
    const list = inspector('--method', 'resources/list');
    assert.equal(list.code, 0, list.stderr);
    assert.ok(JSON.parse(list.stdout).resources.some((r) => r.uri === 'nokv-native:///runs'));
    const read = inspector('--method', 'resources/read', '--uri', 'nokv-native:///runs/r001/metadata.json');
    assert.equal(read.code, 0, read.stderr);
    assert.match(JSON.parse(read.stdout).contents[0].text, /"status"/);
  });
}
