import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('npm run complete -- --batch (end to end on the embedded model)', function () {
  this.timeout(180_000);

  it('prints one JSON line per position, in order, with a reason wherever there is no completion', () => {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'lgpt-batch-'));
    try {
      fs.mkdirSync(path.join(workspace, 'src'));
      // On disk the file is empty: the completion must come from the buffers given in "text".
      fs.writeFileSync(path.join(workspace, 'src', 'math.ts'), '');
      const buffer = 'export function add(a: number, b: number): number {\n  return a + b;\n}\n\nexport function sub(a: number, b: number): number {\n  return a';
      const positions = [
        { file: 'src/math.ts', line: 6, column: 11, text: buffer },
        // A NUL next to the cursor: binary text, never sent to the model.
        { file: path.join(workspace, 'src', 'math.ts'), line: 1, column: 3, text: 'ab\u0000cd\n' },
      ];
      const input = path.join(workspace, 'positions.jsonl');
      fs.writeFileSync(input, positions.map((p) => JSON.stringify(p)).join('\n') + '\n');

      const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'complete.ts'), '--batch', input, '--workspace', workspace], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      assert.equal(run.status, 0, run.stderr);
      const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(lines.length, 2);
      for (const [i, out] of lines.entries()) {
        assert.deepEqual([out.file, out.line, out.column], [positions[i].file, positions[i].line, positions[i].column]);
        assert.equal(typeof out.latencyMs, 'number');
        if (out.completion === null) assert.match(String(out.reason), /\S/, `position ${i + 1} has no completion and no reason`);
        else {
          assert.equal(typeof out.completion, 'string');
          assert.notEqual((out.completion as string).trim(), '', 'a completion is never empty (empty is null with a reason)');
          assert.equal(out.reason, undefined);
        }
      }
      assert.equal(lines[1].completion, null);
      assert.match(String(lines[1].reason), /the model did not run \(binary text at the cursor/);
    } finally {
      fs.rmSync(workspace, { recursive: true, force: true });
    }
  });

  it('a bad input line stops the batch before the model loads, naming the line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgpt-batch-'));
    try {
      const input = path.join(dir, 'p.jsonl');
      fs.writeFileSync(input, '{"file":"a.ts","line":1,"column":1}\n{"file":"a.ts","line":"x","column":1}\n');
      const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'complete.ts'), '--batch', input], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(run.status, 1);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, new RegExp(`complete: ${input.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: "line" must be an integer >= 1 \\(1-based\\), got "x"`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
