// Five researcher tasks: an oracle over the generator's ground truth, and
// the calls an efficient agent makes through each MCP server. Every answer
// is plain data so it can be compared with the oracle exactly.
const EXCEPTION = /^([A-Za-z_.]*?)([A-Za-z_]+(Error|Exception)): /;

function exceptionType(line) {
  const m = EXCEPTION.exec(line);
  return m ? m[2] : null;
}

function topK(rows, k) {
  return rows.sort((a, b) => a.loss - b.loss || a.run.localeCompare(b.run)).slice(0, k);
}

function leaderboard(rows) {
  const by = {};
  for (const { script, loss } of rows) (by[script] ??= []).push(loss);
  return Object.keys(by).sort().map((script) => ({
    script, runs: by[script].length, best: Math.min(...by[script]),
    avg: Number((by[script].reduce((a, b) => a + b, 0) / by[script].length).toFixed(6)),
  }));
}

function countBy(values) {
  const counts = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([type, count]) => ({ type, count }));
}

// --- server-filesystem helpers: its results are text -----------------------

// read_multiple_files output: "path:\ncontent\n" blocks joined by "\n---\n".
function splitFiles(text, paths) {
  const out = {};
  const blocks = text.split('\n---\n');
  blocks.forEach((block, i) => {
    const prefix = `${paths[i]}:\n`;
    out[paths[i]] = block.startsWith(prefix) ? block.slice(prefix.length) : '';
  });
  return out;
}

function parseParams(yaml) {
  const out = {};
  for (const line of yaml.split('\n')) {
    const m = /^(\s*)([a-z_]+):\s*(.*)$/.exec(line);
    if (m && m[3] !== '') out[m[2]] = isNaN(Number(m[3])) ? m[3] : Number(m[3]);
  }
  return out;
}

function minValLoss(jsonl) {
  let best = Infinity;
  for (const line of jsonl.split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line);
    if (r.name === 'val_loss' && r.value < best) best = r.value;
  }
  return best;
}

async function fsRuns(fs, root) {
  const listing = await fs.call('list_directory', { path: `${root}/runs` });
  return listing.split('\n').filter((l) => l.startsWith('[DIR] ')).map((l) => l.slice(6)).sort();
}

async function fsReadAll(fs, root, runs, file) {
  const paths = runs.map((r) => `${root}/runs/${r}/${file}`);
  const text = await fs.call('read_multiple_files', { paths });
  const files = splitFiles(text, paths);
  return Object.fromEntries(runs.map((r, i) => [r, files[paths[i]]]));
}

async function fsMetadata(fs, root, runs) {
  const raw = await fsReadAll(fs, root, runs, 'metadata.json');
  return Object.fromEntries(Object.entries(raw).map(([r, t]) => [r, JSON.parse(t)]));
}

const runOf = (path) => path.split('/')[2];

// --- the tasks --------------------------------------------------------------

export const TASKS = [
  {
    id: 'T1 top-5',
    question: 'The five completed runs with the lowest val_loss, with lr, batch_size and optimizer.',
    oracle: (truth) => topK(truth.filter((t) => t.status === 'completed')
      .map((t) => ({ run: t.name, loss: t.valLossMin, lr: t.lr, batch_size: t.batch_size, optimizer: t.optimizer })), 5),
    async nokv(mcp) {
      await mcp.call('catalog', { path: '/runs' });
      const r = await mcp.call('find', {
        path: '/runs', predicates: [{ field: 'run.status', op: 'eq', value: 'completed' }],
        sort: [{ field: 'metric.val_loss.min', order: 'asc' }], limit: 5,
        fields: ['metric.val_loss.min', 'param.lr', 'param.batch_size', 'param.optimizer'],
      });
      return r.matches.map((m) => ({ run: runOf(m.path), loss: m.values['metric.val_loss.min'],
        lr: m.values['param.lr'], batch_size: m.values['param.batch_size'], optimizer: m.values['param.optimizer'] }));
    },
    async fs(fs, root) {
      const runs = await fsRuns(fs, root);
      const meta = await fsMetadata(fs, root, runs);
      const done = runs.filter((r) => meta[r].status === 'completed');
      const metrics = await fsReadAll(fs, root, done, 'metrics.jsonl');
      const top = topK(done.map((r) => ({ run: r, loss: minValLoss(metrics[r]) })), 5);
      const params = await fsReadAll(fs, root, top.map((t) => t.run), 'params.yaml');
      return top.map((t) => {
        const p = parseParams(params[t.run]);
        return { run: t.run, loss: t.loss, lr: p.lr, batch_size: p.batch_size, optimizer: p.optimizer };
      });
    },
  },
  {
    id: 'T2 leaderboard',
    question: 'Per script, over completed runs: run count, best and average min val_loss.',
    oracle: (truth) => leaderboard(truth.filter((t) => t.status === 'completed')
      .map((t) => ({ script: t.script, loss: t.valLossMin }))),
    async nokv(mcp) {
      await mcp.call('catalog', { path: '/runs' });
      const r = await mcp.call('aggregate', {
        path: '/runs', predicates: [{ field: 'run.status', op: 'eq', value: 'completed' }],
        group_by: ['run.script'], measures: [{ op: 'count', as: 'runs' },
          { op: 'min', field: 'metric.val_loss.min', as: 'best' },
          { op: 'avg', field: 'metric.val_loss.min', as: 'avg' }],
      });
      return r.groups.map((g) => ({ script: g.key[r.group_by.indexOf('run.script')], runs: g.values.runs,
        best: g.values.best, avg: Number(g.values.avg.toFixed(6)) }))
        .sort((a, b) => a.script.localeCompare(b.script));
    },
    async fs(fs, root) {
      const runs = await fsRuns(fs, root);
      const meta = await fsMetadata(fs, root, runs);
      const done = runs.filter((r) => meta[r].status === 'completed');
      const metrics = await fsReadAll(fs, root, done, 'metrics.jsonl');
      return leaderboard(done.map((r) => ({ script: meta[r].script, loss: minValLoss(metrics[r]) })));
    },
  },
  {
    id: 'T3 cohort logs',
    question: "For chen's failed runs: the exception line that ended each run.",
    oracle: (truth) => truth.filter((t) => t.owner === 'chen' && t.status === 'failed')
      .map((t) => ({ run: t.name, line: t.errorLine })),
    async nokv(mcp) {
      await mcp.call('catalog', { path: '/runs', field_prefix: 'run.' });
      const cohort = await mcp.call('find', { path: '/runs', limit: 500, predicates: [
        { field: 'run.owner', op: 'eq', value: 'chen' }, { field: 'run.status', op: 'eq', value: 'failed' }] });
      const want = new Set(cohort.matches.map((m) => runOf(m.path)));
      const g = await mcp.call('grep', { path: '/runs', glob: 'stderr.log', regex: true, case_sensitive: true,
        pattern: '^[A-Za-z_.]*(Error|Exception): ', limit: 1000, max_per_file: 1 });
      return g.matches.filter((m) => want.has(runOf(m.path)))
        .map((m) => ({ run: runOf(m.path), line: m.text })).sort((a, b) => a.run.localeCompare(b.run));
    },
    async fs(fs, root) {
      const runs = await fsRuns(fs, root);
      const meta = await fsMetadata(fs, root, runs);
      const cohort = runs.filter((r) => meta[r].owner === 'chen' && meta[r].status === 'failed');
      const logs = await fsReadAll(fs, root, cohort, 'stderr.log');
      return cohort.map((r) => ({ run: r, line: logs[r].trimEnd().split('\n').pop() }));
    },
  },
  {
    id: 'T4 audit',
    question: 'Which run logged a NaN loss, at which step? Cite the log line.',
    oracle: (truth) => truth.filter((t) => t.nanStep).map((t) => ({ run: t.name, step: t.nanStep })),
    async nokv(mcp) {
      const g = await mcp.call('grep', { path: '/runs', pattern: 'NaN detected in loss', glob: 'stdout.log' });
      return g.matches.map((m) => ({ run: runOf(m.path), step: Number(/at step (\d+)/.exec(m.text)[1]),
        evidence: m.evidence }));
    },
    async fs(fs, root) {
      // server-filesystem searches names only: read every log.
      const runs = await fsRuns(fs, root);
      const logs = await fsReadAll(fs, root, runs, 'stdout.log');
      const out = [];
      for (const r of runs) {
        const lines = logs[r].split('\n');
        lines.forEach((line, i) => {
          const m = /NaN detected in loss at step (\d+)/.exec(line);
          if (m) out.push({ run: r, step: Number(m[1]), evidence: `${root}/runs/${r}/stdout.log:${i + 1}` });
        });
      }
      return out;
    },
    compare: (answer) => answer.map(({ run, step }) => ({ run, step })),
  },
  {
    id: 'T5 triage',
    question: 'Failed runs grouped by exception type, most frequent first.',
    oracle: (truth) => countBy(truth.filter((t) => t.status === 'failed').map((t) => t.errorType)),
    async nokv(mcp) {
      const g = await mcp.call('grep', { path: '/runs', glob: 'stderr.log', regex: true, case_sensitive: true,
        pattern: '^[A-Za-z_.]*(Error|Exception): ', limit: 1000, max_per_file: 1 });
      return countBy(g.matches.map((m) => exceptionType(m.text)));
    },
    async fs(fs, root) {
      const runs = await fsRuns(fs, root);
      const meta = await fsMetadata(fs, root, runs);
      const failed = runs.filter((r) => meta[r].status === 'failed');
      const logs = await fsReadAll(fs, root, failed, 'stderr.log');
      return countBy(failed.map((r) => exceptionType(logs[r].trimEnd().split('\n').pop())));
    },
  },
];
