import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BpeTokenizer, END_OF_TEXT_ID, trainBpe, writeTokenizerFiles } from '../../src/model/tokenizer';
import type { Deduplicator as DeduplicatorType } from './dedupe';
import { Deduplicator } from './dedupe';
import { fetchTarball } from './fetchTarball';
import { IntegrityError } from './integrity';
import { type PackageEntry, type Split, parsePackageList } from './packageList';
import { documentText, selectSourceFiles, type SourceFile } from './packageFiles';
import type { DropReason } from './sourceFilter';
import { assignSplits } from './splitPackages';
import { readTgz } from './tarball';
import { TokenBuffer } from './tokenBuffer';

export interface CorpusOptions {
  packageList: string;
  cacheDir: string;
  outDir: string;
  vocabSize: number;
  minFrequency: number;
  valFraction: number;
  valPackages?: string[];
  /** Bytes of train documents the tokenizer is trained on (a deterministic sample when the split is larger). */
  tokenizerSampleBytes: number;
  maxFileBytes: number;
  /** Packages whose kept source is smaller than this are skipped as 'little-source'. */
  minPackageBytes: number;
  /** At most this many document bytes per package, so a few huge packages do not dominate (0: no cap). */
  maxPackageBytes: number;
  modelMaxLength: number;
  offline: boolean;
  log: (message: string) => void;
}

export interface PackageReport {
  name: string;
  version: string;
  license: string;
  split: Split;
  status: 'ok' | 'skipped';
  skipReason?: string;
  files: number;
  bytes: number;
  tokens: number;
  dropped: Partial<Record<DropReason, number>>;
}

export interface SplitReport {
  packages: number;
  files: number;
  /** UTF-8 bytes of the documents (header line included). */
  bytes: number;
  /** Token count including one `<|endoftext|>` per document plus the final one. */
  tokens: number;
  bytesPerToken: number;
}

export interface CorpusMeta {
  format: object;
  vocabSize: number;
  specialTokens: Record<string, number>;
  tokenizer: object;
  splits: Record<Split, SplitReport>;
  dropped: Partial<Record<DropReason, number>>;
  packages: PackageReport[];
  options: object;
}

interface CorpusDocument {
  packageName: string;
  split: Split;
  file: SourceFile;
  text: string;
}

/** Builds data/corpus (see ARCHITECTURE.md "Training data"). Same inputs and options give identical files. */
export function buildCorpus(options: CorpusOptions): CorpusMeta {
  const { log } = options;
  const entries = parsePackageList(readPackageList(options.packageList), options.packageList);
  const splits = assignSplits(entries, { valFraction: options.valFraction, valPackages: options.valPackages });
  // Val first: a file shipped by both a val and a train package stays in val and is dropped from train.
  const ordered = [...entries.filter((e) => splits.get(e.name) === 'val'), ...entries.filter((e) => splits.get(e.name) === 'train')];
  log(`${entries.length} packages: ${ordered.filter((e) => splits.get(e.name) === 'val').map((e) => e.name).join(', ')} held out for validation`);

  const dedupe = new Deduplicator();
  const documents: CorpusDocument[] = [];
  const reports: PackageReport[] = [];
  for (const entry of ordered) {
    const split = splits.get(entry.name) as Split;
    const { report, docs } = collectPackage(entry, split, dedupe, options);
    reports.push(report);
    documents.push(...docs);
    log(`  ${split.padEnd(5)} ${entry.spec.padEnd(40)} ${report.status === 'ok' ? `${report.files} files, ${(report.bytes / 1e6).toFixed(2)} MB` : `skipped: ${report.skipReason}`}`);
  }

  const trainDocs = documents.filter((d) => d.split === 'train');
  const valDocs = documents.filter((d) => d.split === 'val');
  if (trainDocs.length === 0 || valDocs.length === 0) throw new Error('the corpus needs documents in both train and val; see the package log above');

  const sample = tokenizerSample(trainDocs, options.tokenizerSampleBytes);
  const sampleBytes = sample.reduce((n, d) => n + Buffer.byteLength(d.text), 0);
  log(`training tokenizer (vocab ${options.vocabSize}) on ${sample.length} documents, ${(sampleBytes / 1e6).toFixed(1)} MB`);
  let started = Date.now();
  const model = trainBpe(
    sample.map((d) => d.text),
    { vocabSize: options.vocabSize, minFrequency: options.minFrequency, onProgress: (v, t) => v % 2000 < 1 && log(`    vocab ${v}/${t}`) },
  );
  log(`  tokenizer trained in ${((Date.now() - started) / 1000).toFixed(1)} s, ${model.vocab.length} tokens, ${model.merges.length} merges`);
  const tokenizerDir = join(options.outDir, 'tokenizer');
  writeTokenizerFiles(tokenizerDir, model, { modelMaxLength: options.modelMaxLength });
  const tokenizer = new BpeTokenizer(model);

  started = Date.now();
  const tokensByPackage = new Map<string, number>();
  const splitReports = {} as Record<Split, SplitReport>;
  for (const [split, docs] of [['train', trainDocs], ['val', valDocs]] as const) {
    const buffer = new TokenBuffer();
    let bytes = 0;
    for (const doc of docs) {
      // Layout: <eot> doc <eot> doc … <eot>: every document starts right after an <|endoftext|>.
      buffer.push(END_OF_TEXT_ID);
      const ids = tokenizer.encodeOrdinary(doc.text);
      buffer.pushAll(ids);
      bytes += Buffer.byteLength(doc.text);
      tokensByPackage.set(doc.packageName, (tokensByPackage.get(doc.packageName) ?? 0) + ids.length);
    }
    buffer.push(END_OF_TEXT_ID);
    buffer.writeFile(join(options.outDir, `${split}.bin`));
    const packages = new Set(docs.map((d) => d.packageName)).size;
    const textTokens = buffer.length - docs.length - 1;
    splitReports[split] = { packages, files: docs.length, bytes, tokens: buffer.length, bytesPerToken: round(bytes / textTokens, 4) };
  }
  log(`  tokenized in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const report of reports) report.tokens = tokensByPackage.get(report.name) ?? 0;

  const valLines = valDocs.map((d) => JSON.stringify({ package: d.packageName, path: d.file.path, text: d.file.text }));
  writeFileSync(join(options.outDir, 'val-files.jsonl'), valLines.join('\n') + '\n');

  const dropped: Partial<Record<DropReason, number>> = {};
  for (const report of reports) {
    for (const [reason, count] of Object.entries(report.dropped) as Array<[DropReason, number]>) dropped[reason] = (dropped[reason] ?? 0) + count;
  }
  const meta: CorpusMeta = {
    format: {
      dtype: 'uint16',
      byteOrder: 'little',
      documentSeparator: END_OF_TEXT_ID,
      layout: '<|endoftext|> doc <|endoftext|> doc ... <|endoftext|> (a separator before every document and one at the end)',
      documentHeader: '// <package>/<path inside the package>\\n, then the file text (BOM removed, line ends normalised to \\n)',
      specialTokensInText: 'file text is encoded as ordinary text: special-token strings inside files never produce special ids',
    },
    vocabSize: model.vocab.length,
    specialTokens: Object.fromEntries(model.specialIds.map((id) => [model.vocab[id], id])),
    tokenizer: { dir: 'tokenizer', sampleDocuments: sample.length, sampleBytes, merges: model.merges.length },
    splits: splitReports,
    dropped,
    packages: reports,
    options: {
      vocabSize: options.vocabSize,
      minFrequency: options.minFrequency,
      valFraction: options.valFraction,
      valPackages: options.valPackages ?? null,
      tokenizerSampleBytes: options.tokenizerSampleBytes,
      maxFileBytes: options.maxFileBytes,
      minPackageBytes: options.minPackageBytes,
      maxPackageBytes: options.maxPackageBytes,
      modelMaxLength: options.modelMaxLength,
    },
  };
  writeFileSync(join(options.outDir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  return meta;
}

function readPackageList(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the package list ${file} (${(error as Error).message}); pass --packages <file>`);
  }
}

export function collectPackage(
  entry: PackageEntry,
  split: Split,
  dedupe: DeduplicatorType,
  options: CorpusOptions,
): { report: PackageReport; docs: CorpusDocument[] } {
  const report: PackageReport = {
    name: entry.name,
    version: entry.version,
    license: entry.license,
    split,
    status: 'ok',
    files: 0,
    bytes: 0,
    tokens: 0,
    dropped: {},
  };
  const skip = (reason: string): { report: PackageReport; docs: CorpusDocument[] } => {
    report.status = 'skipped';
    report.skipReason = reason;
    return { report, docs: [] };
  };
  let tarball: Buffer;
  try {
    tarball = fetchTarball(entry, options.cacheDir, { offline: options.offline });
  } catch (error) {
    if (error instanceof IntegrityError) throw error;
    return skip(`download failed: ${(error as Error).message}`);
  }
  let selected;
  try {
    selected = selectSourceFiles(readTgz(tarball), { maxFileBytes: options.maxFileBytes });
  } catch (error) {
    return skip(`extract failed: ${(error as Error).message}`);
  }
  report.dropped = selected.dropped;
  const keptBytes = selected.kept.reduce((n, f) => n + Buffer.byteLength(f.text), 0);
  if (keptBytes < options.minPackageBytes) {
    return skip(`little-source: ${selected.kept.length} usable source files, ${keptBytes} bytes (minimum ${options.minPackageBytes})`);
  }
  const unique: SourceFile[] = [];
  for (const file of selected.kept) {
    const duplicate = dedupe.check(file.text);
    if (duplicate !== undefined) report.dropped[duplicate] = (report.dropped[duplicate] ?? 0) + 1;
    else unique.push(file);
  }
  const capped = capPackageBytes(entry.name, unique, options.maxPackageBytes);
  if (capped.length < unique.length) report.dropped['package-cap'] = unique.length - capped.length;
  const docs = capped.map((file): CorpusDocument => ({ packageName: entry.name, split, file, text: documentText(entry.name, file) }));
  for (const doc of docs) {
    report.files++;
    report.bytes += Buffer.byteLength(doc.text);
  }
  return { report, docs };
}

/**
 * The package's files limited to `maxBytes` of documents: files are taken in the order of hash(path) (an even
 * spread over the package's folders rather than the alphabetically first ones), then returned in path order.
 */
export function capPackageBytes(packageName: string, files: readonly SourceFile[], maxBytes: number): SourceFile[] {
  if (maxBytes <= 0) return [...files];
  const size = (f: SourceFile): number => Buffer.byteLength(documentText(packageName, f));
  if (files.reduce((n, f) => n + size(f), 0) <= maxBytes) return [...files];
  const byHash = [...files].sort((a, b) => pathHash(a.path) - pathHash(b.path) || (a.path < b.path ? -1 : 1));
  const chosen = new Set<SourceFile>();
  let total = 0;
  for (const file of byHash) {
    if (total + size(file) > maxBytes) continue;
    chosen.add(file);
    total += size(file);
  }
  return files.filter((f) => chosen.has(f));
}

function pathHash(path: string): number {
  return createHash('sha256').update(path).digest().readUInt32BE(0);
}

/**
 * Train documents for tokenizer training: all of them when they fit in `maxBytes`, otherwise those whose
 * hash(package/path) falls under the sampling rate, which spreads the sample evenly over packages.
 */
export function tokenizerSample<T extends { packageName: string; file: SourceFile; text: string }>(docs: readonly T[], maxBytes: number): T[] {
  const total = docs.reduce((n, d) => n + Buffer.byteLength(d.text), 0);
  if (total <= maxBytes) return [...docs];
  const rate = maxBytes / total;
  return docs.filter((d) => createHash('sha256').update(`${d.packageName}/${d.file.path}`).digest().readUInt32BE(0) / 2 ** 32 < rate);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
