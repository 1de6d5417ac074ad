import { strict as assert } from 'node:assert';
import { assertKnownSettings, parseSettingAssignment, parseSettingAssignments } from '../../../src/config/overrides';

describe('config/overrides: localGpt.<key>=<value> from command lines', () => {
  const good: [string, [string, unknown]][] = [
    ['localGpt.temperature=0', ['temperature', 0]],
    ['temperature=0.5', ['temperature', 0.5]],
    ['localGpt.maxNewTokens=16', ['maxNewTokens', 16]],
    ['localGpt.multiline=never', ['multiline', 'never']],
    ['localGpt.quantized=false', ['quantized', false]],
    ['localGpt.attention.maxTokens=64', ['attention.maxTokens', 64]],
    ['localGpt.model=/a=b', ['model', '/a=b']],
  ];
  for (const [spec, expected] of good) it(`${spec} -> ${JSON.stringify(expected)}`, () => assert.deepEqual(parseSettingAssignment(spec), expected));

  const bad: [string, RegExp][] = [
    ['localGpt.noSuchThing=1', /localGpt\.noSuchThing is not a Local GPT setting \(package\.json contributes\.configuration declares: enabled, /],
    ['localGpt.maxNewTokens=1.5', /localGpt\.maxNewTokens is an integer: got "1\.5"/],
    ['localGpt.temperature=warm', /localGpt\.temperature is a number: got "warm"/],
    ['localGpt.quantized=yes', /localGpt\.quantized is a boolean: expected true or false, got "yes"/],
    ['localGpt.multiline=sometimes', /localGpt\.multiline is one of auto, always, never: got "sometimes"/],
    ['temperature', /expected localGpt\.<setting>=<value>, got "temperature"/],
  ];
  for (const [spec, message] of bad) it(`${spec} is refused: ${message.source}`, () => assert.throws(() => parseSettingAssignment(spec), message));

  it('a later assignment of the same setting wins', () => {
    assert.deepEqual(parseSettingAssignments(['temperature=0', 'localGpt.temperature=1', 'seed=3']), { temperature: 1, seed: 3 });
  });

  it('assertKnownSettings names the unknown setting and who asked for it', () => {
    assert.doesNotThrow(() => assertKnownSettings({ temperature: 0 }, 'variant x'));
    assert.throws(() => assertKnownSettings({ workspaceRetrieval: true }, 'variant "+ retrieval"'), /^Error: variant "\+ retrieval": localGpt\.workspaceRetrieval is not a Local GPT setting/);
  });
});
