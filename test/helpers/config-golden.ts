/**
 * The golden set of keepalived.conf files: config/examples and the keepalived.conf(5) snippets in
 * test/fixtures/config/manpage, with the config id each is read with and where its pinned typed model
 * lives. Used by unit/config-golden (parser) and unit/cli-config (keepalived-ts -d --json).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function repoRoot(): string {
  let d = __dirname;
  while (!fs.existsSync(path.join(d, 'package.json'))) d = path.dirname(d);
  return d;
}
export const ROOT = repoRoot();
export const GOLDEN_DIR = path.join(ROOT, 'test', 'fixtures', 'config', 'golden');
const CONFIG_IDS: Record<string, string> = { 'multiline.conf': 'high' };

/** The -i / configId a golden file is read with. */
export function configIdOf(file: string): string {
  return CONFIG_IDS[path.basename(file)] ?? 'main';
}

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

export function goldenPathOf(file: string): string {
  return path.join(GOLDEN_DIR, path.relative(ROOT, file).replace(/[\\/]/g, '__').replace(/\.conf$/, '.json'));
}

/** The model as pinned: paths relative to the repository, the hostname default of router_id as <hostname>. */
export function normalizedModel(config: unknown): string {
  return JSON.stringify(config, (k, v: unknown) => {
    if (typeof v === 'string' && v.startsWith(ROOT + path.sep)) return path.relative(ROOT, v);
    if (k === 'routerId' && v === os.hostname()) return '<hostname>';
    return v;
  }, 2) + '\n';
}
