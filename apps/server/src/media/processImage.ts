import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { MediaError, type ProcessedImage, type SniffedMedia } from './mediaTypes.js';

const THUMB_BOX = 480;

/** The sharp decoder name of each accepted image type. */
const sharpFormat = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
} as const;

/**
 * Makes the copy of an uploaded image that is stored and served, and its thumbnail, in `workDir`
 * (unique names). The copy is auto-oriented, has every piece of metadata removed (EXIF with GPS,
 * XMP, IPTC, ICC profile: sharp converts to sRGB and keeps nothing unless asked to), keeps its
 * type and its animation. The thumbnail is a WebP of the first frame that fits in 480×480 and is
 * never enlarged.
 *
 * Throws MediaError 'too_many_pixels' when width × height × frames exceeds `maxPixels` (checked
 * from the header, before any pixel is decoded) and 'broken_media' when the image cannot be
 * decoded, leaving nothing behind in `workDir`.
 */
export async function processImage(
  input: string,
  sniffed: SniffedMedia,
  workDir: string,
  options: { maxPixels: number },
): Promise<ProcessedImage> {
  if (!(sniffed.mime in sharpFormat)) {
    throw new TypeError(`processImage was given ${sniffed.mime}, which is not an image type`);
  }
  const format = sharpFormat[sniffed.mime as keyof typeof sharpFormat];
  const limitInputPixels = options.maxPixels;

  let meta: Metadata;
  try {
    // Reads the header only; sharp also refuses a first frame above the limit here.
    meta = await sharp(input, { limitInputPixels }).metadata();
  } catch (error) {
    throw decodeFailure(error, options.maxPixels);
  }
  if (meta.format !== format || !(meta.width > 0) || !(meta.height > 0)) {
    throw brokenImage(new Error(`sharp read ${meta.format} ${meta.width}×${meta.height}`));
  }
  const frames = meta.pages ?? 1;
  const animated = frames > 1;
  // Without `pages`, sharp reports the size of one frame.
  const pixels = meta.width * meta.height * frames;
  if (pixels > options.maxPixels) {
    const size = `${meta.width}×${meta.height}${animated ? ` × ${frames} frames` : ''}`;
    throw tooManyPixels(options.maxPixels, size);
  }

  // sharp cannot rotate multi-page images; their frames are stored as they are.
  const autoOrient = !animated;
  const id = randomUUID();
  const storedPath = path.join(workDir, `${id}.${sniffed.ext}`);
  const thumbPath = path.join(workDir, `${id}-thumb.webp`);

  try {
    // No keepMetadata/withMetadata/keepExif: sharp writes no EXIF, XMP, IPTC or ICC profile.
    const stored = await sharp(input, { limitInputPixels, animated, autoOrient })
      .toFormat(format, format === 'jpeg' || format === 'webp' ? { quality: 90 } : {})
      .toFile(storedPath);
    const thumb = await sharp(input, { limitInputPixels, autoOrient })
      .resize(THUMB_BOX, THUMB_BOX, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toFile(thumbPath);
    const [storedStat, thumbStat] = await Promise.all([fs.stat(storedPath), fs.stat(thumbPath)]);
    return {
      width: stored.width,
      // For an animation, `height` is that of all frames stacked.
      height: stored.pageHeight ?? stored.height,
      storedPath,
      storedSize: storedStat.size,
      thumbPath,
      thumbWidth: thumb.width,
      thumbHeight: thumb.height,
      thumbSize: thumbStat.size,
    };
  } catch (error) {
    // sharp leaves a partly written file behind when decoding fails half-way.
    await Promise.all([fs.rm(storedPath, { force: true }), fs.rm(thumbPath, { force: true })]);
    throw decodeFailure(error, options.maxPixels);
  }
}

function decodeFailure(error: unknown, maxPixels: number): MediaError {
  if (error instanceof MediaError) return error;
  if (error instanceof Error && /pixel limit/i.test(error.message)) {
    const failure = tooManyPixels(maxPixels);
    failure.cause = error;
    return failure;
  }
  return brokenImage(error);
}

function brokenImage(cause: unknown): MediaError {
  const failure = new MediaError(
    'broken_media',
    'The image is damaged or incomplete and cannot be read.',
  );
  failure.cause = cause;
  return failure;
}

function tooManyPixels(maxPixels: number, size?: string): MediaError {
  return new MediaError(
    'too_many_pixels',
    `The image is too large: at most ${formatPixels(maxPixels)} pixels are allowed` +
      (size === undefined ? '.' : ` (this one is ${size}).`),
  );
}

function formatPixels(pixels: number): string {
  return pixels >= 1e6 ? `${Math.round(pixels / 1e5) / 10} million` : String(pixels);
}
