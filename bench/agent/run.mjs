// The agent benchmark (BENCHMARKS.md A1): five researcher tasks on a
// generated experiment-tracking workspace, answered through `nokv mcp` and
// through @modelcontextprotocol/server-filesystem on the same files.
// Reports calls, bytes returned to the agent (the text content of every tool
// result) and whether each answer matches the oracle.
//
//   node run.mjs --nokv /path/to/nokv [--runs 300] [--seed 42] [--append ../../docs/benchmarks.md]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { generate, INDEX_RULES } from './generate.mjs';
import { TASKS } from './tasks.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const opts = { runs: 300, seed: 42 };
  for (let i = 0; i < argv.length; i += 2) opts[argv[i].replace(/^--/, '')] = argv[i + 1];
  if (!opts.nokv) throw new Error('usage: node run.mjs --nokv BIN [--runs N] [--seed S] [--append FILE]');
  opts.runs = Number(opts.runs);
  opts.seed = Number(opts.seed);
  return opts;
}

// An MCP client that counts calls and the bytes of text it gets back.
class MeteredClient {
  constructor(name, command, args, structured) {
    this.transport = new StdioClientTransport({ command, args, stderr: 'ignore' });
    this.client = new Client({ name, version: '1.0.0' });
    this.structured = structured;
    this.reset();
  }
  reset() {
    this.calls = 0;
    this.bytes = 0;
  }
  async connect() {
    await this.client.connect(this.transport);
  }
  async call(name, args) {
    const r = await this.client.callTool({ name, arguments: args }, undefined, { timeout: 600000 });
    this.calls++;
    const text = r.content.filter((c) => c.type === 'text').map((c) => c.text).join('');
    this.bytes += Buffer.byteLength(text);
    if (r.isError) throw new Error(`${name} failed: ${text}`);
    return this.structured ? r.structuredContent : text;
  }
  close() {
    return this.client.close();
  }
}

function buildWorkspace(opts, base) {
  const local = join(base, 'export');
  const dataDir = join(base, 'data');
  const t0 = Date.now();
  const truth = generate(local, opts);
  const nokv = (args) => execFileSync(opts.nokv, ['--data-dir', dataDir, ...args], { stdio: 'pipe' });
  nokv(['init']);
  nokv(['put', join(local, 'runs'), '/runs']);
  for (const rule of INDEX_RULES) nokv(['index', 'add', ...rule]);
  console.error(`workspace: ${opts.runs} runs in ${Date.now() - t0} ms (${base})`);
  return { local, dataDir, truth };
}

async function runTask(task, client, answerFn) {
  client.reset();
  const t0 = Date.now();
  let answer;
  let error;
  try {
    answer = await answerFn();
  } catch (err) {
    error = err.message.slice(0, 300);
  }
  return { calls: client.calls, bytes: client.bytes, ms: Date.now() - t0, answer, error };
}

const kib = (b) => (b < 10240 ? `${(b / 1024).toFixed(1)} KiB` : `${Math.round(b / 1024)} KiB`);

function table(rows, opts) {
  const lines = [
    `Workspace: ${opts.runs} runs (seed ${opts.seed}); bytes = text returned to the agent.`,
    '',
    '| task | nokv calls | nokv bytes | correct | filesystem calls | filesystem bytes | correct | fewer bytes |',
    '|---|---:|---:|:-:|---:|---:|:-:|---:|',
  ];
  let nb = 0;
  let fb = 0;
  for (const r of rows) {
    nb += r.nokv.bytes;
    fb += r.fs.bytes;
    lines.push(`| ${r.id} | ${r.nokv.calls} | ${kib(r.nokv.bytes)} | ${r.nokv.ok ? 'yes' : 'NO'} | ` +
      `${r.fs.calls} | ${kib(r.fs.bytes)} | ${r.fs.ok ? 'yes' : 'NO'} | ${(r.fs.bytes / r.nokv.bytes).toFixed(0)}x |`);
  }
  const calls = (k) => rows.reduce((a, r) => a + r[k].calls, 0);
  lines.push(`| total | ${calls('nokv')} | ${kib(nb)} | ${rows.every((r) => r.nokv.ok) ? 'all' : 'NO'} | ` +
    `${calls('fs')} | ${kib(fb)} | ${rows.every((r) => r.fs.ok) ? 'all' : 'NO'} | ${(fb / nb).toFixed(0)}x |`);
  return lines.join('\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const base = mkdtempSync(join(tmpdir(), 'nokv-agent-bench-'));
  try {
    const ws = buildWorkspace(opts, base);
    const nokv = new MeteredClient('bench-nokv', opts.nokv, ['--data-dir', ws.dataDir, 'mcp'], true);
    const fsServer = join(HERE, 'node_modules', '@modelcontextprotocol', 'server-filesystem', 'dist', 'index.js');
    const fs = new MeteredClient('bench-fs', process.execPath, [fsServer, ws.local], false);
    await nokv.connect();
    await fs.connect();
    const rows = [];
    for (const task of TASKS) {
      const expected = task.oracle(ws.truth);
      const shape = task.compare ?? ((a) => a);
      const n = await runTask(task, nokv, () => task.nokv(nokv));
      const f = await runTask(task, fs, () => task.fs(fs, ws.local));
      n.ok = !n.error && isDeepStrictEqual(shape(n.answer), expected);
      f.ok = !f.error && isDeepStrictEqual(shape(f.answer), expected);
      for (const [who, r] of [['nokv', n], ['filesystem', f]]) {
        if (!r.ok) console.error(`${task.id} ${who}: ${r.error ?? 'wrong answer'}\n  got ${JSON.stringify(r.answer)?.slice(0, 600)}\n  want ${JSON.stringify(expected).slice(0, 600)}`);
      }
      rows.push({ id: task.id, nokv: n, fs: f });
      console.error(`${task.id}: nokv ${n.calls} calls ${n.bytes} B ${n.ms} ms; filesystem ${f.calls} calls ${f.bytes} B ${f.ms} ms`);
    }
    await nokv.close();
    await fs.close();
    const out = table(rows, opts);
    console.log(out);
    if (opts.append) appendFileSync(opts.append, `\n${out}\n`);
    process.exitCode = rows.every((r) => r.nokv.ok) ? 0 : 1;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

await main();
