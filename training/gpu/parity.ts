/**
 * Compares logits computed elsewhere (training/gpu/check_parity.py: the PyTorch model of train_torch.py) with
 * the reference forward pass of src/model/gpt.ts on the same model folder and token ids.
 *
 *   npx tsx training/gpu/parity.ts --model DIR --tokens 1,2,3 --logits FILE [--tolerance 1e-4]
 *
 * FILE: float32 little-endian logits [T, V] for the T tokens. Prints one JSON line
 * {max_abs_diff, tokens, vocab_size, tolerance, ok}; exits 1 when the difference is above the tolerance.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configFromJson } from '../../src/model/config';
import { readWeights } from '../../src/model/weights';
import { forward } from '../../src/model/gpt';

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function main(args: string[]): number {
  const model = argValue(args, 'model');
  const tokensArg = argValue(args, 'tokens');
  const logitsFile = argValue(args, 'logits');
  const tolerance = Number(argValue(args, 'tolerance') ?? '1e-4');
  if (!model || !tokensArg || !logitsFile || !(tolerance >= 0)) {
    console.error('usage: parity.ts --model DIR --tokens 1,2,3 --logits FILE [--tolerance 1e-4]');
    return 2;
  }
  const configFile = path.join(model, 'config.json');
  const config = configFromJson(JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>, configFile);
  const weights = readWeights(path.join(model, 'model.safetensors'), config);
  const tokens = tokensArg.split(',').map(Number);
  const bytes = fs.readFileSync(logitsFile);
  const expected = tokens.length * config.vocab_size;
  if (bytes.length !== expected * 4) {
    console.error(`${logitsFile}: ${bytes.length} bytes, expected ${expected} float32 logits ([${tokens.length}, ${config.vocab_size}])`);
    return 2;
  }
  const other = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const { logits } = forward(config, weights, tokens);
  let maxDiff = 0;
  for (let i = 0; i < logits.length; i++) maxDiff = Math.max(maxDiff, Math.abs(logits[i] - other[i]));
  const ok = maxDiff <= tolerance && Number.isFinite(maxDiff);
  console.log(JSON.stringify({ max_abs_diff: maxDiff, tokens: tokens.length, vocab_size: config.vocab_size, tolerance, ok }));
  return ok ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
