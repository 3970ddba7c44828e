// Generates an experiment-tracking workspace on the local disk, plus the
// ground truth the task oracles use. Deterministic for a given seed.
//
// <dir>/runs/run-NNNN/
//   metadata.json   {name, status, script, owner, gpu, started}
//   params.yaml     lr, batch_size, optimizer, seed, model.{layers,hidden,dropout}
//   metrics.jsonl   {step, name, value} for train_loss, val_loss, val_acc
//   stdout.log      per-step progress lines, checkpoint notes
//   stderr.log      warnings; failed runs end with a Python traceback
//   checkpoints/    ckpt-step-N.pt (binary)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SCRIPTS = ['train.py', 'finetune.py', 'distill.py', 'pretrain.py'];
const OWNERS = ['ana', 'bo', 'chen', 'dee'];
const LRS = [0.1, 0.03, 0.01, 0.003, 0.001, 0.0003];
const BATCHES = [32, 64, 128, 256];
const OPTIMIZERS = ['adam', 'adamw', 'sgd'];
const ERRORS = [
  ['RuntimeError', (r) => `RuntimeError: CUDA out of memory. Tried to allocate ${1 + r.int(8)}.00 GiB`],
  ['FileNotFoundError', (r) => `FileNotFoundError: [Errno 2] No such file or directory: '/data/shard-${r.int(9999)}.tar'`],
  ['ValueError', () => 'ValueError: Expected input batch_size to match target batch_size'],
  ['KeyError', () => "KeyError: 'labels'"],
  ['DistBackendError', () => 'torch.distributed.DistBackendError: NCCL communicator was aborted on rank 3'],
];

// mulberry32: a small, fast, seeded PRNG.
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)] };
}

const round5 = (x) => Number(x.toFixed(5));

function makeRun(r, i, nanRun) {
  const name = `run-${String(i).padStart(4, '0')}`;
  const roll = r.next();
  const status = roll < 0.2 ? 'failed' : roll < 0.25 ? 'running' : 'completed';
  const run = {
    name, status, script: r.pick(SCRIPTS), owner: r.pick(OWNERS), gpu: r.pick(['a100', 'h100']),
    lr: r.pick(LRS), batch_size: r.pick(BATCHES), optimizer: r.pick(OPTIMIZERS),
    layers: r.pick([6, 12, 24]), hidden: r.pick([512, 768, 1024]), dropout: r.pick([0, 0.1, 0.2]),
    seed: r.int(100000),
  };
  run.steps = status === 'completed' ? 60 : status === 'running' ? 30 : 5 + r.int(45);
  const quality = 0.3 + r.next() * 0.7;
  run.metrics = [];
  for (let s = 1; s <= run.steps; s++) {
    const base = 0.4 + quality * 2.5 / Math.sqrt(s);
    run.metrics.push({ step: s, name: 'train_loss', value: round5(base * (0.9 + 0.1 * r.next())) });
    run.metrics.push({ step: s, name: 'val_loss', value: round5(base * (1.0 + 0.15 * r.next())) });
    run.metrics.push({ step: s, name: 'val_acc', value: round5(1 - base / 3 + 0.01 * r.next()) });
  }
  run.valLossMin = Math.min(...run.metrics.filter((m) => m.name === 'val_loss').map((m) => m.value));
  if (status === 'failed') {
    const [type, line] = r.pick(ERRORS);
    run.errorType = type;
    run.errorLine = line(r);
  }
  if (nanRun) run.nanStep = 1 + r.int(run.steps);
  return run;
}

function stdoutLog(run) {
  const lines = [`[${run.name}] ${run.script} on ${run.gpu}, ${run.steps} steps planned`,
    `config: lr=${run.lr} batch_size=${run.batch_size} optimizer=${run.optimizer}`];
  for (let s = 1; s <= run.steps; s++) {
    const t = run.metrics[3 * (s - 1)].value;
    const v = run.metrics[3 * (s - 1) + 1].value;
    lines.push(`step ${s}/${run.steps} train_loss=${t} val_loss=${v} grad_norm=${(1 + (s % 7) / 3).toFixed(3)}`);
    if (run.nanStep === s) lines.push(`WARNING: NaN detected in loss at step ${s}; skipping batch`);
    if (s % 20 === 0) lines.push(`saved checkpoint checkpoints/ckpt-step-${s}.pt`);
  }
  if (run.status === 'completed') lines.push('training complete');
  return lines.join('\n') + '\n';
}

function stderrLog(run) {
  const lines = ['UserWarning: TypedStorage is deprecated', 'UserWarning: grad scaler disabled'];
  if (run.status === 'failed') {
    lines.push('Traceback (most recent call last):', `  File "${run.script}", line 212, in <module>`,
      '    main()', `  File "${run.script}", line 180, in main`, '    loss = step(batch)', run.errorLine);
  }
  return lines.join('\n') + '\n';
}

function writeRun(dir, run, r) {
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  writeFileSync(join(dir, 'metadata.json'), JSON.stringify({
    name: run.name, status: run.status, script: run.script, owner: run.owner, gpu: run.gpu,
    started: `2026-03-${String(1 + (run.seed % 28)).padStart(2, '0')}T10:00:00Z`,
  }, null, 2) + '\n');
  writeFileSync(join(dir, 'params.yaml'), `lr: ${run.lr}\nbatch_size: ${run.batch_size}\n` +
    `optimizer: ${run.optimizer}\nseed: ${run.seed}\nmodel:\n  layers: ${run.layers}\n` +
    `  hidden: ${run.hidden}\n  dropout: ${run.dropout}\n`);
  writeFileSync(join(dir, 'metrics.jsonl'), run.metrics.map((m) => JSON.stringify(m)).join('\n') + '\n');
  writeFileSync(join(dir, 'stdout.log'), stdoutLog(run));
  writeFileSync(join(dir, 'stderr.log'), stderrLog(run));
  for (let s = 20; s <= run.steps; s += 20) {
    const bytes = Buffer.alloc(16384);
    for (let k = 0; k < bytes.length; k += 4) bytes.writeUInt32LE((r.next() * 2 ** 32) >>> 0, k);
    writeFileSync(join(dir, 'checkpoints', `ckpt-step-${s}.pt`), bytes);
  }
}

// Writes `runs` runs under <dir>/runs; returns the ground truth.
export function generate(dir, { runs = 300, seed = 42 } = {}) {
  const r = rng(seed);
  const nanIndex = 1 + Math.floor(runs * 0.37);
  const truth = [];
  for (let i = 1; i <= runs; i++) {
    const run = makeRun(r, i, i === nanIndex);
    writeRun(join(dir, 'runs', run.name), run, r);
    delete run.metrics;
    truth.push(run);
  }
  return truth;
}

// The index rules `nokv index add` gets for this workspace.
export const INDEX_RULES = [
  ['--id', 'runs-meta', '--root', '/runs', '--glob', '*/metadata.json', '--target', 'parent',
    '--field', 'run.status=$.status', '--field', 'run.script=$.script',
    '--field', 'run.owner=$.owner', '--field', 'run.gpu=$.gpu'],
  ['--id', 'runs-params', '--root', '/runs', '--glob', '*/params.yaml', '--target', 'parent',
    '--field', 'param.*=flatten($)'],
  ['--id', 'runs-metrics', '--root', '/runs', '--glob', '*/metrics.jsonl', '--target', 'parent',
    '--field', 'metric.val_loss.min:number=min($.value where $.name == "val_loss")',
    '--field', 'metric.val_acc.max:number=max($.value where $.name == "val_acc")'],
];
