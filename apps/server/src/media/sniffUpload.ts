import fs from 'node:fs/promises';
import { fileTypeFromFile } from 'file-type';
import { type AcceptedMime, acceptedMedia, MediaError, type SniffedMedia } from './mediaTypes.js';

/** How each accepted type is named to a person: "The file is a PNG image but ...". */
const described: Record<AcceptedMime, string> = {
  'image/jpeg': 'a JPEG image',
  'image/png': 'a PNG image',
  'image/gif': 'a GIF image',
  'image/webp': 'a WebP image',
  'video/mp4': 'an MP4 video',
  'video/quicktime': 'a QuickTime (MOV) video',
  'video/webm': 'a WebM video',
};

const ACCEPTED_LIST = 'JPEG, PNG, GIF or WebP images and MP4, MOV or WebM videos';

/**
 * Other names for the accepted types, in declared types and in what file-type reports. APNG is a
 * PNG (older readers, sharp included, show its first frame); M4V is an MP4 with another brand.
 */
const mimeAliases = new Map<string, AcceptedMime>([
  ['image/jpg', 'image/jpeg'],
  ['image/pjpeg', 'image/jpeg'],
  ['image/x-png', 'image/png'],
  ['image/apng', 'image/png'],
  ['video/mov', 'video/quicktime'],
  ['video/x-m4v', 'video/mp4'],
]);

/** File-name extensions of media types; anything else is not a media extension. */
const extensionMime = new Map<string, AcceptedMime>([
  ['jpg', 'image/jpeg'],
  ['jpeg', 'image/jpeg'],
  ['jpe', 'image/jpeg'],
  ['jfif', 'image/jpeg'],
  ['png', 'image/png'],
  ['apng', 'image/png'],
  ['gif', 'image/gif'],
  ['webp', 'image/webp'],
  ['mp4', 'video/mp4'],
  ['m4v', 'video/mp4'],
  ['mov', 'video/quicktime'],
  ['qt', 'video/quicktime'],
  ['webm', 'video/webm'],
]);

/** Declared types that say nothing about the content. */
const noClaimMimes = new Set(['', 'application/octet-stream', 'binary/octet-stream']);

function accepted(mime: string): AcceptedMime | null {
  const normal = mimeAliases.get(mime) ?? mime;
  return Object.hasOwn(acceptedMedia, normal) ? (normal as AcceptedMime) : null;
}

/**
 * The extension of an uploaded file name, lower case, or null when it has none. Only a short
 * run of letters and digits after the last dot counts ("photo.JPG" → "jpg"); "v1.2",
 * "Screenshot 10.15.32" or ".profile" have none.
 */
export function fileNameExtension(filename: string): string | null {
  const base = filename.trim().split(/[/\\]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return null;
  const ext = base.slice(dot + 1).toLowerCase();
  return /^[a-z0-9]{1,10}$/.test(ext) && /[a-z]/.test(ext) ? ext : null;
}

/**
 * Decides what an uploaded file is from its bytes, then checks that its name and declared type
 * do not say otherwise. Throws MediaError 'unsupported_type' for anything but the accepted types,
 * 'type_mismatch' when the claim contradicts the content.
 */
export async function sniffUpload(
  filePath: string,
  claim: { filename?: string; mimetype?: string },
): Promise<SniffedMedia> {
  const { size } = await fs.stat(filePath);
  if (size === 0) throw new MediaError('unsupported_type', 'The file is empty.');

  const detected = await fileTypeFromFile(filePath);
  if (detected === undefined) {
    throw new MediaError(
      'unsupported_type',
      `The file type could not be recognised. Only ${ACCEPTED_LIST} are accepted.`,
    );
  }
  const mime = accepted(detected.mime);
  if (mime === null) {
    throw new MediaError(
      'unsupported_type',
      `The file is ${detected.mime} (.${detected.ext}), which is not accepted. ` +
        `Only ${ACCEPTED_LIST} are accepted.`,
    );
  }
  const what = described[mime];

  const declared = (claim.mimetype ?? '').split(';')[0]!.trim().toLowerCase();
  if (!noClaimMimes.has(declared) && accepted(declared) !== mime) {
    throw new MediaError('type_mismatch', `The file is ${what} but it was sent as ${declared}.`);
  }

  const ext = claim.filename === undefined ? null : fileNameExtension(claim.filename);
  if (ext !== null && extensionMime.get(ext) !== mime) {
    throw new MediaError(
      'type_mismatch',
      extensionMime.has(ext)
        ? `The file is ${what} but its name says .${ext}.`
        : `The file is ${what} but its name ends in .${ext}, which is not an image or video extension.`,
    );
  }

  const { kind, ext: storedExt } = acceptedMedia[mime];
  return { mime, kind, ext: storedExt };
}
