import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConfig, configTestExitCode } from '../../src/config';

// Golden tests pin the typed model of every example and every keepalived.conf(5) snippet.
// Regenerate with UPDATE_GOLDEN=1 after an intended model change, and review the diff.
function repoRoot(): string {
  let d = __dirname;
  while (!fs.existsSync(path.join(d, 'package.json'))) d = path.dirname(d);
  return d;
}
const ROOT = repoRoot();
const GOLDEN = path.join(ROOT, 'test', 'fixtures', 'config', 'golden');
const CONFIG_IDS: Record<string, string> = { 'multiline.conf': 'high' };

export function configFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.conf')) out.push(p);
    }
  };
  walk(path.join(ROOT, 'config', 'examples'));
  walk(path.join(ROOT, 'test', 'fixtures', 'config', 'manpage'));
  return out;
}

function normalized(file: string): string {
  const r = parseConfig(file, { configId: CONFIG_IDS[path.basename(file)] ?? 'main', checkInterfaces: false, checkScripts: false });
  const json = JSON.stringify(r.config, (k, v) => {
    if (typeof v === 'string' && v.startsWith(ROOT + path.sep)) return path.relative(ROOT, v);
    if (k === 'routerId' && v === os.hostname()) return '<hostname>';
    return v;
  }, 2);
  return json + '\n';
}

for (const file of configFiles()) {
  const rel = path.relative(ROOT, file);
  test(`golden model: ${rel}`, () => {
    const r = parseConfig(file, { configId: CONFIG_IDS[path.basename(file)] ?? 'main', checkInterfaces: false, checkScripts: false });
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), [], `${rel} must parse without errors`);
    assert.equal(configTestExitCode(r), 0);
    const g = path.join(GOLDEN, rel.replace(/[\\/]/g, '__').replace(/\.conf$/, '.json'));
    const got = normalized(file);
    if (process.env.UPDATE_GOLDEN === '1') {
      fs.mkdirSync(GOLDEN, { recursive: true });
      fs.writeFileSync(g, got);
    }
    assert.ok(fs.existsSync(g), `missing golden file ${g}; run with UPDATE_GOLDEN=1`);
    assert.equal(got, fs.readFileSync(g, 'utf8'));
  });
}
