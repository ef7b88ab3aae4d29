/** What uploads may be, decided by content (magic bytes), never by name or declared type. */
export const acceptedMedia = {
  'image/jpeg': { kind: 'image', ext: 'jpg' },
  'image/png': { kind: 'image', ext: 'png' },
  'image/gif': { kind: 'image', ext: 'gif' },
  'image/webp': { kind: 'image', ext: 'webp' },
  'video/mp4': { kind: 'video', ext: 'mp4' },
  'video/quicktime': { kind: 'video', ext: 'mov' },
  'video/webm': { kind: 'video', ext: 'webm' },
} as const;

export type AcceptedMime = keyof typeof acceptedMedia;
export type MediaKind = (typeof acceptedMedia)[AcceptedMime]['kind'];

export interface SniffedMedia {
  mime: AcceptedMime;
  kind: MediaKind;
  /** The extension we store it under. */
  ext: string;
}

export type MediaFailure =
  /** Not one of the accepted types (SVG, HTML, PDF, unknown bytes...). HTTP 415. */
  | 'unsupported_type'
  /** The file name or the declared type says something else than the content. HTTP 415. */
  | 'type_mismatch'
  /** An image with more pixels than allowed (decompression bomb). HTTP 422. */
  | 'too_many_pixels'
  /**
   * A video whose frames have more pixels than an image may, or whose pixels times frames, or
   * several large video streams, would take more decoding than allowed (a decompression bomb).
   * HTTP 422.
   */
  | 'video_too_large'
  /** Content that cannot be decoded: truncated or corrupt image or video. HTTP 422. */
  | 'broken_media'
  /** A video longer than allowed. HTTP 422. */
  | 'too_long';

export class MediaError extends Error {
  override name = 'MediaError';
  constructor(
    readonly failure: MediaFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface ProcessedImage {
  width: number;
  height: number;
  /** The image to store: auto-oriented, metadata (EXIF, GPS, XMP, ICC comments) removed, same type. */
  storedPath: string;
  storedSize: number;
  /** A WebP thumbnail that fits in 480×480 (never enlarged). */
  thumbPath: string;
  thumbWidth: number;
  thumbHeight: number;
  thumbSize: number;
}

export interface ProcessedVideo {
  /** The video to store: the same streams copied into a fresh container without metadata
   * (phones write the place a clip was shot into it), indexed at the front for streaming. */
  storedPath: string;
  storedSize: number;
  width: number;
  height: number;
  durationMs: number;
  /** A JPEG cover frame (at 1 s, or the first frame of shorter clips) that fits in 960×960. */
  coverPath: string;
  coverWidth: number;
  coverHeight: number;
  coverSize: number;
}

export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string;
  /** Where each binary came from, for the start-up log. */
  source: { ffmpeg: ToolSource; ffprobe: ToolSource };
}

export type ToolSource = 'FFMPEG_PATH' | 'FFPROBE_PATH' | 'PATH' | 'npm package';
