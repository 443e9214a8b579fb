/**
 * The command line as a control client: `--dump-state` (text: tables from the `status` verb; json:
 * the `dump-state` answer), `--reload` (waits, prints what changed), `--stats`, and the exec probes
 * `--health` / `--ready[=INSTANCE]` (exit 0 healthy/ready, 1 not or no daemon). docs/control-protocol.md.
 */
import { request, dumpState, DEFAULT_CONTROL_SOCKET, type ControlResponse } from '../supervisor';
import { KtsError } from '../util/errors';
import { renderView, renderReload, type ReloadAnswer } from './text';
import type { ObsView } from './view';

export type ClientCommand = 'dump-state' | 'reload' | 'stats' | 'health' | 'ready';

export interface ClientOptions {
  cmd: ClientCommand;
  format: 'json' | 'text';
  socket?: string;
  /** --ready=INSTANCE */
  instance?: string;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

/** Exit codes: 0 ok (healthy, ready), 1 refused / unhealthy / unready, 2 no daemon (1 for the probes). */
export async function runClient(o: ClientOptions): Promise<number> {
  const out = o.out ?? process.stdout;
  const err = o.err ?? process.stderr;
  const socket = o.socket ?? DEFAULT_CONTROL_SOCKET;
  const probe = o.cmd === 'health' || o.cmd === 'ready';
  if (o.cmd === 'stats' || (o.cmd === 'dump-state' && o.format === 'json')) return dumpState({ socket, format: o.format, cmd: o.cmd, out, err });
  const req: Record<string, unknown> = { cmd: o.cmd === 'dump-state' ? 'status' : o.cmd };
  if (o.cmd === 'ready' && o.instance) req.instance = o.instance;
  let resp: ControlResponse;
  try {
    resp = await request(socket, req, o.cmd === 'reload' ? 60_000 : probe ? 2000 : 5000);
  } catch (e) {
    const code = e instanceof KtsError ? e.code : 'E_CONTROL_CONNECT';
    err.write(`keepalived-ts: ${code}: ${(e as Error).message}\n`);
    return probe ? 1 : 2;
  }
  if (o.format === 'json') out.write(JSON.stringify(resp, null, 2) + '\n');
  if (!resp.ok) {
    if (o.format !== 'json') err.write(`keepalived-ts: ${resp.error.code}: ${resp.error.message}\n`);
    return 1;
  }
  const d = resp.data as Record<string, unknown>;
  switch (o.cmd) {
    case 'health':
      if (o.format !== 'json') out.write(d.healthy ? 'healthy\n' : `unhealthy: ${(d.reasons as string[]).join('; ')}\n`);
      return d.healthy ? 0 : 1;
    case 'ready':
      if (o.format !== 'json') out.write(d.ready ? 'ready\n' : `not ready: ${(d.reasons as string[]).join('; ')}\n`);
      return d.ready ? 0 : 1;
    case 'reload':
      if (o.format !== 'json') out.write(renderReload(d as ReloadAnswer));
      return (d as ReloadAnswer).applied === false ? 1 : 0;
    default:
      out.write(renderView(d as unknown as ObsView));
      return 0;
  }
}
