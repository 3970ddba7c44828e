// A Streamable HTTP front for the stdio server, for clients that speak only
// HTTP (the conformance suite):
//
//   node bridge.mjs [--port N] -- nokv --data-dir DIR mcp
//
// Each HTTP session gets its own `nokv mcp` child; messages are forwarded
// line by line, responses routed back by request id and progress
// notifications by their token. A data directory admits one process, so a
// new session first ends the previous session's child.
import http from 'node:http';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import readline from 'node:readline';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

const MAX_BODY = 16 << 20;

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) reject(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

// DNS rebinding protection: Host (and Origin, when sent) must name this machine.
function isLocalRequest(req) {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  if (!LOCAL_HOSTS.has(host)) return false;
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return LOCAL_HOSTS.has(new URL(origin).hostname.replace(/^\[?(::1)\]?$/, '[$1]'));
  } catch {
    return false;
  }
}

function isInitialize(body) {
  return body && !Array.isArray(body) && body.method === 'initialize';
}

// One HTTP session bound to one child process.
async function openSession(command, args, sessions, log) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const progressOwner = new Map();  // progressToken -> request id
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => sessions.set(id, session),
  });
  const session = { transport, child, exited };
  transport.onmessage = (msg) => {
    const token = msg.params?._meta?.progressToken;
    if (msg.method && msg.id !== undefined && token !== undefined) progressOwner.set(token, msg.id);
    child.stdin.write(JSON.stringify(msg) + '\n');
  };
  transport.onclose = () => {
    child.stdin.end();
    if (transport.sessionId) sessions.delete(transport.sessionId);
  };
  readline.createInterface({ input: child.stdout }).on('line', async (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      log(`bridge: non-JSON line from the server: ${line.slice(0, 200)}`);
      return;
    }
    const token = msg.params?.progressToken;
    const related = msg.method === 'notifications/progress' ? progressOwner.get(token) : undefined;
    try {
      await transport.send(msg, related === undefined ? undefined : { relatedRequestId: related });
    } catch (err) {
      log(`bridge: dropped a message: ${err.message}`);
    }
  });
  await transport.start();
  return session;
}

// Starts the bridge; resolves to { url, close() }.
export async function startBridge({ command, args, port = 0, host = '127.0.0.1', log = () => {} }) {
  const sessions = new Map();
  let current = null;  // the newest session: the one holding the data directory
  const server = http.createServer(async (req, res) => {
    try {
      if (!req.url.startsWith('/mcp')) {
        res.writeHead(404).end();
        return;
      }
      if (!isLocalRequest(req)) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('Host or Origin is not local');
        return;
      }
      const text = req.method === 'POST' ? await readBody(req) : '';
      let body;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;  // the transport answers the parse error
      }
      const id = req.headers['mcp-session-id'];
      let session = id ? sessions.get(id) : undefined;
      if (!session && !id && isInitialize(body)) {
        if (current) {
          await current.transport.close();
          await current.exited;
        }
        session = current = await openSession(command, args, sessions, log);
      }
      if (!session) {
        res.writeHead(id ? 404 : 400, { 'content-type': 'application/json' }).end(JSON.stringify({
          jsonrpc: '2.0', id: null,
          error: { code: -32000, message: id ? 'Session not found' : 'No session: send initialize first' },
        }));
        return;
      }
      await session.transport.handleRequest(req, res, body);
    } catch (err) {
      log(`bridge: ${err.stack}`);
      if (!res.headersSent) res.writeHead(500).end();
    }
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  const url = `http://${host}:${server.address().port}/mcp`;
  return {
    url,
    async close() {
      for (const s of sessions.values()) await s.transport.close();
      if (current) {
        current.child.stdin.end();
        await current.exited;
      }
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const dash = argv.indexOf('--');
  if (dash < 0 || dash === argv.length - 1) {
    console.error('usage: node bridge.mjs [--port N] -- nokv --data-dir DIR mcp');
    process.exit(2);
  }
  const portAt = argv.indexOf('--port');
  const port = portAt >= 0 && portAt < dash ? Number(argv[portAt + 1]) : 0;
  const [command, ...args] = argv.slice(dash + 1);
  const bridge = await startBridge({ command, args, port, log: (m) => console.error(m) });
  console.error(`bridge: serving ${bridge.url}`);
}
