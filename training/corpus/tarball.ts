import { gunzipSync } from 'node:zlib';

export interface TarFile {
  /** Path inside the archive with the top folder (npm's `package/`) removed. */
  path: string;
  data: Buffer;
}

const BLOCK = 512;

/**
 * Reads the regular files of a .tgz held in memory. Understands ustar names with prefix, GNU long names
 * ('L') and pax `path` records ('x'), which is what npm tarballs use. Links and folders are skipped.
 */
export function readTgz(tgz: Uint8Array): TarFile[] {
  return readTar(gunzipSync(tgz));
}

function readTar(tar: Buffer): TarFile[] {
  const files: TarFile[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break; // end-of-archive marker
    if (!checksumOk(header)) throw new Error(`corrupt tar header at byte ${offset}`);
    const size = readOctal(header, 124, 12);
    const type = String.fromCharCode(header[156] || 0x30);
    const dataStart = offset + BLOCK;
    if (dataStart + size > tar.length) throw new Error(`tar entry at byte ${offset} runs past the end of the archive`);
    const data = tar.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    if (type === 'L') {
      longName = readString(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      longName = paxPath(data) ?? longName;
      continue;
    }
    if (type === 'g') continue; // global pax header: nothing we need
    const name = longName ?? ustarName(header);
    longName = undefined;
    if (type !== '0' && type !== '\0' && type !== '7') continue;
    files.push({ path: stripTopFolder(name), data: Buffer.from(data) });
  }
  return files;
}

function ustarName(header: Buffer): string {
  const name = readString(header, 0, 100);
  const isUstar = readString(header, 257, 6).startsWith('ustar');
  const prefix = isUstar ? readString(header, 345, 155) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function paxPath(data: Buffer): string | undefined {
  // Records are "<len> <key>=<value>\n".
  const text = data.toString('utf8');
  let i = 0;
  while (i < text.length) {
    const space = text.indexOf(' ', i);
    if (space < 0) break;
    const length = Number(text.slice(i, space));
    if (!(length > 0)) break;
    const record = text.slice(space + 1, i + length - 1);
    const eq = record.indexOf('=');
    if (record.slice(0, eq) === 'path') return record.slice(eq + 1);
    i += length;
  }
  return undefined;
}

function stripTopFolder(name: string): string {
  const clean = name.replace(/^\.\//, '');
  const slash = clean.indexOf('/');
  return slash >= 0 ? clean.slice(slash + 1) : clean;
}

function readString(buf: Buffer, start: number, length: number): string {
  const slice = buf.subarray(start, start + length);
  const nul = slice.indexOf(0);
  return slice.subarray(0, nul >= 0 ? nul : slice.length).toString('utf8');
}

function readOctal(buf: Buffer, start: number, length: number): number {
  const text = readString(buf, start, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  return sum === readOctal(header, 148, 8);
}
