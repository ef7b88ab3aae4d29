import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** Debian's ffmpeg when installed, else the one the npm package ships. */
export async function ffmpegBinary(): Promise<string> {
  try {
    await fs.access('/usr/bin/ffmpeg');
    return '/usr/bin/ffmpeg';
  } catch {
    return (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  }
}

/** A JPEG carrying EXIF with a GPS position, like a phone photo. */
export async function jpegWithGps(file: string, width = 1200, height = 800): Promise<void> {
  await sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 40 } } })
    .jpeg()
    .withExif({
      IFD0: { Make: 'TestPhone', Model: 'T1' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '31/1 14/1 0/1',
        GPSLongitudeRef: 'E',
        GPSLongitude: '121/1 28/1 0/1',
      },
    })
    .toFile(file);
}

export async function png(file: string, width = 64, height = 64): Promise<void> {
  await sharp({ create: { width, height, channels: 4, background: '#3366ff80' } })
    .png()
    .toFile(file);
}

/** A cheap decompression bomb: a tiny PNG file that decodes to `side`² pixels. */
export async function pixelBomb(file: string, side = 12000): Promise<void> {
  await sharp({ create: { width: side, height: side, channels: 3, background: '#000' } })
    .png({ compressionLevel: 9 })
    .toFile(file);
}

/** A test-pattern video of `seconds`, as mp4 (H.264), webm or mov. */
export async function video(
  file: string,
  seconds: number,
  format: 'mp4' | 'webm' | 'mov' = 'mp4',
  size = '320x240',
): Promise<void> {
  const codec =
    format === 'webm'
      ? ['-c:v', 'libvpx', '-b:v', '200k']
      : ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];
  await run(await ffmpegBinary(), [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc=duration=${seconds}:size=${size}:rate=25`,
    ...codec,
    file,
  ]);
}

/** The first `fraction` of a file's bytes: a broken upload. */
export async function truncated(source: string, target: string, fraction = 0.3): Promise<void> {
  const bytes = await fs.readFile(source);
  await fs.writeFile(target, bytes.subarray(0, Math.floor(bytes.length * fraction)));
}

/** Every file under a folder, recursively (to prove nothing was left behind). */
export async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name))
      .sort();
  } catch {
    return [];
  }
}
