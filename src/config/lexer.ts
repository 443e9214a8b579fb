/**
 * keepalived.conf(5) reader: files -> logical lines of tokens.
 * Handles comments (# and ! outside quotes), include/includer/m/w/b/a (globs and csh braces,
 * relative to the including file), @id / @^id conditional lines, $NAME=value parameters
 * (multi-line with trailing backslashes, recursive ${NAME} / $NAME expansion, the pre-defined
 * _PWD _INSTANCE _RANDOM _HASH _BANG), ~SEQ/~SEQx/~LST generators, and quoted strings with escapes.
 * Never throws: problems become diagnostics.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Diagnostics } from './errors';

export interface Token {
  text: string;
  /** true when any part of the token was quoted (so `{`/`}` inside it are not braces) */
  quoted: boolean;
}

export interface Line {
  file: string;
  line: number;
  tokens: Token[];
}

export interface LexOptions {
  configId: string;
  /** -e / --all-config: every include behaves as includea (a missing file is an error) */
  includeCheck?: boolean;
  /** maximum lines produced in total (generators can explode); default 2,000,000 */
  maxLines?: number;
}

const MAX_DEPTH = 32;
/** No keepalived.conf line is anywhere near this long; tokenizing one that is costs seconds. */
const MAX_LINE = 1_000_000;
const MAX_INCLUDE_DEPTH = 32;

/** Removes a comment that starts with # or ! outside quotes. */
export function stripComment(s: string): string {
  let q: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === '\\') i++;
      else if (c === q) q = null;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '#' || c === '!') return s.slice(0, i);
  }
  return s;
}

/** Splits a line into tokens as keepalived does: whitespace separates, quotes group, braces stand alone. */
export function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    while (i < n && /\s/.test(s[i])) i++;
    if (i >= n) break;
    if (s[i] === '{' || s[i] === '}') {
      out.push({ text: s[i], quoted: false });
      i++;
      continue;
    }
    let text = '';
    let quoted = false;
    while (i < n && !/\s/.test(s[i])) {
      const c = s[i];
      if (c === '{' || c === '}') break;
      if (c === '"' || c === "'") {
        quoted = true;
        i++;
        while (i < n && s[i] !== c) {
          if (s[i] === '\\' && i + 1 < n) {
            const [ch, used] = unescape(s, i + 1);
            text += ch;
            i += 1 + used;
          } else {
            text += s[i++];
          }
        }
        i++; // closing quote (or end)
        continue;
      }
      if (c === '\\' && i + 1 < n) {
        text += s[i + 1];
        i += 2;
        continue;
      }
      text += c;
      i++;
    }
    out.push({ text, quoted });
  }
  return out;
}

/** Shell-like escapes inside quotes: \a \b \E \f \n \r \t \v \nnn \xXX \cC; \C is C. */
function unescape(s: string, i: number): [string, number] {
  const c = s[i];
  switch (c) {
    case 'a': return ['\x07', 1];
    case 'b': return ['\b', 1];
    case 'E': return ['\x1b', 1];
    case 'f': return ['\f', 1];
    case 'n': return ['\n', 1];
    case 'r': return ['\r', 1];
    case 't': return ['\t', 1];
    case 'v': return ['\v', 1];
    case 'x': {
      const m = /^[0-9a-fA-F]+/.exec(s.slice(i + 1));
      if (!m) return ['x', 1];
      return [String.fromCharCode(parseInt(m[0].slice(-2), 16)), 1 + m[0].length];
    }
    case 'c': {
      if (i + 1 >= s.length) return ['c', 1];
      return [String.fromCharCode(s.charCodeAt(i + 1) & 0x1f), 2];
    }
    default: {
      const m = /^[0-7]{1,3}/.exec(s.slice(i));
      if (m) return [String.fromCharCode(parseInt(m[0], 8) & 0xff), m[0].length];
      return [c, 1];
    }
  }
}

/** csh-style brace expansion: a{b,c}d -> abd acd (nested allowed). */
export function braceExpand(p: string): string[] {
  let depth = 0;
  let start = -1;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (p[i] === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        const inner = p.slice(start + 1, i);
        const parts: string[] = [];
        let d = 0;
        let last = 0;
        for (let j = 0; j < inner.length; j++) {
          if (inner[j] === '{') d++;
          else if (inner[j] === '}') d--;
          else if (inner[j] === ',' && d === 0) {
            parts.push(inner.slice(last, j));
            last = j + 1;
          }
        }
        parts.push(inner.slice(last));
        if (parts.length < 2) continue;
        const pre = p.slice(0, start);
        const post = p.slice(i + 1);
        const res: string[] = [];
        for (const part of parts) for (const e of braceExpand(pre + part + post)) res.push(e);
        return res.slice(0, 10000);
      }
    }
  }
  return [p];
}

function globToRegex(seg: string): RegExp {
  let r = '^';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*') r += '[^/]*';
    else if (c === '?') r += '[^/]';
    else if (c === '[') {
      const j = seg.indexOf(']', i + 2);
      if (j < 0) r += '\\[';
      else {
        let cls = seg.slice(i + 1, j).replace(/\\/g, '\\\\');
        if (cls.startsWith('!')) cls = '^' + cls.slice(1);
        r += '[' + cls + ']';
        i = j;
      }
    } else r += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(r + '$');
}

function hasGlob(s: string): boolean {
  return /[*?[]/.test(s);
}

/** Expands a glob pattern (absolute) to the sorted list of existing paths. */
export function globFiles(pattern: string): string[] {
  const results: string[] = [];
  for (const p of braceExpand(pattern)) {
    const abs = path.resolve(p);
    const segs = abs.split('/').filter((x) => x !== '');
    let cur = ['/'];
    for (const seg of segs) {
      const next: string[] = [];
      for (const dir of cur) {
        if (!hasGlob(seg)) {
          const cand = path.join(dir, seg);
          if (fs.existsSync(cand)) next.push(cand);
          continue;
        }
        let entries: string[] = [];
        try {
          entries = fs.readdirSync(dir);
        } catch {
          continue;
        }
        const re = globToRegex(seg);
        for (const e of entries.sort()) if (re.test(e) && (seg.startsWith('.') || !e.startsWith('.'))) next.push(path.join(dir, e));
      }
      cur = next;
      if (cur.length === 0) break;
    }
    for (const c of cur) if (!results.includes(c)) results.push(c);
  }
  return results;
}

/** keepalived's include types: r read errors, m missing file, w no match for a wildcard, b brace parts. */
const INCLUDE_FLAGS: Record<string, string> = { include: '', includer: 'r', includem: 'rm', includew: 'rmw', includeb: 'rb', includea: 'rmwb' };
const INCLUDE_WORDS = new Set(['include', 'includer', 'includem', 'includew', 'includeb', 'includea']);

export class Lexer {
  readonly lines: Line[] = [];
  readonly files: string[] = [];
  private readonly params = new Map<string, string>();
  private readonly includeStack: string[] = [];
  private readonly maxLines: number;
  private overflow = false;

  constructor(private readonly opts: LexOptions, private readonly diags: Diagnostics) {
    this.maxLines = opts.maxLines ?? 2_000_000;
  }

  /** Reads the main file. Returns false if it cannot be read (keepalived: cannot run). */
  readMain(file: string): boolean {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      this.diags.error('E_CONFIG_FILE', file, 0, `cannot read configuration file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      this.diags.fatal = true;
      return false;
    }
    this.readText(path.resolve(file), file, text);
    return true;
  }

  /** Lexes configuration text as if read from `file` (display name `shown`). */
  readText(absFile: string, shown: string, text: string): void {
    this.files.push(shown);
    this.includeStack.push(absFile);
    try {
      this.readLines(absFile, shown, text);
    } finally {
      this.includeStack.pop();
    }
  }

  private readLines(absFile: string, shown: string, text: string): void {
    const raw = text.split(/\r?\n/);
    for (let i = 0; i < raw.length; i++) {
      if (this.overflow) return;
      const lineNo = i + 1;
      if (raw[i].length > MAX_LINE) {
        this.diags.error('E_CONFIG_RANGE', shown, lineNo, `line of ${raw[i].length} characters is longer than ${MAX_LINE} - ignored`);
        continue;
      }
      let s = stripComment(raw[i]);
      const def = /^\s*(@\^?\S+\s+)?\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(s);
      if (def && /\\\s*$/.test(def[3])) {
        // multi-line parameter definition: each line but the last ends with '\'
        const parts: string[] = [];
        let cur = def[3].replace(/\\\s*$/, '');
        if (cur.trim() !== '') parts.push(cur);
        while (i + 1 < raw.length) {
          i++;
          const nxt = stripComment(raw[i]);
          if (nxt.trim() === '') continue;
          if (/\\\s*$/.test(nxt)) {
            cur = nxt.replace(/\\\s*$/, '');
            if (cur.trim() !== '') parts.push(cur);
          } else {
            parts.push(nxt);
            break;
          }
        }
        s = `${def[1] ?? ''}$${def[2]}=${parts.join('\n')}`;
      }
      this.processLine(s, absFile, shown, lineNo, 0);
    }
  }

  private processLine(text: string, absFile: string, shown: string, lineNo: number, depth: number): void {
    if (this.overflow) return;
    if (depth > MAX_DEPTH) {
      this.diags.error('E_CONFIG_SYNTAX', shown, lineNo, 'parameter/generator expansion nested too deeply');
      return;
    }
    let s = text.trim();
    if (s === '') return;
    // conditional configuration
    if (s.startsWith('@')) {
      const m = /^@(\^?)(\S*)\s*([\s\S]*)$/.exec(s);
      if (!m) return;
      const matches = m[2] === this.opts.configId;
      if ((m[1] === '^') === matches) return;
      s = m[3].trim();
      if (s === '') return;
    }
    // parameter definition
    const def = /^\$([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(s);
    if (def) {
      this.params.set(def[1], def[2].trim() === '' && !def[2].includes('\n') ? '' : def[2].replace(/^[ \t]+/, ''));
      return;
    }
    // generators
    if (s.startsWith('~SEQ') || s.startsWith('~LST')) {
      this.generator(s, absFile, shown, lineNo, depth);
      return;
    }
    // parameter substitution
    const expanded = this.expand(s, absFile, shown, lineNo);
    if (expanded !== s) {
      if (expanded.includes('\n')) {
        for (const part of expanded.split('\n')) this.processLine(part, absFile, shown, lineNo, depth + 1);
        return;
      }
      if (/^\s*(@|\$[A-Za-z_][A-Za-z0-9_]*=|~SEQ|~LST)/.test(expanded)) {
        this.processLine(expanded, absFile, shown, lineNo, depth + 1);
        return;
      }
      s = expanded;
    }
    const inc = /^(include[rmwba]?)(?:\s+([\s\S]*))?$/.exec(s);
    if (inc && INCLUDE_WORDS.has(inc[1])) {
      // file patterns keep their csh braces: split on whitespace only, quotes removed
      const args = (inc[2] ?? '').split(/\s+/).filter((x) => x !== '').map((x) => ({ text: x.replace(/^(["'])(.*)\1$/, '$2'), quoted: false }));
      this.include(inc[1], args, absFile, shown, lineNo);
      return;
    }
    const tokens = tokenize(s);
    if (tokens.length === 0) return;
    if (this.lines.length >= this.maxLines) {
      this.overflow = true;
      this.diags.error('E_CONFIG_RANGE', shown, lineNo, `configuration expands to more than ${this.maxLines} lines; rest ignored`);
      return;
    }
    this.lines.push({ file: shown, line: lineNo, tokens });
  }

  private expand(s: string, absFile: string, shown: string, lineNo: number): string {
    let cur = s;
    for (let pass = 0; pass < 64; pass++) {
      let changed = false;
      const next = cur.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)((?:\s+[^}\s]+)*)\s*\}|\$([A-Za-z_][A-Za-z0-9_]*)(?=\s|$)/g, (whole, braced: string | undefined, extra: string | undefined, bare: string | undefined) => {
        const name = braced ?? bare ?? '';
        const v = this.lookup(name, (extra ?? '').trim(), absFile);
        if (v === undefined) return whole;
        changed = true;
        return v;
      });
      if (!changed) return next;
      if (next.length > 1_000_000) {
        this.diags.error('E_CONFIG_SYNTAX', shown, lineNo, 'parameter substitution produces a line longer than 1,000,000 characters');
        return '';
      }
      cur = next;
    }
    this.diags.error('E_CONFIG_SYNTAX', shown, lineNo, 'parameter substitution does not terminate (recursive definition?)');
    return '';
  }

  private lookup(name: string, extra: string, absFile: string): string | undefined {
    if (this.params.has(name)) return this.params.get(name);
    switch (name) {
      case '_PWD': return path.dirname(absFile);
      case '_INSTANCE': return this.opts.configId;
      case '_HASH': return '#';
      case '_BANG': return '!';
      case '_RANDOM': {
        const [a, b] = extra.split(/\s+/).filter((x) => x !== '').map((x) => Number(x));
        const min = Number.isInteger(a) && a >= 0 ? a : 0;
        const max = Number.isInteger(b) && b >= min ? b : 32767;
        return String(min + Math.floor(Math.random() * (max - min + 1)));
      }
      default: return undefined;
    }
  }

  private generator(s: string, absFile: string, shown: string, lineNo: number, depth: number): void {
    const m = /^~(SEQx?|LST)\(/.exec(s);
    if (!m) {
      this.diags.error('E_CONFIG_SYNTAX', shown, lineNo, `invalid generator '${s.slice(0, 20)}'`);
      return;
    }
    // find the matching ')'
    let d = 0;
    let end = -1;
    for (let i = m[0].length - 1; i < s.length; i++) {
      if (s[i] === '(') d++;
      else if (s[i] === ')') {
        d--;
        if (d === 0) {
          end = i;
          break;
        }
      }
    }
    if (end < 0) {
      this.diags.error('E_CONFIG_SYNTAX', shown, lineNo, `~${m[1]}: missing ')'`);
      return;
    }
    const spec = this.expand(s.slice(m[0].length, end), absFile, shown, lineNo);
    const rest = s.slice(end + 1);
    if (m[1] === 'LST') {
      const parsed = parseLst(spec);
      if (!parsed) {
        this.diags.error('E_CONFIG_SYNTAX', shown, lineNo, `~LST: expected (var, value, ...) or ({v1, v2}, {a, b}, ...), got '(${spec})'`);
        return;
      }
      for (const vals of parsed.values) {
        if (this.overflow) return;
        parsed.vars.forEach((v, k) => this.params.set(v, vals[k] ?? ''));
        this.processLine(rest, absFile, shown, lineNo, depth + 1);
      }
      return;
    }
    const parts = spec.split(',').map((x) => x.trim());
    const hex = m[1] === 'SEQx';
    const nums = parts.slice(1).map((x) => (/^-?0x[0-9a-f]+$/i.test(x) ? (x.startsWith('-') ? -parseInt(x.slice(3), 16) : parseInt(x, 16)) : /^-?\d+$/.test(x) ? parseInt(x, 10) : NaN));
    const v = parts[0];
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v ?? '') || nums.length < 1 || nums.length > 3 || nums.some((x) => !Number.isFinite(x))) {
      this.diags.error('E_CONFIG_SYNTAX', shown, lineNo, `~${m[1]}: expected (var, [start, [step,]] end) with integers, got '(${spec})'`);
      return;
    }
    let start: number;
    let step: number;
    let stop: number;
    if (nums.length === 1) {
      stop = nums[0];
      start = stop >= 0 ? 1 : -1;
      step = stop >= start ? 1 : -1;
    } else if (nums.length === 2) {
      [start, stop] = nums;
      step = stop >= start ? 1 : -1;
    } else {
      [start, step, stop] = nums;
    }
    if (step === 0 || (step > 0 && start > stop && false)) {
      this.diags.error('E_CONFIG_SYNTAX', shown, lineNo, `~${m[1]}: step must not be 0`);
      return;
    }
    const count = Math.floor((stop - start) / step) + 1;
    if (count > 1_000_000) {
      this.diags.error('E_CONFIG_RANGE', shown, lineNo, `~${m[1]}: more than 1,000,000 iterations`);
      return;
    }
    for (let x = start; step > 0 ? x <= stop : x >= stop; x += step) {
      if (this.overflow) return;
      this.params.set(v, hex ? (x < 0 ? '-' + (-x).toString(16) : x.toString(16)) : String(x));
      this.processLine(rest, absFile, shown, lineNo, depth + 1);
    }
  }

  private include(kind: string, args: Token[], absFile: string, shown: string, lineNo: number): void {
    if (args.length === 0) {
      this.diags.error('E_CONFIG_SYNTAX', shown, lineNo, `${kind}: expected a file name or pattern`);
      return;
    }
    if (this.includeStack.length >= MAX_INCLUDE_DEPTH) {
      this.diags.error('E_CONFIG_INCLUDE_LOOP', shown, lineNo, `${kind}: includes nested more than ${MAX_INCLUDE_DEPTH} deep`);
      return;
    }
    const dir = path.dirname(absFile);
    for (const a of args) {
      const pattern = path.isAbsolute(a.text) ? a.text : path.join(dir, a.text);
      const isPattern = hasGlob(pattern) || braceExpand(pattern).length > 1;
      const files = isPattern ? globFiles(pattern) : fs.existsSync(pattern) ? [pattern] : [];
      if (files.length === 0) {
        // keepalived 2.2.7 open_glob_file: a missing file counts only for includem/w/a (or -e); a
        // pattern that matches nothing only for includew/a; plain include and includer just say so
        const flags = this.opts.includeCheck ? 'rmwb' : INCLUDE_FLAGS[kind] ?? '';
        const counts = hasGlob(pattern) ? flags.includes('w') : flags.includes('m') || (flags.includes('b') && isPattern);
        const msg = hasGlob(pattern) ? `${kind}: No config files matched '${a.text}'.` : `${kind}: Config files missing '${a.text}'.`;
        if (counts) {
          this.diags.error('E_CONFIG_INCLUDE_MISSING', shown, lineNo, msg);
          this.diags.fileError = true;
        } else if (!hasGlob(pattern)) this.diags.note('E_CONFIG_INCLUDE_MISSING', shown, lineNo, msg);
        else if (!fs.existsSync(path.dirname(pattern.split(/[*?[]/)[0] + 'x'))) this.diags.note('E_CONFIG_INCLUDE_MISSING', shown, lineNo, `${kind}: Config files missing '${a.text}'.`);
        continue;
      }
      for (const f of files) {
        let real = f;
        try {
          real = fs.realpathSync(f);
        } catch {
          /* keep as is */
        }
        if (this.includeStack.includes(real)) {
          this.diags.error('E_CONFIG_INCLUDE_LOOP', shown, lineNo, `${kind}: '${a.text}' includes itself (${[...this.includeStack, real].join(' -> ')})`);
          continue;
        }
        let text: string;
        try {
          if (fs.statSync(real).isDirectory()) continue;
          text = fs.readFileSync(real, 'utf8');
        } catch (e) {
          this.diags.error('E_CONFIG_INCLUDE_MISSING', shown, lineNo, `${kind}: cannot read '${f}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
          continue;
        }
        this.readText(real, f, text);
      }
    }
  }
}

/** ~LST spec: "var, a, b" or "{v1, v2}, {a, b}, {c, d}". */
function parseLst(spec: string): { vars: string[]; values: string[][] } | undefined {
  const items: string[] = [];
  let d = 0;
  let last = 0;
  for (let i = 0; i < spec.length; i++) {
    if (spec[i] === '{') d++;
    else if (spec[i] === '}') d--;
    else if (spec[i] === ',' && d === 0) {
      items.push(spec.slice(last, i).trim());
      last = i + 1;
    }
  }
  items.push(spec.slice(last).trim());
  if (items.length < 2) return undefined;
  const unbrace = (x: string): string[] => (x.startsWith('{') && x.endsWith('}') ? x.slice(1, -1).split(',').map((y) => y.trim()) : [x]);
  const vars = unbrace(items[0]);
  if (vars.some((v) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v))) return undefined;
  return { vars, values: items.slice(1).map(unbrace) };
}
