/**
 * The observability HTTP listener, in its own worker thread: the main thread pushes the view
 * (msgpack) on change and every second, and a heartbeat every 200 ms; scrapes, probes and the
 * status page are answered here from the last view, so no request ever runs on the main loop.
 * A main loop that stops sending heartbeats makes /healthz unhealthy after 1 s.
 */
import * as http from 'node:http';
import { parentPort, workerData, receiveMessageOnPort } from 'node:worker_threads';
import { unpack } from 'msgpackr';
import { MetricsRenderer } from './metrics';
import { answer } from './http';
import { applyTransition, type ObsView, type TransitionPatch } from './view';

export type ToObsWorker = { type: 'view'; buf: Uint8Array } | { type: 'patch'; patch: TransitionPatch } | { type: 'beat' } | { type: 'close' };
export type FromObsWorker = { type: 'listening'; address: string; port: number } | { type: 'error'; code: string; message: string };

interface WorkerInit { host?: string; port: number }

const port = parentPort!;
const init = workerData as WorkerInit;
const metrics = new MetricsRenderer();
let view: ObsView | null = null;
let lastHeard = performance.now();

function onMessage(m: ToObsWorker): void {
  lastHeard = performance.now();
  if (m.type === 'view') {
    view = unpack(m.buf) as ObsView;
  } else if (m.type === 'patch') {
    if (view) applyTransition(view, m.patch);
  } else if (m.type === 'close') {
    server.close();
    server.closeAllConnections();
    port.close();
  }
}
port.on('message', onMessage);

/**
 * Take what the main thread has already posted before answering: a transition is posted before its
 * log line is written, so a request sent after reading the line always sees it.
 */
function drain(): void {
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) onMessage(m.message as ToObsWorker);
}

const server = http.createServer((req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  drain();
  answer(req.url ?? '/', view, performance.now() - lastHeard, metrics).then(
    (a) => res.writeHead(a.status, { 'content-type': a.type, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : a.body),
    (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${e.message}\n`),
  );
});
server.keepAliveTimeout = 5000;
server.on('error', (e: NodeJS.ErrnoException) => {
  port.postMessage({ type: 'error', code: 'E_METRICS_LISTEN', message: e.message } satisfies FromObsWorker);
});
server.listen(init.port, init.host, () => {
  const a = server.address();
  if (a && typeof a === 'object') port.postMessage({ type: 'listening', address: a.address, port: a.port } satisfies FromObsWorker);
});
