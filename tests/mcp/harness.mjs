// Shared by the MCP test suites: where `nokv` is, the schemas of schemas/
// compiled with a JSON Schema 2020-12 validator, and a raw line-level
// client for tests that must send bytes no SDK would.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const SCHEMA_DIR = join(HERE, '..', '..', 'schemas');

export function nokvBin() {
  const bin = process.env.NOKV_BIN;
  if (!bin) throw new Error('NOKV_BIN is not set (run through run.sh)');
  return bin;
}

// { validate(name, value) -> error text or null } over every schemas/*.json.
export function loadSchemas() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const byName = {};
  for (const file of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.json'))) {
    const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8'));
    byName[file] = ajv.compile(schema);
  }
  return {
    names: Object.keys(byName),
    validate(name, value) {
      const fn = byName[name];
      if (!fn) return `no schema ${name}`;
      return fn(value) ? null : ajv.errorsText(fn.errors);
    },
  };
}

// Starts `nokv ARGS` (an `mcp --http HOST:0` server); resolves {child, url,
// exited, stderr(), stop()} once it printed where it listens (port 0: the
// kernel picks one). stop() sends SIGTERM and waits for the exit.
export function startHttpServer(args) {
  const child = spawn(nokvBin(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const stop = async () => {
    child.kill('SIGTERM');
    return exited;
  };
  const server = { child, exited, stderr: () => stderr, stop };
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      stderr += chunk.toString();
      const m = stderr.match(/listening on (http:\/\/\S+\/mcp)/);
      if (m && !server.url) {
        server.url = new URL(m[1].replace('0.0.0.0', '127.0.0.1'));
        resolve(server);
      }
    });
    exited.then(({ code }) => { if (!server.url) reject(new Error(`nokv exited ${code}: ${stderr}`)); });
  });
}

// A `nokv mcp` child spoken to line by line: send() raw lines, next() the
// next stdout line parsed (or the raw text when it is not JSON).
export class RawSession {
  constructor(args) {
    this.child = spawn(nokvBin(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.lines = [];  // unread
    this.all = [];    // every stdout line ever
    this.waiters = [];
    this.stderr = '';
    let buf = '';
    this.child.stdout.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.lines.push(line);
        this.all.push(line);
        this.waiters.shift()?.();
      }
    });
    this.child.stderr.on('data', (chunk) => { this.stderr += chunk.toString('utf8'); });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  send(text) {
    return new Promise((resolve, reject) =>
      this.child.stdin.write(text, (err) => (err ? reject(err) : resolve())));
  }

  async next(timeoutMs = 10000) {
    if (this.lines.length === 0) {
      await new Promise((resolve, reject) => {
        const waiter = () => { clearTimeout(timer); resolve(); };
        const timer = setTimeout(() => {
          // Drop the waiter, or the next line would wake it instead of a live one.
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new Error(`no output within ${timeoutMs} ms; stderr: ${this.stderr}`));
        }, timeoutMs);
        this.waiters.push(waiter);
      });
    }
    const line = this.lines.shift();
    try {
      return JSON.parse(line);
    } catch {
      return line;
    }
  }

  async request(id, method, params) {
    const msg = { jsonrpc: '2.0', id, method };
    if (params !== undefined) msg.params = params;
    await this.send(JSON.stringify(msg) + '\n');
    return this.next();
  }

  async close() {
    this.child.stdin.end();
    return this.exited;
  }
}
