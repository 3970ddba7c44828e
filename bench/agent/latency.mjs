// A2 of shared/design/BENCHMARKS.md: tools/call latency p50/p99 of `nokv mcp`
// for stat, find and grep on a 100k-file workspace, measured by the MCP
// Inspector's own load mode (`mcp-inspector --cli --load`), sequential calls
// (--load-concurrency 1), one fresh `nokv mcp` process per verb.
//
//   node latency.mjs --nokv BIN --inspector INSPECTOR_BIN [--runs 1000]
//       [--files-per-run 100] [--calls 2000] [--append ../../docs/benchmarks.md]
//
// The workspace: --runs run directories under /runs, each with
// metadata.json, params.yaml, metrics.jsonl, stdout.log, stderr.log and
// (files-per-run - 5) small eval/*.json and shards/*.log files, written to a
// local directory and put with ONE `nokv put DIR /runs`; then the three index
// rules of the A1 benchmark (generate.mjs INDEX_RULES).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir, loadavg, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { INDEX_RULES } from './generate.mjs';

function parseArgs(argv) {
  const opts = { runs: 1000, 'files-per-run': 100, calls: 2000 };
  for (let i = 0; i < argv.length; i += 2) opts[argv[i].replace(/^--/, '')] = argv[i + 1];
  if (!opts.nokv || !opts.inspector) {
    throw new Error('usage: node latency.mjs --nokv BIN --inspector BIN [--runs N] [--files-per-run N] [--calls N] [--append FILE]');
  }
  for (const k of ['runs', 'files-per-run', 'calls']) opts[k] = Number(opts[k]);
  return opts;
}

const STATUSES = ['completed', 'completed', 'completed', 'completed', 'failed'];
const SCRIPTS = ['train.py', 'finetune.py', 'sweep.py'];
const OWNERS = ['ana', 'bo', 'chen', 'dee'];

function runName(i) {
  return `run-${String(i).padStart(4, '0')}`;
}

// Deterministic, cheap: no randomness needed for latency.
function writeRun(dir, i, extra) {
  mkdirSync(join(dir, 'eval'), { recursive: true });
  mkdirSync(join(dir, 'shards'), { recursive: true });
  const status = STATUSES[i % STATUSES.length];
  writeFileSync(join(dir, 'metadata.json'), JSON.stringify({
    name: runName(i), status, script: SCRIPTS[i % 3], owner: OWNERS[i % 4], gpu: i % 2 ? 'a100' : 'h100',
  }) + '\n');
  writeFileSync(join(dir, 'params.yaml'),
    `lr: ${[0.1, 0.01, 0.001][i % 3]}\nbatch_size: ${32 << (i % 3)}\noptimizer: ${i % 2 ? 'adam' : 'sgd'}\n` +
    `seed: ${i}\nmodel:\n  layers: ${4 + (i % 4) * 2}\n  hidden: ${256 << (i % 3)}\n`);
  const metrics = [];
  for (let step = 10; step <= 100; step += 10) {
    metrics.push(JSON.stringify({ name: 'val_loss', step, value: +(2 / (step / 10 + (i % 97) / 50)).toFixed(5) }));
    metrics.push(JSON.stringify({ name: 'val_acc', step, value: +(0.5 + step / 400 + (i % 89) / 1000).toFixed(5) }));
  }
  writeFileSync(join(dir, 'metrics.jsonl'), metrics.join('\n') + '\n');
  const log = [];
  for (let step = 10; step <= 100; step += 10) log.push(`step ${step} loss ${(2 / step).toFixed(4)}`);
  log.push(status === 'failed' ? 'RuntimeError: CUDA out of memory' : 'checkpoint saved to ckpt-final.pt');
  writeFileSync(join(dir, 'stdout.log'), log.join('\n') + '\n');
  writeFileSync(join(dir, 'stderr.log'), status === 'failed' ? 'Traceback (most recent call last):\nRuntimeError: CUDA out of memory\n' : '');
  for (let k = 0; k < extra; k++) {
    if (k % 2 === 0) {
      writeFileSync(join(dir, 'eval', `step-${String(k).padStart(4, '0')}.json`),
        JSON.stringify({ step: k, accuracy: +((k % 100) / 100).toFixed(2), split: 'val' }) + '\n');
    } else {
      writeFileSync(join(dir, 'shards', `shard-${String(k).padStart(4, '0')}.log`),
        `shard ${k} of ${runName(i)}: 4096 samples, 0 skipped\n`);
    }
  }
}

function timed(fn) {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

// The verbs and arguments measured; each is called --calls times in a row.
function cases(runs) {
  const mid = runName(Math.ceil(runs / 2));
  return [
    { verb: 'stat', args: { path: `/runs/${mid}/metadata.json` }, target: null },
    {
      verb: 'find', target: 2,
      args: {
        path: '/runs', predicates: [{ field: 'run.status', op: 'eq', value: 'completed' }],
        sort: [{ field: 'metric.val_loss.min', order: 'asc' }], limit: 10,
        fields: ['metric.val_loss.min', 'param.lr'],
      },
    },
    { verb: 'grep', args: { path: `/runs/${mid}`, pattern: 'checkpoint saved' }, target: null },
  ];
}

function load(opts, dataDir, c) {
  const out = execFileSync(opts.inspector, [
    '--cli', '--format', 'json', '-q', '--load', '--load-concurrency', '1',
    '--load-requests', String(opts.calls), '--method', 'tools/call', '--tool-name', c.verb,
    '--tool-args-json', JSON.stringify(c.args), opts.nokv, '--data-dir', dataDir, 'mcp',
  ], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out).result;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const base = mkdtempSync(join(tmpdir(), 'nokv-a2-'));
  const local = join(base, 'export');
  const dataDir = join(base, 'data');
  const extra = opts['files-per-run'] - 5;
  const files = opts.runs * opts['files-per-run'];
  const nokv = (args) => execFileSync(opts.nokv, ['--data-dir', dataDir, ...args], { stdio: 'pipe' });
  try {
    const genS = timed(() => { for (let i = 1; i <= opts.runs; i++) writeRun(join(local, 'runs', runName(i)), i, extra); });
    nokv(['init']);
    const putS = timed(() => nokv(['put', join(local, 'runs'), '/runs']));
    const indexS = timed(() => { for (const rule of INDEX_RULES) nokv(['index', 'add', ...rule]); });
    console.error(`workspace: ${opts.runs} runs, ${files} files; generate ${genS.toFixed(1)} s, ` +
      `one nokv put ${putS.toFixed(1)} s, index add x${INDEX_RULES.length} ${indexS.toFixed(1)} s (${base})`);
    const loadBefore = loadavg();
    const rows = [];
    for (const c of cases(opts.runs)) {
      const r = load(opts, dataDir, c);
      if (r.ok !== opts.calls || r.errors || r.toolErrors) {
        throw new Error(`${c.verb}: ${JSON.stringify(r)}`);
      }
      rows.push({ ...c, r });
      console.error(`${c.verb}: ${JSON.stringify(r.latencyMs)} (${r.throughput} calls/s)`);
    }
    const loadAfter = loadavg();
    const fmt = (v) => `${v.toFixed(2)} ms`;
    const lines = [
      `Workspace: ${opts.runs} runs x ${opts['files-per-run']} files = ${files} files ` +
        `(+${opts.runs * 3} directories); one \`nokv put\` of the tree took ${putS.toFixed(1)} s, ` +
        `the three \`nokv index add\` ${indexS.toFixed(1)} s. ` +
        `Machine: ${cpus().length} x ${cpus()[0].model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
        `node ${process.version}; load average ${loadBefore.map((v) => v.toFixed(2)).join(' ')} before, ` +
        `${loadAfter.map((v) => v.toFixed(2)).join(' ')} after.`,
      '',
      '| verb | arguments | calls | p50 | p99 | max | target | met? |',
      '|---|---|---:|---:|---:|---:|---|:-:|',
      ...rows.map(({ verb, args, target, r }) =>
        `| ${verb} | \`${JSON.stringify(args)}\` | ${r.ok} | ${fmt(r.latencyMs.p50)} | ${fmt(r.latencyMs.p99)} | ` +
        `${fmt(r.latencyMs.max)} | ${target ? `p50 <= ${target} ms` : '-'} | ` +
        `${target ? (r.latencyMs.p50 <= target ? 'yes' : 'no') : '-'} |`),
    ];
    const text = lines.join('\n') + '\n';
    process.stdout.write(text);
    if (opts.append) appendFileSync(opts.append, '\n' + text);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

await main();
