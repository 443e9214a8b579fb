/**
 * A strict reader of the Prometheus text exposition format (0.0.4) with promtool-style lint:
 * every family has one HELP (non-empty) and one TYPE before its samples, samples of a family are
 * contiguous, no series repeats, names and labels are well formed, label values use only the three
 * escapes, counters end in _total and nothing else does. Returns the families or throws the first error.
 */
export interface PromSample { name: string; labels: Record<string, string>; value: number }
export interface PromFamily { name: string; type: string; help: string; samples: PromSample[] }

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseLabels(s: string, line: number): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: label without '='`);
    const name = s.slice(i, eq);
    if (!LABEL.test(name) || name.startsWith('__')) throw new Error(`line ${line}: bad label name '${name}'`);
    if (name in out) throw new Error(`line ${line}: duplicate label '${name}'`);
    if (s[eq + 1] !== '"') throw new Error(`line ${line}: label value not quoted`);
    let j = eq + 2;
    let v = '';
    for (;;) {
      if (j >= s.length) throw new Error(`line ${line}: unterminated label value`);
      const c = s[j]!;
      if (c === '"') break;
      if (c === '\\') {
        const n = s[j + 1];
        if (n === '\\') v += '\\';
        else if (n === '"') v += '"';
        else if (n === 'n') v += '\n';
        else throw new Error(`line ${line}: bad escape \\${n}`);
        j += 2;
        continue;
      }
      if (c === '\n') throw new Error(`line ${line}: raw newline in label value`);
      v += c;
      j++;
    }
    out[name] = v;
    i = j + 1;
    if (i < s.length) {
      if (s[i] !== ',') throw new Error(`line ${line}: expected ',' between labels`);
      i++;
    }
  }
  return out;
}

export function parsePromText(text: string): PromFamily[] {
  if (!text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  const fams = new Map<string, PromFamily>();
  const closed = new Set<string>();
  let current: string | null = null;
  const series = new Set<string>();
  const lines = text.split('\n').slice(0, -1);
  lines.forEach((l, idx) => {
    const n = idx + 1;
    if (l === '') return;
    if (l.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(l);
      if (!m) return; // a comment
      const [, kw, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`line ${n}: bad metric name '${name}'`);
      if (closed.has(name)) throw new Error(`line ${n}: family ${name} is not contiguous`);
      if (current && current !== name) closed.add(current);
      current = name;
      const f = fams.get(name) ?? { name, type: '', help: '', samples: [] };
      if (f.samples.length) throw new Error(`line ${n}: ${kw} of ${name} after its samples`);
      if (kw === 'HELP') {
        if (f.help) throw new Error(`line ${n}: second HELP for ${name}`);
        if (!rest.trim()) throw new Error(`line ${n}: empty HELP for ${name}`);
        f.help = rest;
      } else {
        if (f.type) throw new Error(`line ${n}: second TYPE for ${name}`);
        if (!TYPES.has(rest)) throw new Error(`line ${n}: unknown type '${rest}'`);
        f.type = rest;
      }
      fams.set(name, f);
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(l);
    if (!m) throw new Error(`line ${n}: not a sample: ${l}`);
    const [, name, lab, val] = m as unknown as [string, string, string | undefined, string];
    const base = fams.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    const f = fams.get(base);
    if (!f || !f.type || !f.help) throw new Error(`line ${n}: sample of ${name} without HELP and TYPE`);
    if (base !== current) throw new Error(`line ${n}: sample of ${name} outside its family`);
    const value = /^[+-]?Inf$|^NaN$/.test(val) ? Number(val.replace('Inf', 'Infinity')) : Number(val);
    if (val === '' || (Number.isNaN(value) && val !== 'NaN')) throw new Error(`line ${n}: bad value '${val}'`);
    const labels = lab ? parseLabels(lab, n) : {};
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) throw new Error(`line ${n}: duplicate series ${key}`);
    series.add(key);
    f.samples.push({ name, labels, value });
  });
  for (const f of fams.values()) {
    if (!f.type || !f.help) throw new Error(`${f.name}: HELP or TYPE missing`);
    if (f.type === 'counter' && !f.name.endsWith('_total')) throw new Error(`${f.name}: counter metrics should have _total suffix`);
    if (f.type !== 'counter' && f.name.endsWith('_total')) throw new Error(`${f.name}: non-counter metrics should not have _total suffix`);
    if (f.type === 'counter' && f.samples.some((s) => s.value < 0)) throw new Error(`${f.name}: negative counter`);
  }
  return [...fams.values()];
}

/** Metric names listed in docs/metrics.md's table. */
export function documentedMetrics(markdown: string): string[] {
  return [...markdown.matchAll(/^\| `([a-z_:][a-z0-9_:]*)` \| (gauge|counter) \|/gm)].map((m) => m[1]!);
}

/** Metric names a Grafana dashboard's queries use. */
export function dashboardMetrics(dashboard: unknown): string[] {
  const out = new Set<string>();
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      for (const [k, v] of Object.entries(x)) {
        if ((k === 'expr' || k === 'query') && typeof v === 'string') for (const m of v.matchAll(/\b(keepalived_[a-z0-9_]+)\b/g)) out.add(m[1]!);
        else walk(v);
      }
    }
  };
  walk(dashboard);
  return [...out];
}
