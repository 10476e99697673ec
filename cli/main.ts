import { readFile } from 'node:fs/promises';
import { Analyzer } from '../core/analyzer';
import { fileJson, fileTable } from '../core/presentation/report';

const USAGE = `usage: normlens analyze FILE... [--json]
       normlens probe FILE... [--steps N] [--backend cpu|webgl] [--seed S] [--lr X] [--batch B] [--every K] [--json]`;

/** Parsed command line; `error` set on a usage error. */
export interface CliArgs {
  command: string | null;
  files: string[];
  json: boolean;
  options: Record<string, string>;
  error: string | null;
}

export function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { command: null, files: [], json: false, options: {}, error: null };
  const valued = new Set(['--steps', '--backend', '--seed', '--lr', '--batch', '--every']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') args.json = true;
    else if (a === '-h' || a === '--help') args.error = '';
    else if (valued.has(a)) {
      if (i + 1 >= argv.length) args.error = `${a} needs a value`;
      else args.options[a.slice(2)] = argv[++i];
    } else if (a.startsWith('--')) args.error = `unknown option ${a}`;
    else if (!args.command) args.command = a;
    else args.files.push(a);
  }
  if (args.error === null) {
    if (!args.command) args.error = 'missing command';
    else if (args.command !== 'analyze' && args.command !== 'probe') args.error = `unknown command "${args.command}"`;
    else if (!args.files.length) args.error = 'no files given';
  }
  return args;
}

/** Runs the CLI; resolves to the exit code. Output goes through the given writers (tests capture them). */
export async function main(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const args = parseArgs(argv);
  if (args.error !== null) {
    err(args.error ? `normlens: ${args.error}\n${USAGE}` : USAGE);
    return args.error ? 2 : 0;
  }
  if (args.command === 'probe') {
    // Loaded on demand: `analyze` never pays for TensorFlow.js. require, not import(): under tsx and in the
    // CommonJS bundle alike it resolves the extensionless TypeScript module.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { probeCommand } = require('./probeCommand') as typeof import('./probeCommand');
    return probeCommand(args, out, err);
  }
  const analyzer = await Analyzer.create();
  const results: ReturnType<typeof fileJson>[] = [];
  const tables: string[] = [];
  let unreadable = 0;
  for (const file of args.files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      unreadable++;
      const msg = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
      err(`normlens: cannot read ${file}: ${msg}`);
      results.push(fileJson(file, null, `cannot read: ${msg}`));
      continue;
    }
    const a = analyzer.analyze(file, text);
    results.push(fileJson(file, a, null));
    tables.push(fileTable(file, a));
  }
  out(args.json ? JSON.stringify({ files: results }, null, 2) : tables.join('\n\n'));
  return unreadable ? 2 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2), (s) => process.stdout.write(s + '\n'), (s) => process.stderr.write(s + '\n')).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`normlens: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(2);
    },
  );
}
