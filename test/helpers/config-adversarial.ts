/**
 * Hostile inputs for `keepalived-ts -t` (test/unit/config-adversarial, bench/config-test): a
 * 10,000-line include tree, deep nesting, huge tokens, include cycles through globs, binary garbage.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mulberry32 } from './prng';

export interface Hostile { name: string; main: string }

/** Writes every input under `dir`; returns each one's main file. */
export function writeHostile(dir: string, seed = 1): Hostile[] {
  const out: Hostile[] = [];
  const put = (rel: string, text: string | Buffer): string => {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    return p;
  };

  // 10,000 lines: a main file including 100 files of 100 lines (25 track files of 4 lines each)
  for (let f = 0; f < 100; f++) {
    const lines: string[] = [];
    for (let b = 0; b < 25; b++) lines.push(`vrrp_track_file tf_${f}_${b} {`, `  file /tmp/kts-hostile-${f}-${b}`, '  weight 1', '}');
    put(`tree/conf.d/part${String(f).padStart(3, '0')}.conf`, lines.join('\n') + '\n');
  }
  out.push({ name: 'include tree of 10,000 lines', main: put('tree/keepalived.conf', 'include conf.d/*.conf\n') });

  out.push({ name: 'nesting 100,000 braces deep', main: put('deep/keepalived.conf', 'vrrp_instance VI_1 {\n' + '{\n'.repeat(100_000) + '}\n'.repeat(100_000) + '}\n') });
  out.push({ name: 'nesting 200,000 blocks on one line', main: put('deep1/keepalived.conf', 'a { '.repeat(200_000) + '\n') });

  out.push({ name: 'a 16 MB token', main: put('huge/keepalived.conf', `global_defs {\n  router_id ${'x'.repeat(16 * 1024 * 1024)}\n}\n`) });
  out.push({ name: 'a 16 MB quoted string', main: put('hugeq/keepalived.conf', `vrrp_script s {\n  script "${'y'.repeat(16 * 1024 * 1024)}\n}\n`) });
  out.push({ name: 'a parameter that doubles 40 times', main: put('param/keepalived.conf', '$A0=xx\n' + Array.from({ length: 40 }, (_, i) => `$A${i + 1}=$A${i}$A${i}`).join('\n') + '\nglobal_defs {\n  router_id $A40\n}\n') });

  put('cycle/a.conf', 'include *.conf\nglobal_defs {\n  router_id a\n}\n');
  put('cycle/b.conf', 'include ./*.conf\n');
  out.push({ name: 'include cycle through globs', main: put('cycle/keepalived.conf', 'include *.conf\n') });
  put('cycle2/d/x.conf', 'include ../k*.conf\n');
  out.push({ name: 'include cycle through a glob in another directory', main: put('cycle2/keepalived.conf', 'include d/*.conf\n') });

  const rnd = mulberry32(seed);
  const bytes = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rnd() * 256);
  out.push({ name: '1 MB of binary garbage', main: put('garbage/keepalived.conf', bytes) });
  out.push({ name: 'NUL bytes inside a keyword', main: put('nul/keepalived.conf', Buffer.from('global_defs {\n  router\0_id x\0\n}\n')) });
  return out;
}
