import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveFfmpegTools } from '../../src/media/ffmpegTools.js';
import { type FfmpegTools, MediaError, type SniffedMedia } from '../../src/media/mediaTypes.js';
import { processImage } from '../../src/media/processImage.js';
import { processVideo } from '../../src/media/processVideo.js';
import { sniffUpload } from '../../src/media/sniffUpload.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const npmFfmpeg = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
const npmFfprobe = (require('@ffprobe-installer/ffprobe') as { path: string }).path;
/** What makes the test media: Debian's ffmpeg when present, else the npm package's. */
const makerFfmpeg = existsSync('/usr/bin/ffmpeg') ? '/usr/bin/ffmpeg' : npmFfmpeg;

const JPEG: SniffedMedia = { mime: 'image/jpeg', kind: 'image', ext: 'jpg' };
const PNG: SniffedMedia = { mime: 'image/png', kind: 'image', ext: 'png' };
const GIF: SniffedMedia = { mime: 'image/gif', kind: 'image', ext: 'gif' };
const WEBP: SniffedMedia = { mime: 'image/webp', kind: 'image', ext: 'webp' };
const sniffedOf = { jpeg: JPEG, png: PNG, gif: GIF, webp: WEBP } as const;

const XMP =
  '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
  '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Secret Person</dc:creator>' +
  '</rdf:Description></rdf:RDF></x:xmpmeta>';
const EXIF = {
  IFD0: { Make: 'TestCamera', Model: 'Spy 3000' },
  IFD3: {
    GPSLatitudeRef: 'N',
    GPSLatitude: '48/1 51/1 2988/100',
    GPSLongitudeRef: 'E',
    GPSLongitude: '2/1 17/1 4060/100',
  },
};

let base: string;
let media: string;
let workDir: string;
const file = (name: string) => path.join(media, name);

async function ffmpeg(...args: string[]): Promise<void> {
  await run(makerFfmpeg, ['-v', 'error', '-nostdin', '-y', ...args]);
}

function testsrc(duration: number, size = '320x240'): string[] {
  return ['-f', 'lavfi', '-i', `testsrc=duration=${duration}:size=${size}:rate=25`];
}
const H264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

/** Two colours one after the other: shows which frame the cover was taken from. */
function colours(first: string, firstSeconds: number, second: string, secondSeconds: number) {
  return [
    '-f',
    'lavfi',
    '-i',
    `color=c=${first}:s=320x240:r=25:d=${firstSeconds}[a];` +
      `color=c=${second}:s=320x240:r=25:d=${secondSeconds}[b];[a][b]concat=n=2:v=1:a=0[out0]`,
  ];
}

/**
 * A real, valid PNG of width×height pixels, 1 bit per pixel, all black: 20000×20000 is 50 MB of
 * raw rows that deflate to ~50 kB, and would be 1.2 GB once decoded to RGB.
 */
function blackPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, no filter, no interlace
  const rows = Buffer.alloc((1 + Math.ceil(width / 8)) * height); // filter byte 0 + zero bits
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Whether the bytes hold the GPS latitude written above: rationals 48/1 51/1 2988/100. */
function hasGpsLatitude(bytes: Buffer): boolean {
  const values = [48, 1, 51, 1, 2988, 100];
  return [true, false].some((bigEndian) => {
    const needle = Buffer.alloc(values.length * 4);
    values.forEach((value, i) =>
      bigEndian ? needle.writeUInt32BE(value, i * 4) : needle.writeUInt32LE(value, i * 4),
    );
    return bytes.includes(needle);
  });
}

async function frames(colors: string[], width: number, height: number): Promise<Buffer[]> {
  return Promise.all(
    colors.map((background) =>
      sharp({ create: { width, height, channels: 4, background } })
        .png()
        .toBuffer(),
    ),
  );
}

async function truncate(from: string, to: string, fraction: number): Promise<void> {
  const bytes = await fs.readFile(file(from));
  await fs.writeFile(file(to), bytes.subarray(0, Math.floor(bytes.length * fraction)));
}

/** RGB of one pixel, decoded. */
async function pixel(image: string, x: number, y: number): Promise<[number, number, number]> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [data[at]!, data[at + 1]!, data[at + 2]!];
}

async function failure(promise: Promise<unknown>): Promise<MediaError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MediaError);
  return error as MediaError;
}

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'servicesystem-media-'));
  media = path.join(base, 'media');
  await fs.mkdir(media);

  const gpsImage = (width: number, height: number) =>
    sharp({
      create: { width, height, channels: 4, background: { r: 200, g: 120, b: 40, alpha: 0.5 } },
    })
      .withExif(EXIF)
      .withXmp(XMP);
  const leftRed = await sharp({
    create: { width: 150, height: 100, channels: 3, background: 'red' },
  })
    .png()
    .toBuffer();
  const noise = () =>
    sharp({
      create: {
        width: 400,
        height: 300,
        channels: 3,
        background: 'white',
        noise: { type: 'gaussian', mean: 128, sigma: 40 },
      },
    });
  const threeFrames = await frames(['red', 'lime', 'blue'], 100, 80);

  await Promise.all([
    gpsImage(640, 480).jpeg().toFile(file('gps.jpg')),
    gpsImage(300, 200).png().toFile(file('gps.png')),
    gpsImage(300, 200).webp().toFile(file('gps.webp')),
    sharp(threeFrames, { join: { animated: true } })
      .gif({ delay: [100, 200, 300], loop: 0 })
      .toFile(file('anim.gif')),
    sharp(threeFrames, { join: { animated: true } })
      .webp({ delay: [100, 200, 300], loop: 0 })
      .toFile(file('anim.webp')),
    sharp({ create: { width: 4000, height: 3000, channels: 3, background: 'teal' } })
      .jpeg()
      .toFile(file('large.jpg')),
    sharp({ create: { width: 200, height: 100, channels: 4, background: 'purple' } })
      .png()
      .toFile(file('small.png')),
    // Stored as 300×100, left half red, right half blue; EXIF orientation 6 shows it turned
    // a quarter clockwise: 100×300, red on top.
    sharp({ create: { width: 300, height: 100, channels: 3, background: 'blue' } })
      .composite([{ input: leftRed, left: 0, top: 0 }])
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toFile(file('oriented.jpg')),
    noise().jpeg().toFile(file('noise.jpg')),
    noise().png().toFile(file('noise.png')),
    fs.writeFile(file('bomb.png'), blackPng(20_000, 20_000)),
    fs.writeFile(file('page.html'), '<!doctype html><html><body><script>alert(1)</script>'),
    fs.writeFile(
      file('drawing.svg'),
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
    ),
    fs.writeFile(file('notes.txt'), 'Just some text.\n'),
    fs.writeFile(file('doc.pdf'), '%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF\n'),
    fs.writeFile(
      file('unknown.bin'),
      Buffer.from([0x13, 0x37, 0x00, 0xff, 0xfe, 0x42, 0x99, 0x01]),
    ),
    fs.writeFile(file('empty.jpg'), Buffer.alloc(0)),
    // Starts like a GIF, is HTML afterwards: passes the sniff, must fail the decoder.
    fs.writeFile(file('polyglot.gif'), 'GIF89a<html><script>alert(1)</script></html>'),

    ffmpeg(...testsrc(0.5), ...H264, file('clip05.mp4')),
    ffmpeg(...testsrc(3), ...H264, file('clip3.mp4')),
    ffmpeg(...testsrc(3), ...H264, '-movflags', '+faststart', file('clip3-faststart.mp4')),
    ffmpeg(
      ...testsrc(3),
      ...['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k'],
      file('clip3.webm'),
    ),
    ffmpeg(...testsrc(0.5), ...H264, file('clip05.mov')),
    ffmpeg(...testsrc(0.5, '1280x722'), ...H264, file('wide.mp4')),
    ffmpeg(...colours('red', 1, 'blue', 2), ...H264, file('red-then-blue-3s.mp4')),
    ffmpeg(...colours('red', 0.2, 'blue', 0.3), ...H264, file('red-then-blue-05s.mp4')),
    ffmpeg('-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', file('sound-only.mp4')),
  ]);
  await Promise.all([
    ffmpeg(
      '-i',
      file('clip05.mp4'),
      ...['-c', 'copy', '-metadata:s:v:0', 'rotate=90'],
      file('rotated.mp4'),
    ),
    truncate('clip3.mp4', 'clip3-30pc.mp4', 0.3),
    truncate('clip3-faststart.mp4', 'clip3-faststart-30pc.mp4', 0.3),
    truncate('noise.jpg', 'truncated.jpg', 0.5),
    truncate('noise.png', 'truncated.png', 0.5),
    fs.copyFile(file('clip05.mp4'), file('named 50%d.mp4')),
  ]);
}, 60_000);

afterAll(() => fs.rm(base, { recursive: true, force: true }));

let workCount = 0;
beforeEach(async () => {
  workDir = path.join(base, `work-${++workCount}`);
  await fs.mkdir(workDir);
});

const workFiles = () => fs.readdir(workDir);

describe('sniffUpload', () => {
  it.each([
    ['gps.jpg', { filename: 'IMG_0001.JPG', mimetype: 'image/jpeg' }, 'image/jpeg', 'jpg'],
    ['gps.jpg', { filename: 'photo.jfif', mimetype: 'image/pjpeg' }, 'image/jpeg', 'jpg'],
    ['gps.jpg', { filename: 'photo.jpeg', mimetype: 'image/jpg' }, 'image/jpeg', 'jpg'],
    ['gps.jpg', { filename: 'photo', mimetype: 'application/octet-stream' }, 'image/jpeg', 'jpg'],
    ['gps.jpg', {}, 'image/jpeg', 'jpg'],
    ['gps.png', { filename: 'C:\\Users\\me\\shot.png', mimetype: 'image/png' }, 'image/png', 'png'],
    ['gps.png', { filename: 'Screenshot 10.15.32' }, 'image/png', 'png'],
    ['anim.gif', { filename: 'funny.gif', mimetype: 'image/gif' }, 'image/gif', 'gif'],
    ['anim.webp', { filename: 'sticker.webp', mimetype: 'image/webp' }, 'image/webp', 'webp'],
    [
      'clip3.mp4',
      { filename: 'clip.m4v', mimetype: 'video/mp4; codecs="avc1"' },
      'video/mp4',
      'mp4',
    ],
    ['clip05.mov', { filename: 'IMG_0002.MOV', mimetype: 'video/mov' }, 'video/quicktime', 'mov'],
    ['clip05.mov', { filename: 'old.qt', mimetype: 'video/quicktime' }, 'video/quicktime', 'mov'],
    ['clip3.webm', { filename: 'screen.webm', mimetype: 'video/webm' }, 'video/webm', 'webm'],
  ])('%s as %o is %s', async (name, claim, mime, ext) => {
    const sniffed = await sniffUpload(file(name), claim);
    expect(sniffed).toEqual({ mime, ext, kind: mime.split('/')[0] });
  });

  it.each([
    ['page.html', { filename: 'x.jpg', mimetype: 'image/jpeg' }, /could not be recognised/],
    ['drawing.svg', { filename: 'drawing.svg', mimetype: 'image/svg+xml' }, /not be recognised/],
    ['notes.txt', { filename: 'notes.png' }, /could not be recognised/],
    ['doc.pdf', { filename: 'doc.pdf' }, /^The file is application\/pdf \(\.pdf\)/],
    ['unknown.bin', {}, /could not be recognised/],
    ['empty.jpg', { filename: 'empty.jpg', mimetype: 'image/jpeg' }, /^The file is empty\.$/],
  ])('refuses %s (%o) as unsupported_type', async (name, claim, message) => {
    const error = await failure(sniffUpload(file(name), claim));
    expect(error.failure).toBe('unsupported_type');
    expect(error.message).toMatch(message);
  });

  it.each([
    ['gps.png', { filename: 'x.mp4' }, 'The file is a PNG image but its name says .mp4.'],
    [
      'gps.jpg',
      { mimetype: 'image/png' },
      'The file is a JPEG image but it was sent as image/png.',
    ],
    [
      'gps.jpg',
      { filename: 'x.html', mimetype: 'image/jpeg' },
      'The file is a JPEG image but its name ends in .html, which is not an image or video extension.',
    ],
    ['gps.jpg', { filename: 'x.svg' }, /name ends in \.svg/],
    ['gps.jpg', { filename: 'setup.jpg.exe' }, /name ends in \.exe/],
    ['gps.jpg', { filename: 'x.jpg', mimetype: 'text/html' }, /sent as text\/html/],
    [
      'clip3.mp4',
      { filename: 'x.webm', mimetype: 'video/mp4' },
      /an MP4 video but its name says \.webm/,
    ],
    [
      'clip3.webm',
      { filename: 'x.webm', mimetype: 'video/mp4' },
      /a WebM video but it was sent as video\/mp4/,
    ],
    ['clip05.mov', { filename: 'x.mp4' }, /a QuickTime \(MOV\) video but its name says \.mp4/],
    ['anim.gif', { filename: 'x.webp' }, /a GIF image but its name says \.webp/],
  ])('refuses %s (%o) as type_mismatch', async (name, claim, message) => {
    const error = await failure(sniffUpload(file(name), claim));
    expect(error.failure).toBe('type_mismatch');
    expect(error.message).toMatch(message);
  });
});

describe('processImage', () => {
  const options = { maxPixels: 50e6 };

  it.each([
    ['gps.jpg', 'jpeg', 640, 480],
    ['gps.png', 'png', 300, 200],
    ['gps.webp', 'webp', 300, 200],
  ] as const)('stores %s without its EXIF (GPS) or XMP', async (name, format, width, height) => {
    const before = await sharp(file(name)).metadata();
    expect(before.exif?.includes('TestCamera')).toBe(true);
    expect(hasGpsLatitude(before.exif!)).toBe(true);
    expect(before.xmpAsString).toContain('Secret Person');

    const result = await processImage(file(name), sniffedOf[format], workDir, options);

    expect(path.dirname(result.storedPath)).toBe(workDir);
    expect(result.storedPath.endsWith(`.${sniffedOf[format].ext}`)).toBe(true);
    const after = await sharp(result.storedPath).metadata();
    expect(after.format).toBe(format);
    expect([after.width, after.height]).toEqual([width, height]);
    expect([result.width, result.height]).toEqual([width, height]);
    expect(after.exif).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(after.iptc).toBeUndefined();
    expect(after.orientation).toBeUndefined();
    // Not just unparsed: the bytes are not in the file at all.
    const bytes = await fs.readFile(result.storedPath);
    for (const secret of ['TestCamera', 'Spy 3000', 'Secret Person', 'xmpmeta', 'Exif']) {
      expect(bytes.includes(secret)).toBe(false);
    }
    expect(hasGpsLatitude(bytes)).toBe(false);
    expect(result.storedSize).toBe(bytes.length);
    if (format !== 'jpeg') expect(after.hasAlpha).toBe(true);

    const thumb = await sharp(result.thumbPath).metadata();
    expect(thumb.format).toBe('webp');
    expect(thumb.exif).toBeUndefined();
    expect([thumb.width, thumb.height]).toEqual([result.thumbWidth, result.thumbHeight]);
    expect(result.thumbSize).toBe((await fs.stat(result.thumbPath)).size);
    expect((await workFiles()).sort()).toEqual(
      [path.basename(result.storedPath), path.basename(result.thumbPath)].sort(),
    );
  });

  it('fits the thumbnail of a large image in 480×480 and keeps the stored copy full size', async () => {
    const result = await processImage(file('large.jpg'), JPEG, workDir, options);
    expect([result.width, result.height]).toEqual([4000, 3000]);
    expect([result.thumbWidth, result.thumbHeight]).toEqual([480, 360]);
    const thumb = await sharp(result.thumbPath).metadata();
    expect([thumb.width, thumb.height]).toEqual([480, 360]);
  });

  it('never enlarges the thumbnail of a small image', async () => {
    const result = await processImage(file('small.png'), PNG, workDir, options);
    expect([result.width, result.height, result.thumbWidth, result.thumbHeight]).toEqual([
      200, 100, 200, 100,
    ]);
  });

  it('turns an EXIF-rotated JPEG upright and reports the turned size', async () => {
    const before = await sharp(file('oriented.jpg')).metadata();
    expect([before.width, before.height, before.orientation]).toEqual([300, 100, 6]);

    const result = await processImage(file('oriented.jpg'), JPEG, workDir, options);

    expect([result.width, result.height]).toEqual([100, 300]);
    expect([result.thumbWidth, result.thumbHeight]).toEqual([100, 300]);
    const after = await sharp(result.storedPath).metadata();
    expect([after.width, after.height, after.orientation]).toEqual([100, 300, undefined]);
    // The pixels were turned, not just the tag dropped: red on top, blue at the bottom.
    for (const image of [result.storedPath, result.thumbPath]) {
      const [top, bottom] = [await pixel(image, 50, 20), await pixel(image, 50, 280)];
      expect(top[0]).toBeGreaterThan(200);
      expect(top[2]).toBeLessThan(60);
      expect(bottom[0]).toBeLessThan(60);
      expect(bottom[2]).toBeGreaterThan(200);
    }
  });

  it.each([
    ['anim.gif', 'gif'],
    ['anim.webp', 'webp'],
  ] as const)('keeps the animation of %s, thumbnails its first frame', async (name, format) => {
    const result = await processImage(file(name), sniffedOf[format], workDir, options);
    expect([result.width, result.height]).toEqual([100, 80]);
    const stored = await sharp(result.storedPath).metadata();
    expect(stored.format).toBe(format);
    expect(stored.pages).toBe(3);
    expect(stored.delay).toEqual([100, 200, 300]);
    expect(stored.loop).toBe(0);
    const thumb = await sharp(result.thumbPath).metadata();
    expect(thumb.pages ?? 1).toBe(1);
    expect([result.thumbWidth, result.thumbHeight]).toEqual([100, 80]);
    const [r, g, b] = await pixel(result.thumbPath, 50, 40);
    expect(r).toBeGreaterThan(200); // the first frame is the red one
    expect(g + b).toBeLessThan(80);
  });

  it('refuses a 20000×20000 PNG bomb from its header, quickly', async () => {
    const size = (await fs.stat(file('bomb.png'))).size;
    expect(size).toBeLessThan(200_000);
    const started = performance.now();
    const error = await failure(processImage(file('bomb.png'), PNG, workDir, { maxPixels: 50e6 }));
    expect(error.failure).toBe('too_many_pixels');
    expect(error.message).toBe('The image is too large: at most 50 million pixels are allowed.');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await workFiles()).toEqual([]);
  });

  it('counts every frame of an animation against the pixel limit', async () => {
    // 100×80 per frame, 3 frames: 24000 pixels in all, 8000 in each.
    const error = await failure(
      processImage(file('anim.gif'), GIF, workDir, { maxPixels: 23_999 }),
    );
    expect(error.failure).toBe('too_many_pixels');
    expect(error.message).toBe(
      'The image is too large: at most 23999 pixels are allowed (this one is 100×80 × 3 frames).',
    );
    expect(await workFiles()).toEqual([]);
    await expect(
      processImage(file('anim.gif'), GIF, workDir, { maxPixels: 24_000 }),
    ).resolves.toMatchObject({ width: 100, height: 80 });
  });

  it.each([
    ['truncated.jpg', JPEG],
    ['truncated.png', PNG],
    ['polyglot.gif', GIF],
    ['gps.png', JPEG], // sniffed as one type, decodes as another
  ])('refuses %s as broken_media and leaves nothing behind', async (name, sniffed) => {
    const error = await failure(processImage(file(name), sniffed, workDir, options));
    expect(error.failure).toBe('broken_media');
    expect(error.message).toBe('The image is damaged or incomplete and cannot be read.');
    expect(await workFiles()).toEqual([]);
  });
});

describe('resolveFfmpegTools', () => {
  let binA: string;
  let binB: string;
  beforeAll(async () => {
    binA = path.join(base, 'bin-a');
    binB = path.join(base, 'bin-b');
    await Promise.all([fs.mkdir(binA), fs.mkdir(binB)]);
    // In the first directory: an ffmpeg that cannot be run and an ffprobe that is a directory.
    await fs.writeFile(path.join(binA, 'ffmpeg'), '#!/bin/sh\n', { mode: 0o644 });
    await fs.mkdir(path.join(binA, 'ffprobe'));
    for (const name of ['ffmpeg', 'ffprobe']) {
      await fs.writeFile(path.join(binB, name), '#!/bin/sh\n', { mode: 0o755 });
    }
  });

  it('takes the first executable file of each name on the PATH', () => {
    expect(resolveFfmpegTools({ pathEnv: `:relative/bin:${binA}:${binB}` })).toEqual({
      ffmpeg: path.join(binB, 'ffmpeg'),
      ffprobe: path.join(binB, 'ffprobe'),
      source: { ffmpeg: 'PATH', ffprobe: 'PATH' },
    });
  });

  it('prefers an explicit path to the PATH, for each tool on its own', () => {
    expect(resolveFfmpegTools({ ffprobePath: npmFfprobe, pathEnv: binB })).toEqual({
      ffmpeg: path.join(binB, 'ffmpeg'),
      ffprobe: npmFfprobe,
      source: { ffmpeg: 'PATH', ffprobe: 'FFPROBE_PATH' },
    });
    expect(resolveFfmpegTools({ ffmpegPath: npmFfmpeg, pathEnv: binB }).source).toEqual({
      ffmpeg: 'FFMPEG_PATH',
      ffprobe: 'PATH',
    });
  });

  it('falls back to the npm packages when neither is given nor on the PATH', () => {
    expect(resolveFfmpegTools({ pathEnv: '' })).toEqual({
      ffmpeg: npmFfmpeg,
      ffprobe: npmFfprobe,
      source: { ffmpeg: 'npm package', ffprobe: 'npm package' },
    });
    expect(resolveFfmpegTools({ pathEnv: binA }).source).toEqual({
      ffmpeg: 'npm package',
      ffprobe: 'npm package',
    });
  });

  it('refuses an explicit path that cannot be run, naming the variable', () => {
    expect(() =>
      resolveFfmpegTools({ ffmpegPath: path.join(base, 'nope'), pathEnv: binB }),
    ).toThrow(`FFMPEG_PATH is set to "${path.join(base, 'nope')}", but that file does not exist`);
    expect(() =>
      resolveFfmpegTools({ ffprobePath: path.join(binA, 'ffmpeg'), pathEnv: binB }),
    ).toThrow(/^FFPROBE_PATH is set to ".*", but that file is not executable$/);
    expect(() => resolveFfmpegTools({ ffprobePath: binB })).toThrow(
      /^FFPROBE_PATH .* not a regular file$/,
    );
  });
});

const systemTools = resolveFfmpegTools({});
const npmTools = resolveFfmpegTools({ pathEnv: '' });

describe.each([
  [`system (${systemTools.source.ffmpeg}: ${systemTools.ffmpeg})`, systemTools],
  ['npm package', npmTools],
] as [string, FfmpegTools][])('processVideo with the %s tools', (_name, tools) => {
  const options = { maxDurationSeconds: 60, maxPixels: 50e6 };

  it('uses the tools it was given', () => {
    if (tools === npmTools) {
      expect(tools.source).toEqual({ ffmpeg: 'npm package', ffprobe: 'npm package' });
    }
    expect(existsSync(tools.ffmpeg) && existsSync(tools.ffprobe)).toBe(true);
  });

  it.each([
    ['clip05.mp4', 500],
    ['clip3.mp4', 3000],
    ['clip3.webm', 3000],
    ['clip05.mov', 500],
  ])('reads %s and makes its cover', async (name, durationMs) => {
    const result = await processVideo(file(name), workDir, tools, options);
    expect(result).toMatchObject({ width: 320, height: 240, coverWidth: 320, coverHeight: 240 });
    expect(Math.abs(result.durationMs - durationMs)).toBeLessThanOrEqual(60);
    expect(path.dirname(result.coverPath)).toBe(workDir);
    const cover = await sharp(result.coverPath).metadata();
    expect([cover.format, cover.width, cover.height]).toEqual(['jpeg', 320, 240]);
    expect(result.coverSize).toBe((await fs.stat(result.coverPath)).size);
    expect((await workFiles()).sort()).toEqual(
      [path.basename(result.coverPath), path.basename(result.storedPath)].sort(),
    );
    // The stored copy is the same video, remuxed without global metadata.
    expect(path.dirname(result.storedPath)).toBe(workDir);
    expect(result.storedSize).toBe((await fs.stat(result.storedPath)).size);
    const again = await processVideo(result.storedPath, workDir, tools, options);
    expect(Math.abs(again.durationMs - result.durationMs)).toBeLessThanOrEqual(60);
    await fs.rm(again.coverPath);
    await fs.rm(again.storedPath);
  });

  it('drops location and other global metadata from the stored video', async () => {
    const tagged = path.join(workDir, 'tagged.mp4');
    await ffmpeg(
      ...[
        '-i',
        file('clip05.mp4'),
        '-c',
        'copy',
        '-metadata',
        'location=+31.2304+121.4737/',
        '-metadata',
        'comment=shot on a phone',
        tagged,
      ],
    );
    const tagsOf = async (video: string) =>
      (
        await run(npmFfprobe, [
          '-v',
          'error',
          '-show_format',
          '-show_streams',
          '-of',
          'json',
          video,
        ])
      ).stdout;
    expect(await tagsOf(tagged)).toContain('+31.2304+121.4737');
    const result = await processVideo(tagged, workDir, tools, options);
    const stored = await tagsOf(result.storedPath);
    expect(stored).not.toContain('+31.2304');
    expect(stored).not.toContain('shot on a phone');
    await fs.rm(tagged);
    await fs.rm(result.coverPath);
    await fs.rm(result.storedPath);
  });

  it('takes the cover at 1 s of a longer clip, and the first frame of a short one', async () => {
    // Red for 1 s, then blue: the frame at 1 s is blue.
    const long = await processVideo(file('red-then-blue-3s.mp4'), workDir, tools, options);
    const [r1, , b1] = await pixel(long.coverPath, 160, 120);
    expect(b1).toBeGreaterThan(200);
    expect(r1).toBeLessThan(60);
    // 0.5 s: red for 0.2 s, then blue; the cover is the first (red) frame.
    const short = await processVideo(file('red-then-blue-05s.mp4'), workDir, tools, options);
    const [r0, , b0] = await pixel(short.coverPath, 160, 120);
    expect(r0).toBeGreaterThan(200);
    expect(b0).toBeLessThan(60);
  });

  it('swaps width and height of a video turned a quarter, and turns its cover', async () => {
    const result = await processVideo(file('rotated.mp4'), workDir, tools, options);
    expect(result).toMatchObject({ width: 240, height: 320, coverWidth: 240, coverHeight: 320 });
  });

  it('fits the cover of a large video in 960×960 with even sides', async () => {
    const result = await processVideo(file('wide.mp4'), workDir, tools, options);
    expect(result).toMatchObject({ width: 1280, height: 722, coverWidth: 960, coverHeight: 540 });
  });

  it('writes a new cover on every call, and reads any file name', async () => {
    const [a, b] = await Promise.all([
      processVideo(file('clip05.mp4'), workDir, tools, options),
      processVideo(file('named 50%d.mp4'), workDir, tools, options),
    ]);
    expect(a.coverPath).not.toBe(b.coverPath);
    expect((await workFiles()).sort()).toEqual(
      [a.coverPath, b.coverPath, a.storedPath, b.storedPath].map((p) => path.basename(p)).sort(),
    );
  });

  it('refuses a video longer than allowed', async () => {
    const error = await failure(
      processVideo(file('clip3.mp4'), workDir, tools, { ...options, maxDurationSeconds: 2 }),
    );
    expect(error.failure).toBe('too_long');
    expect(error.message).toBe('The video lasts 3 s; at most 2 s are allowed.');
    expect(await workFiles()).toEqual([]);
  });

  it('refuses a video whose frames have more pixels than allowed, before decoding them', async () => {
    // 320×240 is 76,800 pixels: over a cap of 50,000, the decoder refuses the frame's size.
    const error = await failure(
      processVideo(file('clip3.mp4'), workDir, tools, { ...options, maxPixels: 50_000 }),
    );
    expect(error.failure).toBe('video_too_large');
    expect(error.message).toBe('A frame of the video has more than 0.1 megapixels.');
    expect(await workFiles()).toEqual([]);
  });

  it('refuses several video streams that are too large together', async () => {
    const two = path.join(workDir, 'two-streams.mp4');
    await ffmpeg(
      '-i',
      file('clip05.mp4'),
      '-i',
      file('clip05.mp4'),
      '-map',
      '0:v',
      '-map',
      '1:v',
      '-c',
      'copy',
      two,
    );
    // Each stream is 76,800 pixels, under the cap of 100,000; both together are not.
    const error = await failure(
      processVideo(two, workDir, tools, { ...options, maxPixels: 100_000 }),
    );
    expect(error.failure).toBe('video_too_large');
    expect(error.message).toMatch(/streams have 0\.2 megapixels a frame together/);
    await fs.rm(two);
    expect(await workFiles()).toEqual([]);
  });

  it('refuses a video with more pixels times frames than 4K at 60 fps for the longest allowed', async () => {
    // 1000×1000 at 500 frames a second for 1 s: 500 million pixels; the bound for 1 s is 498.
    const fast = path.join(workDir, 'fast.mp4');
    await ffmpeg(
      ...[
        '-f',
        'lavfi',
        '-i',
        'color=black:s=1000x1000:d=1:r=500',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        fast,
      ],
    );
    const error = await failure(
      processVideo(fast, workDir, tools, { ...options, maxDurationSeconds: 1 }),
    );
    expect(error.failure).toBe('video_too_large');
    expect(error.message).toMatch(/500 frames of 1 megapixels/);
    await fs.rm(fast);
  });

  it.each([
    // moov at the end: ffprobe fails.
    ['clip3-30pc.mp4', /cannot be read/],
    // moov first: ffprobe reads it, but there is no frame at 1 s and ffmpeg writes nothing.
    ['clip3-faststart-30pc.mp4', /no picture could be read/],
    ['sound-only.mp4', /^The file contains no video\.$/],
    ['gps.jpg', /cannot be read/],
  ])('refuses %s as broken_media and leaves no cover', async (name, message) => {
    const error = await failure(processVideo(file(name), workDir, tools, options));
    expect(error.failure).toBe('broken_media');
    expect(error.message).toMatch(message);
    expect(await workFiles()).toEqual([]);
  });
});
