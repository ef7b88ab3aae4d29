import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { type FfmpegTools, MediaError, type ProcessedVideo } from './mediaTypes.js';

const run = promisify(execFile);

const PROBE_TIMEOUT_MS = 30_000;
const COVER_TIMEOUT_MS = 60_000;
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
const COVER_BOX = 960;
/**
 * Address space for one FFmpeg or ffprobe run, in KiB (`ulimit -v`): a backstop under the pixel
 * checks, so that a file that still gets a decoder to allocate without bound fails alone instead
 * of taking the node's memory. A 4K cover takes about 180 MB resident under it.
 */
const MEMORY_LIMIT_KB = 1024 * 1024;
/** Decoder threads per run: each reserves memory, and covers need one frame. */
const DECODE_THREADS = '2';
/** What FFmpeg's decoders say when a picture is over `-max_pixels`. */
const overPixelCap = 'exceeds specified max pixel count';
/** The most decoding a video may ask for: 4K at 60 frames a second for as long as allowed. */
const PIXEL_RATE_LIMIT = 3840 * 2160 * 60;

/**
 * Input options for every run: read the upload through the file protocol only, and only as the
 * demuxers of the accepted types (mov/mp4 and matroska/webm). A crafted file then cannot make
 * ffmpeg fetch URLs or other local files (HLS/concat playlists and the like). Decoders refuse
 * pictures over `maxPixels` before allocating them (ffprobe decodes a frame or two to learn a
 * stream's format: a 144-megapixel PNG video cost it 470 MB and 4 s without this).
 */
function inputArgs(input: string, maxPixels: number): string[] {
  return [
    '-threads',
    DECODE_THREADS,
    '-max_pixels',
    String(maxPixels),
    '-protocol_whitelist',
    'file',
    '-format_whitelist',
    'mov,matroska',
    '-i',
    `file:${path.resolve(input)}`,
  ];
}

/**
 * Runs a tool under the address-space limit (a POSIX shell's `ulimit -v`, then `exec`: the tool
 * replaces the shell, so the timeout's SIGKILL reaches it).
 */
function bounded(binary: string, args: string[], timeout: number) {
  return run(
    '/bin/sh',
    ['-c', 'ulimit -v "$0" && exec "$@"', String(MEMORY_LIMIT_KB), binary, ...args],
    {
      timeout,
      killSignal: 'SIGKILL',
      maxBuffer: MAX_OUTPUT_BYTES,
      windowsHide: true,
    },
  );
}

/** Runs ffmpeg quietly on one upload (read through inputArgs), never asking anything. */
function ffmpeg(
  tools: FfmpegTools,
  before: string[],
  input: string,
  maxPixels: number,
  after: string[],
) {
  return bounded(
    tools.ffmpeg,
    ['-v', 'error', '-nostdin', '-n', ...before, ...inputArgs(input, maxPixels), ...after],
    COVER_TIMEOUT_MS,
  );
}

/** Fit in COVER_BOX×COVER_BOX keeping the aspect, never enlarge, even width and height. */
const coverScale =
  `scale='trunc(min(1,min(${COVER_BOX}/iw,${COVER_BOX}/ih))*iw/2)*2'` +
  `:'trunc(min(1,min(${COVER_BOX}/iw,${COVER_BOX}/ih))*ih/2)*2'`;

interface ProbeStream extends ProbeStreamRates {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  duration?: string;
  disposition?: { attached_pic?: number };
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number | string }[];
}

interface ProbeStreamRates {
  nb_frames?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
}

interface Probe {
  streams?: ProbeStream[];
  format?: { duration?: string; format_name?: string };
}

/**
 * Reads an uploaded video with ffprobe and makes its cover: a JPEG frame at 1 s (the first frame
 * for clips of 1 s or less) that fits in 960×960, written in `workDir` under a unique name.
 * Width and height are as displayed (swapped for a video rotated by ±90°).
 *
 * Throws MediaError 'broken_media' when the file cannot be read or has no video, 'too_long'
 * when it lasts longer than `maxDurationSeconds`; nothing is left behind in `workDir`.
 */
export async function processVideo(
  input: string,
  workDir: string,
  tools: FfmpegTools,
  options: {
    maxDurationSeconds: number;
    /** The most pixels one frame may have (the image cap), and all video streams together. */
    maxPixels: number;
    container?: 'mp4' | 'mov' | 'webm';
  },
): Promise<ProcessedVideo> {
  const { maxPixels } = options;
  let probe: Probe;
  let probeErrors: string;
  try {
    const { stdout, stderr } = await bounded(
      tools.ffprobe,
      [
        '-v',
        'error',
        '-print_format',
        'json',
        '-show_format',
        '-show_streams',
        ...inputArgs(input, maxPixels),
      ],
      PROBE_TIMEOUT_MS,
    );
    probe = JSON.parse(stdout) as Probe;
    probeErrors = stderr;
  } catch (error) {
    // Some decoders make ffprobe fail outright on a picture over max_pixels.
    if (String((error as { stderr?: unknown }).stderr ?? '').includes(overPixelCap)) {
      throw tooLarge(`A frame of the video has more than ${megapixels(maxPixels)} megapixels.`);
    }
    throw brokenVideo('The video is damaged or incomplete and cannot be read.', error);
  }

  const videos = (probe.streams ?? []).filter(
    (stream) => stream.codec_type === 'video' && stream.disposition?.attached_pic !== 1,
  );
  const video = videos[0];
  if (video === undefined) throw brokenVideo('The file contains no video.');
  // A decoder that refused a picture over max_pixels leaves the stream without a size.
  if (probeErrors.includes(overPixelCap)) {
    throw tooLarge(`A frame of the video has more than ${megapixels(maxPixels)} megapixels.`);
  }
  const codedWidth = video.width ?? 0;
  const codedHeight = video.height ?? 0;
  if (!(codedWidth > 0 && codedHeight > 0)) {
    throw brokenVideo('The video has no picture size and cannot be read.');
  }
  const allPixels = videos.reduce((sum, s) => sum + (s.width ?? 0) * (s.height ?? 0), 0);
  if (allPixels > maxPixels) {
    throw tooLarge(
      `The video's streams have ${megapixels(allPixels)} megapixels a frame together; at most ${megapixels(maxPixels)} are allowed.`,
    );
  }
  const quarterTurn = Math.abs(rotationOf(video)) % 180 === 90;
  const width = quarterTurn ? codedHeight : codedWidth;
  const height = quarterTurn ? codedWidth : codedHeight;

  const streamDuration = seconds(video.duration);
  const duration = seconds(probe.format?.duration) ?? streamDuration;
  if (duration === null) throw brokenVideo('The video has no duration and cannot be read.');
  if (duration > options.maxDurationSeconds) {
    throw new MediaError(
      'too_long',
      `The video lasts ${formatSeconds(duration)}; at most ${formatSeconds(options.maxDurationSeconds)} are allowed.`,
    );
  }

  const frames = frameCount(video, streamDuration ?? duration);
  if (codedWidth * codedHeight * frames > PIXEL_RATE_LIMIT * options.maxDurationSeconds) {
    throw tooLarge(
      `The video has ${frames} frames of ${megapixels(codedWidth * codedHeight)} megapixels: more than 4K at 60 frames a second for ${formatSeconds(options.maxDurationSeconds)}.`,
    );
  }

  // The picture may end before the sound: choose the frame from the video stream's own length.
  const coverAt = (streamDuration ?? duration) > 1 ? 1 : 0;
  const coverPath = path.join(workDir, `${randomUUID()}-cover.jpg`);
  try {
    await ffmpeg(tools, ['-ss', String(coverAt)], input, maxPixels, [
      '-map',
      `0:${video.index ?? 'v:0'}`,
      '-frames:v',
      '1',
      '-vf',
      coverScale,
      '-q:v',
      '3',
      '-an',
      '-sn',
      '-dn',
      // One JPEG in a plain file (the image2 muxer would read "%" in the path as a pattern).
      '-f',
      'mjpeg',
      `file:${path.resolve(coverPath)}`,
    ]);
    // A truncated file can make ffmpeg exit 0 without writing a frame.
    const { size } = await fs.stat(coverPath).catch(() => ({ size: 0 }));
    if (size === 0) {
      throw new Error(`ffmpeg wrote no frame at ${coverAt} s`);
    }
    const cover = await sharp(coverPath).metadata();
    if (cover.format !== 'jpeg') throw new Error(`ffmpeg wrote ${cover.format}, not jpeg`);
    const container =
      options.container ?? (probe.format?.format_name?.includes('webm') ? 'webm' : 'mp4');
    const stored = await withoutMetadata(input, workDir, tools, container, maxPixels);
    return {
      storedPath: stored.path,
      storedSize: stored.size,
      width,
      height,
      durationMs: Math.round(duration * 1000),
      coverPath,
      coverWidth: cover.width,
      coverHeight: cover.height,
      coverSize: size,
    };
  } catch (error) {
    await fs.rm(coverPath, { force: true });
    throw brokenVideo(
      'The video is damaged or incomplete: no picture could be read from it.',
      error,
    );
  }
}

/**
 * Copies the video and sound streams (no re-encoding) into a new container without the global
 * metadata and chapters, where phones keep GPS positions and device names; MP4/MOV get their
 * index at the front so playback can start before the whole file has arrived.
 */
async function withoutMetadata(
  input: string,
  workDir: string,
  tools: FfmpegTools,
  container: 'mp4' | 'mov' | 'webm',
  maxPixels: number,
): Promise<{ path: string; size: number }> {
  const output = path.join(workDir, `${randomUUID()}-stored.${container}`);
  try {
    await ffmpeg(tools, [], input, maxPixels, [
      '-map',
      '0:v',
      '-map',
      '0:a?',
      '-c',
      'copy',
      '-map_metadata',
      '-1',
      '-map_chapters',
      '-1',
      ...(container === 'webm' ? [] : ['-movflags', '+faststart']),
      '-f',
      container,
      `file:${path.resolve(output)}`,
    ]);
    const { size } = await fs.stat(output);
    if (size === 0) throw new Error('ffmpeg wrote an empty file');
    return { path: output, size };
  } catch (error) {
    await fs.rm(output, { force: true });
    throw error;
  }
}

/** Degrees of rotation: the old `rotate` tag, or the display matrix side data of newer ffprobe. */
function rotationOf(stream: ProbeStream): number {
  const tagged = Number(stream.tags?.rotate);
  if (Number.isFinite(tagged) && tagged !== 0) return tagged;
  for (const sideData of stream.side_data_list ?? []) {
    const rotation = Number(sideData.rotation);
    if (Number.isFinite(rotation) && rotation !== 0) return rotation;
  }
  return 0;
}

/** A positive number of seconds from ffprobe's text ("N/A" and zero give null). */
function seconds(value: string | undefined): number | null {
  const parsed = Number(value);
  return value !== undefined && Number.isFinite(parsed) && parsed > 0 ? parsed : null;
}

/** Frames in the stream: as counted in its header, else its length times its frame rate. */
function frameCount(stream: ProbeStream, durationSeconds: number): number {
  const counted = Number(stream.nb_frames);
  if (Number.isFinite(counted) && counted > 0) return counted;
  for (const rate of [stream.avg_frame_rate, stream.r_frame_rate]) {
    const [num, den] = (rate ?? '').split('/').map(Number);
    if (num! > 0 && den! > 0) return Math.ceil((durationSeconds * num!) / den!);
  }
  return Math.ceil(durationSeconds * 30);
}

function megapixels(pixels: number): string {
  return String(Math.round(pixels / 100_000) / 10);
}

function tooLarge(message: string): MediaError {
  return new MediaError('video_too_large', message);
}

function formatSeconds(value: number): string {
  return `${Math.round(value * 10) / 10} s`;
}

function brokenVideo(message: string, cause?: unknown): MediaError {
  const failure = new MediaError('broken_media', message);
  if (cause !== undefined) failure.cause = cause;
  return failure;
}
