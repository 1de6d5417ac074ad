import { strict as assert } from 'node:assert';
import { parseCompleteArgs, parsePositionSpec } from '../../../scripts/lib/completeArgs';

describe('scripts/lib/completeArgs: the npm run complete command line', () => {
  it('one position, with the headless defaults (no debounce, seed 0)', () => {
    const a = parseCompleteArgs(['src/a.ts:3:5'], '/work');
    assert.deepEqual(a.mode, { kind: 'single', position: { file: 'src/a.ts', line: 3, column: 5 } });
    assert.deepEqual(a.overrides, { debounceMs: 0, seed: 0 });
    assert.equal(a.workspace, null);
    assert.equal(a.cacheDir, '/work/.cache/models');
  });

  it('a batch with a workspace, short flags and --set (a later value wins, --set last)', () => {
    const a = parseCompleteArgs(
      ['--batch', 'p.jsonl', '--workspace', '../ws', '--temperature', '0', '--fp32', '--set', 'localGpt.temperature=0.7', '--set', 'multiline=never', '--seed', '4'],
      '/work/repo',
    );
    assert.deepEqual(a.mode, { kind: 'batch', positionsFile: '/work/repo/p.jsonl' });
    assert.equal(a.workspace, '/work/ws');
    assert.deepEqual(a.overrides, { debounceMs: 0, seed: 4, temperature: 0.7, quantized: false, multiline: 'never' });
  });

  it('a file name with colons keeps them', () => assert.deepEqual(parsePositionSpec('C:/x/a.ts:10:2'), { file: 'C:/x/a.ts', line: 10, column: 2 }));

  const bad: [string[], RegExp][] = [
    [[], /give either FILE:LINE:COL or --batch POSITIONS\.jsonl \(one of them\)/],
    [['a.ts:1:1', '--batch', 'p.jsonl'], /give either FILE:LINE:COL or --batch/],
    [['--batch', 'p.jsonl', '--measure'], /--measure times one position; it cannot be used with --batch/],
    [['a.ts:1'], /expected FILE:LINE:COL \(1-based\), got "a\.ts:1"/],
    [['a.ts:0:1'], /expected FILE:LINE:COL \(1-based\)/],
    [['a.ts:1:1', '--set', 'localGpt.workspace.index=true'], /localGpt\.workspace\.index is not a Local GPT setting/],
    [['a.ts:1:1', '--set', 'temperature=hot'], /localGpt\.temperature is a number: got "hot"/],
    [['a.ts:1:1', '--threads', '1.5'], /--threads must be an integer, got "1\.5"/],
    [['a.ts:1:1', '--frobnicate'], /unknown option '--frobnicate'/],
  ];
  for (const [argv, message] of bad) it(`refuses ${JSON.stringify(argv)}`, () => assert.throws(() => parseCompleteArgs(argv, '/w'), message));
});
