import { writeFileSync } from 'node:fs';

/** Growable uint16 token array, written as little-endian bytes (the train.bin/val.bin format). */
export class TokenBuffer {
  private data = new Uint16Array(1 << 20);
  private used = 0;

  get length(): number {
    return this.used;
  }

  push(id: number): void {
    if (this.used === this.data.length) this.grow(this.used + 1);
    this.data[this.used++] = id;
  }

  pushAll(ids: readonly number[]): void {
    if (this.used + ids.length > this.data.length) this.grow(this.used + ids.length);
    for (let i = 0; i < ids.length; i++) this.data[this.used + i] = ids[i];
    this.used += ids.length;
  }

  /** Little-endian bytes regardless of the machine's byte order. */
  toBuffer(): Buffer {
    const bytes = Buffer.from(this.data.buffer, this.data.byteOffset, this.used * 2);
    return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? Buffer.from(bytes) : Buffer.from(bytes).swap16();
  }

  writeFile(file: string): void {
    writeFileSync(file, this.toBuffer());
  }

  private grow(minimum: number): void {
    let size = this.data.length * 2;
    while (size < minimum) size *= 2;
    const bigger = new Uint16Array(size);
    bigger.set(this.data.subarray(0, this.used));
    this.data = bigger;
  }
}
