import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BpeTokenizer, END_OF_TEXT_ID, FIM_PREFIX_ID, readTokenizerModel, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, trainBpe, writeTokenizerFiles,
} from '../../src/model/tokenizer';
import type { BpeModel } from '../../src/model/tokenizer';
import { buildCopies } from './buildCopies';
import type { Deduplicator as DeduplicatorType } from './dedupe';
import { Deduplicator } from './dedupe';
import type { FimOrder } from '../../src/engine/protocol';
import { type FimOptions, fimDocumentTokens, isFimFile } from './fim';
import { LineIndex } from './lineOverlap';
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
  /**
   * A model folder (or tokenizer folder) whose tokenizer.json is used as is instead of training one, so a
   * model trained on an earlier corpus can continue training on this one.
   */
  tokenizerDir?: string;
  /** Fill-in-the-middle examples in the train split (rate 0: none). Validation stays left-to-right. */
  fim: FimOptions;
  /** Validation files sharing more than this share of their content lines with one training file are dropped. */
  maxValOverlap: number;
  offline: boolean;
  log: (message: string) => void;
}

interface PackageReport {
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

interface SplitReport {
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
  dedupe: DedupeReport;
  valOverlap: ValOverlapReport;
  fim: FimReport;
  packages: PackageReport[];
  options: object;
}

/** What duplicate removal (build copies, exact and near duplicates) took out, per split. */
interface DedupeReport {
  /** Tokens are counted as plain left-to-right text (before any FIM transform), `<|endoftext|>` excluded. */
  train: { filesBefore: number; filesAfter: number; tokensBefore: number; tokensAfter: number };
  val: { filesBefore: number; filesAfter: number; tokensBefore: number; tokensAfter: number };
  removedByReason: Partial<Record<DropReason, number>>;
}

interface ValOverlapReport {
  maxFraction: number;
  checkedFiles: number;
  droppedFiles: number;
  droppedTokens: number;
  /** The dropped files: val file, its overlap and the training file that shares the most lines. */
  dropped: Array<{ file: string; fraction: number; trainFile?: string }>;
}

interface FimReport {
  rate: number;
  maxPieceBytes: number;
  maxMiddleLines: number;
  /** Absent in a meta.json written before the order was an option: those corpora were psm. */
  order?: FimOrder;
  /** Train files written in FIM form, the examples (pieces) made from them, and how many pieces stayed plain (no valid cut). */
  files: number;
  examples: number;
  plainPieces: number;
}

interface CorpusDocument {
  packageName: string;
  split: Split;
  file: SourceFile;
  text: string;
}

/** A file removed as a duplicate, kept only to count its tokens for the dedupe report. */
interface RemovedDocument {
  split: Split;
  reason: DropReason;
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
  const removed: RemovedDocument[] = [];
  const reports: PackageReport[] = [];
  for (const entry of ordered) {
    const split = splits.get(entry.name) as Split;
    const { report, docs } = collectPackage(entry, split, dedupe, options, removed);
    reports.push(report);
    documents.push(...docs);
    log(`  ${split.padEnd(5)} ${entry.spec.padEnd(40)} ${report.status === 'ok' ? `${report.files} files, ${(report.bytes / 1e6).toFixed(2)} MB` : `skipped: ${report.skipReason}`}`);
  }

  const trainDocs = documents.filter((d) => d.split === 'train');
  const overlap = dropOverlappingValFiles(documents.filter((d) => d.split === 'val'), trainDocs, options.maxValOverlap, log);
  const valDocs = overlap.kept;
  for (const doc of overlap.droppedDocs) {
    const report = reports.find((r) => r.name === doc.packageName) as PackageReport;
    report.dropped['train-overlap'] = (report.dropped['train-overlap'] ?? 0) + 1;
    report.files--;
    report.bytes -= Buffer.byteLength(doc.text);
  }
  if (trainDocs.length === 0 || valDocs.length === 0) throw new Error('the corpus needs documents in both train and val; see the package log above');

  let started = Date.now();
  const tokenizerDir = join(options.outDir, 'tokenizer');
  let model: BpeModel;
  let tokenizerInfo: object;
  if (options.tokenizerDir !== undefined) {
    model = readTokenizerModel(join(options.tokenizerDir, TOKENIZER_FILE));
    mkdirSync(tokenizerDir, { recursive: true });
    for (const file of [TOKENIZER_FILE, TOKENIZER_CONFIG_FILE]) copyFileSync(join(options.tokenizerDir, file), join(tokenizerDir, file));
    tokenizerInfo = { dir: 'tokenizer', copiedFrom: options.tokenizerDir, merges: model.merges.length };
    log(`using the tokenizer of ${options.tokenizerDir} (${model.vocab.length} tokens, ${model.merges.length} merges)`);
  } else {
    const sample = tokenizerSample(trainDocs, options.tokenizerSampleBytes);
    const sampleBytes = sample.reduce((n, d) => n + Buffer.byteLength(d.text), 0);
    log(`training tokenizer (vocab ${options.vocabSize}) on ${sample.length} documents, ${(sampleBytes / 1e6).toFixed(1)} MB`);
    model = trainBpe(
      sample.map((d) => d.text),
      { vocabSize: options.vocabSize, minFrequency: options.minFrequency, onProgress: (v, t) => v % 2000 < 1 && log(`    vocab ${v}/${t}`) },
    );
    log(`  tokenizer trained in ${((Date.now() - started) / 1000).toFixed(1)} s, ${model.vocab.length} tokens, ${model.merges.length} merges`);
    writeTokenizerFiles(tokenizerDir, model, { modelMaxLength: options.modelMaxLength });
    tokenizerInfo = { dir: 'tokenizer', sampleDocuments: sample.length, sampleBytes, merges: model.merges.length };
  }
  const tokenizer = new BpeTokenizer(model);
  const encode = (text: string): number[] => tokenizer.encodeOrdinary(text);

  started = Date.now();
  const tokensByPackage = new Map<string, number>();
  const plainTokens: Record<Split, number> = { train: 0, val: 0 };
  const fimReport: FimReport = { ...options.fim, files: 0, examples: 0, plainPieces: 0 };
  const splitReports = {} as Record<Split, SplitReport>;
  for (const [split, docs] of [['train', trainDocs], ['val', valDocs]] as const) {
    const buffer = new TokenBuffer();
    let bytes = 0;
    let sequences = 0;
    let tokenCount = 0;
    for (const [index, doc] of docs.entries()) {
      if (index % 5000 === 0 && index > 0) log(`    ${split}: ${index}/${docs.length} files, ${((Date.now() - started) / 1000).toFixed(0)} s`);
      // Layout: <eot> doc <eot> doc … <eot>: every document (or FIM example) starts right after an <|endoftext|>.
      const plain = encode(doc.text);
      plainTokens[split] += plain.length;
      const key = `${doc.packageName}/${doc.file.path}`;
      const fim = split === 'train' && isFimFile(key, options.fim.rate);
      const pieces = fim ? fimDocumentTokens(encode, key, documentHeader(doc.packageName, doc.file), doc.file.text, options.fim) : [plain];
      if (fim) {
        fimReport.files++;
        for (const ids of pieces) {
          if (ids[0] === FIM_PREFIX_ID) fimReport.examples++;
          else fimReport.plainPieces++;
        }
      }
      for (const ids of pieces) {
        buffer.push(END_OF_TEXT_ID);
        buffer.pushAll(ids);
        sequences++;
        tokenCount += ids.length;
        tokensByPackage.set(doc.packageName, (tokensByPackage.get(doc.packageName) ?? 0) + ids.length);
      }
      bytes += Buffer.byteLength(doc.text);
    }
    buffer.push(END_OF_TEXT_ID);
    buffer.writeFile(join(options.outDir, `${split}.bin`));
    const packages = new Set(docs.map((d) => d.packageName)).size;
    splitReports[split] = { packages, files: docs.length, bytes, tokens: buffer.length, bytesPerToken: round(bytes / plainTokens[split], 4) };
    log(`  ${split}: ${buffer.length} tokens in ${sequences} sequences (${tokenCount} text tokens)`);
  }
  log(`  tokenized in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const report of reports) report.tokens = tokensByPackage.get(report.name) ?? 0;

  started = Date.now();
  overlap.report.droppedTokens = overlap.droppedDocs.reduce((n, d) => n + encode(d.text).length, 0);
  // Val "after dedupe" is before the overlap check (reported in valOverlap).
  const valFiles = valDocs.length + overlap.droppedDocs.length;
  const valTokens = plainTokens.val + overlap.report.droppedTokens;
  const dedupeReport: DedupeReport = {
    train: { filesBefore: trainDocs.length, filesAfter: trainDocs.length, tokensBefore: plainTokens.train, tokensAfter: plainTokens.train },
    val: { filesBefore: valFiles, filesAfter: valFiles, tokensBefore: valTokens, tokensAfter: valTokens },
    removedByReason: {},
  };
  for (const doc of removed) {
    const n = encode(doc.text).length;
    dedupeReport[doc.split].filesBefore++;
    dedupeReport[doc.split].tokensBefore += n;
    dedupeReport.removedByReason[doc.reason] = (dedupeReport.removedByReason[doc.reason] ?? 0) + 1;
  }
  log(`  counted the tokens of ${removed.length} removed duplicates in ${((Date.now() - started) / 1000).toFixed(1)} s`);

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
    tokenizer: tokenizerInfo,
    splits: splitReports,
    dropped,
    dedupe: dedupeReport,
    valOverlap: overlap.report,
    fim: fimReport,
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
      tokenizerDir: options.tokenizerDir ?? null,
      fim: options.fim,
      maxValOverlap: options.maxValOverlap,
    },
  };
  writeFileSync(join(options.outDir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  return meta;
}

/** The `// <package>/<path>\n` line documentText puts before a file. */
function documentHeader(packageName: string, file: SourceFile): string {
  return documentText(packageName, { path: file.path, text: '' });
}

/**
 * Drops validation files that share more than `maxFraction` of their content lines with one training file
 * (see lineOverlap.ts): a file copied, vendored or lightly edited between a val and a train package would
 * otherwise measure memorisation instead of generalisation.
 */
function dropOverlappingValFiles(
  valDocs: CorpusDocument[],
  trainDocs: CorpusDocument[],
  maxFraction: number,
  log: (message: string) => void,
): { kept: CorpusDocument[]; droppedDocs: CorpusDocument[]; report: ValOverlapReport } {
  const started = Date.now();
  const index = new LineIndex();
  trainDocs.forEach((doc, id) => index.add(id, doc.file.text));
  const kept: CorpusDocument[] = [];
  const droppedDocs: CorpusDocument[] = [];
  const report: ValOverlapReport = { maxFraction, checkedFiles: valDocs.length, droppedFiles: 0, droppedTokens: 0, dropped: [] };
  for (const doc of valDocs) {
    const { fraction, fileId } = index.overlap(doc.file.text);
    if (fraction > maxFraction) {
      droppedDocs.push(doc);
      const train = fileId === undefined ? undefined : trainDocs[fileId];
      report.dropped.push({
        file: `${doc.packageName}/${doc.file.path}`,
        fraction: round(fraction, 3),
        trainFile: train === undefined ? undefined : `${train.packageName}/${train.file.path}`,
      });
    } else {
      kept.push(doc);
    }
  }
  report.droppedFiles = droppedDocs.length;
  log(`val overlap: ${droppedDocs.length} of ${valDocs.length} val files share more than ${maxFraction * 100}% of their lines with a training file (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return { kept, droppedDocs, report };
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
  removed: RemovedDocument[],
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
  const copies = buildCopies(selected.kept.map((f) => f.path));
  const unique: SourceFile[] = [];
  for (const file of selected.kept) {
    const duplicate = copies.has(file.path) ? 'build-copy' : dedupe.check(file.text);
    if (duplicate !== undefined) {
      report.dropped[duplicate] = (report.dropped[duplicate] ?? 0) + 1;
      removed.push({ split, reason: duplicate, text: documentText(entry.name, file) });
    } else {
      unique.push(file);
    }
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
function capPackageBytes(packageName: string, files: readonly SourceFile[], maxBytes: number): SourceFile[] {
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
function tokenizerSample<T extends { packageName: string; file: SourceFile; text: string }>(docs: readonly T[], maxBytes: number): T[] {
  const total = docs.reduce((n, d) => n + Buffer.byteLength(d.text), 0);
  if (total <= maxBytes) return [...docs];
  const rate = maxBytes / total;
  return docs.filter((d) => createHash('sha256').update(`${d.packageName}/${d.file.path}`).digest().readUInt32BE(0) / 2 ** 32 < rate);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
