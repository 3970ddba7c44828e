// The MCP conformance suite (HTTP only) against `nokv mcp --http`, the
// server's own Streamable HTTP transport. server-initialize, ping and
// tools-list must pass; scenarios that need the suite's fixture tools are in
// conformance-baseline.yml, and the suite itself fails the run on a new
// failure or on a baseline entry that started passing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HERE, nokvBin, startHttpServer } from './harness.mjs';
import { makeWorkspace } from './workspace.mjs';

let workspace;
let server;
let results;

before(async () => {
  workspace = makeWorkspace(nokvBin());
  results = mkdtempSync(join(tmpdir(), 'nokv-conformance-'));
  server = await startHttpServer(['--data-dir', workspace.dataDir, 'mcp', '--http', '127.0.0.1:0']);
});

after(async () => {
  await server?.stop();
  workspace?.cleanup();
  if (results) rmSync(results, { recursive: true, force: true });
});

// Runs the suite.
function conformance(...args) {
  return new Promise((resolve) => {
    const child = spawn(join(HERE, 'node_modules', '.bin', 'conformance'),
      ['server', '--url', server.url.href, '--output-dir', results, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { out += c; });
    child.on('exit', (code) => resolve({ code, out }));
  });
}

function summary(out) {
  const i = out.indexOf('=== SUMMARY ===');
  return i >= 0 ? out.slice(i) : out.slice(-4000);
}

for (const scenario of ['server-initialize', 'ping', 'tools-list']) {
  test(`${scenario} passes`, async () => {
    const r = await conformance('--scenario', scenario);
    assert.equal(r.code, 0, summary(r.out));
    assert.match(r.out, /Passed: (\d+)\/\1, 0 failed/);
    assert.match(r.out, new RegExp(`\\[${scenario}\\] \\S*SUCCESS`));
  });
}

test('the active suite matches conformance-baseline.yml', async () => {
  const r = await conformance('--expected-failures', join(HERE, 'conformance-baseline.yml'));
  console.log(summary(r.out));
  assert.equal(r.code, 0, summary(r.out));
});
