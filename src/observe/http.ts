/**
 * The observability listener's answers, as a function of the last view the main thread pushed and
 * its age. Used by the HTTP worker; pure apart from rendering the metrics.
 *   GET /metrics                 Prometheus text format
 *   GET /healthz                 200 "healthy" | 503 with the reasons
 *   GET /readyz[?instance=NAME]  200 "ready"   | 503 with the reasons
 *   GET /status.json             {view, health, ready}
 *   GET /                        the status page
 */
import { KtsError } from '../util/errors';
import { health, readiness, type ObsView } from './view';
import { STATUS_PAGE } from './status-page';
import type { MetricsRenderer } from './metrics';

export interface HttpAnswer { status: number; type: string; body: string }

const TEXT = 'text/plain; charset=utf-8';

export async function answer(url: string, view: ObsView | null, ageMs: number, metrics: MetricsRenderer): Promise<HttpAnswer> {
  const u = new URL(url, 'http://x');
  if (u.pathname === '/' || u.pathname === '/index.html') return { status: 200, type: 'text/html; charset=utf-8', body: STATUS_PAGE };
  if (!view) return { status: 503, type: TEXT, body: 'no state from the daemon yet\n' };
  switch (u.pathname) {
    case '/metrics':
      metrics.update(view, ageMs);
      return { status: 200, type: metrics.contentType, body: await metrics.render() };
    case '/healthz': {
      const h = health(view, ageMs);
      return { status: h.ok ? 200 : 503, type: TEXT, body: h.ok ? 'healthy\n' : `unhealthy: ${h.reasons.join('; ')}\n` };
    }
    case '/readyz': {
      const r = readiness(view, u.searchParams.get('instance') ?? undefined);
      return { status: r.ok ? 200 : 503, type: TEXT, body: r.ok ? 'ready\n' : `not ready: ${r.reasons.join('; ')}\n` };
    }
    case '/status.json':
      return { status: 200, type: 'application/json', body: JSON.stringify({ view, health: health(view, ageMs), ready: readiness(view) }) };
    default:
      return { status: 404, type: TEXT, body: 'not found\n' };
  }
}

/** `ADDR:PORT`, `[V6]:PORT` or `:PORT` (all addresses). */
export function parseListen(s: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new KtsError('E_CONFIG_METRICS_LISTEN', `metrics listen address '${s}': expected ADDR:PORT, [ADDR6]:PORT or :PORT`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}
