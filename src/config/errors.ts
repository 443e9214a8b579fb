import { KtsError } from '../util/errors';
import type { ConfigErrorCode, Diagnostic, Severity } from './model';

/** A configuration error with its location (STYLE.md §5). The parser throws nothing else. */
export class ConfigError extends KtsError {
  constructor(override readonly code: ConfigErrorCode, readonly file: string, readonly line: number, detail: string) {
    super(code, `${file}:${line}: ${detail}`);
    this.name = 'ConfigError';
  }
}

/** Collects diagnostics while parsing; keepalived reports and carries on. */
export class Diagnostics {
  readonly list: Diagnostic[] = [];
  fatal = false;
  fileError = false;
  /** a keyword lacked its value: keepalived stops there with exit 2 */
  missingParameter = false;
  add(severity: Severity, code: ConfigErrorCode, file: string, line: number, message: string): void {
    this.list.push({ severity, code, file, line, message });
  }
  /** A warning of ours that keepalived does not count (see Diagnostic.ours). */
  note(code: ConfigErrorCode, file: string, line: number, message: string): void {
    this.list.push({ severity: 'warning', code, file, line, message, ours: true });
  }
  error(code: ConfigErrorCode, file: string, line: number, message: string): void {
    this.add('error', code, file, line, message);
  }
  warn(code: ConfigErrorCode, file: string, line: number, message: string): void {
    this.add('warning', code, file, line, message);
  }
}

/** Control characters (from a binary file, say) are shown escaped: one diagnostic is one line. */
function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x08\x0a-\x1f\x7f\u2028\u2029]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${printable(d.file)}:${d.line}: ${d.severity}: ${printable(d.message)} [${d.code}]`;
}
