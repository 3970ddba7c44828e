// Builds the sample workspace the MCP tests run against, with the `nokv` CLI
// only (init, put, index add), in a fresh data directory.
//
// Twelve runs under /runs (metadata.json, params.yaml, metrics.jsonl,
// stdout.log; three failed with a CUDA OOM traceback), a dataset README and a
// small binary checkpoint, plus three index rules over /runs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RUN_COUNT = 12;
export const FAILED_RUNS = ['r003', 'r007', 'r011'];

function runName(i) {
  return `r${String(i).padStart(3, '0')}`;
}

function writeRun(dir, i) {
  const name = runName(i);
  const failed = FAILED_RUNS.includes(name);
  const lr = [0.1, 0.01, 0.001][i % 3];
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'metadata.json'), JSON.stringify({
    name, status: failed ? 'failed' : 'completed',
    script: i % 2 ? 'train.py' : 'finetune.py', owner: i % 4 ? 'ana' : 'bo',
  }, null, 2) + '\n');
  writeFileSync(join(dir, 'params.yaml'),
    `lr: ${lr}\nbatch_size: ${32 * (1 + (i % 2))}\nmodel:\n  layers: ${4 + (i % 3) * 2}\n  dropout: 0.1\n`);
  const metrics = [];
  for (let step = 1; step <= 5; step++) {
    metrics.push({ name: 'train_loss', step, value: +(2 / (step + i / 10)).toFixed(4) });
    metrics.push({ name: 'val_loss', step, value: +(2.2 / (step + i / 12)).toFixed(4) });
  }
  writeFileSync(join(dir, 'metrics.jsonl'), metrics.map((m) => JSON.stringify(m)).join('\n') + '\n');
  const log = [`starting ${name}`, 'epoch 1 loss 1.9', 'epoch 2 loss 1.2'];
  if (failed) {
    log.push('Traceback (most recent call last):', '  File "train.py", line 88, in <module>',
      'RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB');
  } else {
    log.push('done');
  }
  writeFileSync(join(dir, 'stdout.log'), log.join('\n') + '\n');
}

export function nokv(bin, dataDir, args) {
  return execFileSync(bin, ['--data-dir', dataDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

// Creates the workspace; returns { dataDir, cleanup }.
export function makeWorkspace(bin) {
  const base = mkdtempSync(join(tmpdir(), 'nokv-mcp-'));
  const dataDir = join(base, 'data');
  const src = join(base, 'src');
  for (let i = 1; i <= RUN_COUNT; i++) writeRun(join(src, 'runs', runName(i)), i);
  mkdirSync(join(src, 'datasets', 'imagenet-mini'), { recursive: true });
  writeFileSync(join(src, 'datasets', 'imagenet-mini', 'README.md'),
    '# imagenet-mini\n\n1000 classes, 50 images each.\nLicense: research only.\n');
  writeFileSync(join(src, 'runs', 'r001', 'checkpoint.bin'), Buffer.from([0, 1, 2, 3, 255, 0, 7]));
  nokv(bin, dataDir, ['init']);
  nokv(bin, dataDir, ['put', join(src, 'runs'), '/runs']);
  nokv(bin, dataDir, ['put', join(src, 'datasets'), '/datasets']);
  nokv(bin, dataDir, ['index', 'add', '--id', 'runs-meta', '--root', '/runs',
    '--glob', '*/metadata.json', '--target', 'parent',
    '--field', 'run.status=$.status', '--field', 'run.script=$.script', '--field', 'run.owner=$.owner']);
  nokv(bin, dataDir, ['index', 'add', '--id', 'runs-params', '--root', '/runs',
    '--glob', '*/params.yaml', '--target', 'parent', '--field', 'param.*=flatten($)']);
  nokv(bin, dataDir, ['index', 'add', '--id', 'runs-metrics', '--root', '/runs',
    '--glob', '*/metrics.jsonl', '--target', 'parent',
    '--field', 'metric.val_loss.min:number=min($.value where $.name == "val_loss")']);
  return { dataDir, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}
