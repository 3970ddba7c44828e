// Concurrency over a real `nokv mcp` process: stdin is read on its own thread,
// so a ping is answered while a long grep runs; notifications/cancelled stops
// a running grep, gets it no response (MCP: a cancelled request is never
// answered), frees its worker, and the server keeps answering promptly.
//
// The workspace is one large text file (2M lines, ~125 MB) put with
// `nokv put`, so a grep that has to scan all of it takes seconds: 200k lines
// scan in ~0.3 s here, too short to race a ping against reliably.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, writeSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawSession, nokvBin } from './harness.mjs';

const LINES = 2_000_000;
// No line matches, and RE2 has no required literal to skip ahead with: every
// byte of the file is scanned.
const SLOW_GREP = { path: '/big.log', pattern: '(e.{30}[xz]){2}', regex: true };
const WORKERS = 4;  // agent/server.h ServerOptions::worker_threads

let base;
let session;
let grepMs;  // how long one uncancelled SLOW_GREP takes on this machine

function writeBigFile(file) {
  const fd = openSync(file, 'w');
  const chunk = 50_000;
  for (let start = 0; start < LINES; start += chunk) {
    let text = '';
    for (let i = start; i < start + chunk; i++) {
      text += `line ${i} step=${i % 977} loss=${(1 + (i % 101) / 100).toFixed(2)} the quick brown fox jumps over the lazy dog\n`;
    }
    writeSync(fd, text);
  }
  closeSync(fd);
}

// Reads stdout lines until one with `id` arrives; returns it and its arrival
// time. Every line read on the way is kept in `seen`.
const seen = [];
async function waitForId(id, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = seen.find((m) => m.msg?.id === id);
    if (hit) return hit;
    const left = deadline - Date.now();
    if (left <= 0) return null;
    try {
      const msg = await session.next(left);
      seen.push({ msg, at: performance.now() });
    } catch {
      return null;  // nothing more within the time left
    }
  }
}

function send(msg) {
  return session.send(JSON.stringify({ jsonrpc: '2.0', ...msg }) + '\n');
}

function callGrep(id) {
  return send({ id, method: 'tools/call', params: { name: 'grep', arguments: SLOW_GREP } });
}

before(async () => {
  base = mkdtempSync(join(tmpdir(), 'nokv-mcp-cancel-'));
  const dataDir = join(base, 'data');
  const file = join(base, 'big.log');
  writeBigFile(file);
  execFileSync(nokvBin(), ['--data-dir', dataDir, 'init'], { stdio: 'ignore' });
  execFileSync(nokvBin(), ['--data-dir', dataDir, 'put', file, '/big.log'], { stdio: 'ignore' });
  rmSync(file);
  session = new RawSession(['--data-dir', dataDir, 'mcp']);
  const init = await session.request(1, 'initialize', {
    protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'cancel', version: '1' },
  });
  assert.equal(init.result.protocolVersion, '2025-11-25');
  await send({ method: 'notifications/initialized' });
});

after(async () => {
  if (session) {
    const { code } = await session.close();
    assert.equal(code, 0, session.stderr);
  }
  if (base) rmSync(base, { recursive: true, force: true });
});

test('ping is answered while a long grep runs', async () => {
  const t0 = performance.now();
  await callGrep('g1');
  await new Promise((r) => setTimeout(r, 100));
  const pingSent = performance.now();
  await send({ id: 'p1', method: 'ping' });
  const pong = await waitForId('p1', 30000);
  assert.ok(pong, 'no pong');
  assert.deepEqual(pong.msg, { jsonrpc: '2.0', id: 'p1', result: {} });
  const grep = await waitForId('g1', 60000);
  assert.ok(grep, 'no grep result');
  assert.equal(grep.msg.result?.isError, undefined, JSON.stringify(grep.msg));
  assert.deepEqual(grep.msg.result.structuredContent.matches, []);
  assert.equal(grep.msg.result.structuredContent.files_scanned, 1);
  grepMs = grep.at - t0;
  const pongMs = pong.at - pingSent;
  assert.ok(pong.at < grep.at, `pong after the grep result (pong ${pongMs} ms, grep ${grepMs} ms)`);
  assert.ok(grepMs > 500, `grep took only ${grepMs} ms: too short to race a ping against`);
  assert.ok(pongMs < Math.min(500, grepMs / 2), `pong took ${pongMs} ms while the grep took ${grepMs} ms`);
});

test('cancelled greps get no response, free their workers, and the server stays prompt', async () => {
  assert.ok(grepMs, 'needs the first test');
  // Enough greps to occupy every worker: if cancelling did not stop them,
  // the stat below would wait for one of them to finish.
  const ids = Array.from({ length: WORKERS }, (_, i) => `c${i}`);
  for (const id of ids) await callGrep(id);
  await new Promise((r) => setTimeout(r, 200));
  for (const id of ids) {
    await send({ method: 'notifications/cancelled', params: { requestId: id, reason: 'test' } });
  }
  const statSent = performance.now();
  await send({ id: 's1', method: 'tools/call', params: { name: 'stat', arguments: { path: '/big.log' } } });
  const stat = await waitForId('s1', 60000);
  assert.ok(stat, 'no stat result');
  assert.equal(stat.msg.result?.isError, undefined, JSON.stringify(stat.msg));
  const statMs = stat.at - statSent;
  assert.ok(statMs < Math.min(1000, grepMs / 2),
    `stat took ${statMs} ms after cancelling (one grep alone takes ${grepMs} ms)`);
  // Listen past the time the greps would have needed to finish: nothing for
  // them, ever. Then the server still answers.
  const listenMs = Math.min(Math.max(grepMs * 1.5, 1000), 10000);
  await waitForId('never', listenMs);
  const late = seen.filter((m) => ids.includes(m.msg?.id));
  assert.deepEqual(late.map((m) => m.msg), [], 'a cancelled request was answered');
  const pingSent = performance.now();
  await send({ id: 'p2', method: 'ping' });
  const pong = await waitForId('p2', 5000);
  assert.ok(pong, 'no pong after cancelling');
  assert.ok(pong.at - pingSent < 500, `pong took ${pong.at - pingSent} ms`);
});

test('a cancel for an unknown or finished request is ignored', async () => {
  await send({ method: 'notifications/cancelled', params: { requestId: 'g1' } });
  await send({ method: 'notifications/cancelled', params: { requestId: 'nope' } });
  await send({ id: 's2', method: 'tools/call', params: { name: 'stat', arguments: { path: '/big.log' } } });
  const stat = await waitForId('s2', 5000);
  assert.ok(stat, 'no stat result');
  assert.equal(stat.msg.result?.isError, undefined, JSON.stringify(stat.msg));
});
