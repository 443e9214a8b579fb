/** keepalived-compatible command line. Placeholder: replaced by the full CLI. */
export async function main(argv: string[]): Promise<number> {
  if (argv.includes('-v') || argv.includes('--version')) {
    process.stdout.write('keepalived-ts 0.1.0\n');
    return 0;
  }
  process.stderr.write('keepalived-ts: not implemented yet\n');
  return 3;
}
