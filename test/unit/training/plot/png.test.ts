import { strict as assert } from 'node:assert';
import { inflateSync } from 'node:zlib';
import { crc32, encodePng, Raster } from '../../../../training/plot/png';
import { renderLossChart, SERIES_COLORS, ticks } from '../../../../training/plot/lossChart';

/** The pixels of an RGB PNG written by encodePng (filter 0 rows only). */
function decode(png: Buffer): { width: number; height: number; rgb: Buffer } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let off = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('ascii', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    assert.equal(png.readUInt32BE(off + 8 + len), crc32(png.subarray(off + 4, off + 8 + len)), `${type} CRC`);
    if (type === 'IHDR') [width, height] = [data.readUInt32BE(0), data.readUInt32BE(4)];
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (width * 3 + 1)], 0);
    raw.copy(rgb, y * width * 3, y * (width * 3 + 1) + 1, (y + 1) * (width * 3 + 1));
  }
  return { width, height, rgb };
}

describe('PNG plots (training/plot)', () => {
  it('computes CRC-32 like zlib and PNG (the IEND chunk CRC is AE426082)', () => {
    assert.equal(crc32(Buffer.from('IEND', 'ascii')), 0xae426082);
    assert.equal(crc32(Buffer.from('123456789', 'ascii')), 0xcbf43926);
  });

  it('writes a PNG whose pixels decode back exactly', () => {
    const image = new Raster(5, 3);
    image.set(0, 0, [255, 0, 0]);
    image.set(4, 2, [0, 0, 255]);
    image.line(0, 1, 4, 1, [0, 128, 0]);
    const { width, height, rgb } = decode(encodePng(image));
    assert.deepEqual([width, height], [5, 3]);
    const px = (x: number, y: number) => [...rgb.subarray((y * 5 + x) * 3, (y * 5 + x) * 3 + 3)];
    assert.deepEqual(px(0, 0), [255, 0, 0]);
    assert.deepEqual(px(4, 2), [0, 0, 255]);
    for (let x = 0; x < 5; x++) assert.deepEqual(px(x, 1), [0, 128, 0]);
    assert.deepEqual(px(1, 0), [255, 255, 255]);
  });

  it('chooses round ticks', () => {
    assert.deepEqual(ticks(0, 10), [0, 2, 4, 6, 8, 10]);
    assert.deepEqual(ticks(3.42, 3.91), [3.5, 3.6, 3.7, 3.8, 3.9]);
  });

  it('draws each series in its colour, lower loss lower in the image', () => {
    const image = renderLossChart([
      { label: 'a', points: [[0, 4], [10, 3]] },
      { label: 'b', points: [[0, 4.5], [10, 3.5]] },
    ]);
    const rows = (color: readonly number[]) => {
      const ys: number[] = [];
      for (let y = 0; y < image.height; y++) for (let x = 0; x < image.width; x++) if (image.get(x, y).every((c, i) => c === color[i])) ys.push(y);
      return ys;
    };
    const a = rows(SERIES_COLORS[0].rgb);
    const b = rows(SERIES_COLORS[1].rgb);
    assert.ok(a.length > 100 && b.length > 100, `${a.length} blue and ${b.length} orange pixels`);
    // blue ends at loss 3, below orange's 3.5: a larger pixel row
    assert.ok(Math.max(...a) > Math.max(...b), 'the lower curve reaches further down');
    assert.throws(() => renderLossChart([]), /nothing to plot/);
  });
});
