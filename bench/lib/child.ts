/**
 * Runs a bench cell (bench/cells/*.ts) in its own Node process: a runtime is chosen once per
 * process (transformers.js binds ONNX Runtime at import, WASM threads are fixed at its first
 * session), and a fresh process gives a clean RSS. The cell reads its input from the JSON file named
 * in argv[2] and writes its result as JSON to the file named in argv[3]; its output lines are passed through.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface CellRun<T> {
  ok: boolean;
  result?: T;
  error?: string;
  wallMs: number;
}

export async function runCell<T>(cellFile: string, input: unknown, opts: { timeoutMs: number; label: string; log: (line: string) => void }): Promise<CellRun<T>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgpt-bench-'));
  const out = path.join(dir, 'result.json');
  const inFile = path.join(dir, 'input.json');
  fs.writeFileSync(inFile, JSON.stringify(input));
  const started = performance.now();
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', cellFile, inFile, out], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env },
    });
    const tail: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        opts.log(`  [${opts.label}] ${line}`);
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(timer);
    const wallMs = performance.now() - started;
    if (timedOut) return { ok: false, error: `${path.basename(cellFile)} (${opts.label}) ran past ${Math.round(opts.timeoutMs / 1000)} s and was stopped`, wallMs };
    if (code !== 0 || !fs.existsSync(out)) {
      return { ok: false, error: `${path.basename(cellFile)} (${opts.label}) exited with code ${code}: ${tail.slice(-3).join(' | ')}`, wallMs };
    }
    return { ok: true, result: JSON.parse(fs.readFileSync(out, 'utf8')) as T, wallMs };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** For cells: parses argv, runs `main`, writes its result; a failure exits non-zero with the message. */
export function cellMain<I, O>(main: (input: I) => Promise<O>): void {
  const [inFile, outFile] = process.argv.slice(2);
  if (!inFile || !outFile) {
    console.error(`usage: ${path.basename(process.argv[1])} INPUT.json OUT.json (run by bench/run.ts)`);
    process.exit(2);
  }
  main(JSON.parse(fs.readFileSync(inFile, 'utf8')) as I).then(
    (result) => {
      fs.writeFileSync(outFile, JSON.stringify(result));
      process.exit(0); // worker threads of ONNX Runtime must not keep the process
    },
    (e: unknown) => {
      console.error(`cell failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(1);
    },
  );
}
