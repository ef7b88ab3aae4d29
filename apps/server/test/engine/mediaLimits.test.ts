import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveApp, type LiveApp } from '../support/liveApp.js';
import { filesUnder, video } from '../support/mediaFactory.js';

/**
 * Media work is bounded: a video's frames are held to the image pixel cap before anything is
 * decoded, and at most MEDIA_CONCURRENCY jobs run at once per node with MEDIA_QUEUE_LENGTH
 * waiting; past that an upload is refused at once (503, Retry-After) instead of piling up FFmpeg
 * processes and their memory.
 */
const dir = { path: '' };
const clips = { large: '', normal: '', noisy: '' };

beforeAll(async () => {
  dir.path = await fs.mkdtemp(path.join(os.tmpdir(), 'ss-media-limits-'));
  clips.large = path.join(dir.path, 'large.mp4');
  clips.normal = path.join(dir.path, 'normal.mp4');
  clips.noisy = path.join(dir.path, 'noisy.png');
  await Promise.all([
    video(clips.large, 1, 'mp4', '1600x900'),
    video(clips.normal, 3),
    // Noise does not compress: about 600 KB.
    sharp({
      create: {
        width: 460,
        height: 460,
        channels: 3,
        background: '#000',
        noise: { type: 'gaussian', mean: 128, sigma: 60 },
      },
    })
      .png()
      .toFile(clips.noisy),
  ]);
}, 60_000);
afterAll(() => fs.rm(dir.path, { recursive: true, force: true }));

async function upload(t: LiveApp, token: string, file: string) {
  const form = new FormData();
  const [type, name] = file.endsWith('.png')
    ? ['image/png', 'noise.png']
    : ['video/mp4', 'clip.mp4'];
  form.append('file', new Blob([await fs.readFile(file)], { type }), name);
  const response = await fetch(`${t.url}/api/v1/uploads`, {
    method: 'POST',
    body: form,
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as any,
  };
}

describe('media limits', () => {
  let t: LiveApp;
  afterAll(() => t?.close());

  it('refuses a video whose frames have more pixels than an image may, and keeps nothing', async () => {
    t = await startLiveApp({ MAX_IMAGE_MEGAPIXELS: '1' });
    const visitor = await t.visitor();
    // 1600×900 is 1.44 megapixels a frame.
    const answer = await upload(t, visitor.token, clips.large);
    expect(answer.status).toBe(422);
    expect(answer.body.error.code).toBe('VIDEO_TOO_LARGE');
    expect(answer.body.error.message).toBe('A frame of the video has more than 1 megapixels.');
    expect(await filesUnder(path.join(t.db.dataDir, 'files'))).toEqual([]);
    expect(await filesUnder(path.join(t.db.dataDir, 'tmp'))).toEqual([]);
    // A video within the cap is taken.
    expect((await upload(t, visitor.token, clips.normal)).status).toBe(201);
    await t.close();
  });

  it('runs one media job at a time with one waiting, and refuses the rest at once with Retry-After', async () => {
    t = await startLiveApp({ MEDIA_CONCURRENCY: '1', MEDIA_QUEUE_LENGTH: '1' });
    const visitor = await t.visitor();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => upload(t, visitor.token, clips.normal)),
    );
    const taken = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status === 503);
    expect(taken.length + refused.length).toBe(6);
    // The one that ran and the one that waited its turn.
    expect(taken.length).toBeGreaterThanOrEqual(2);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const a of refused) {
      expect(a.body.error.code).toBe('SERVICE_UNAVAILABLE');
      expect(Number(a.retryAfter)).toBeGreaterThan(0);
    }
    expect(t.app.ctx.media.slots.load).toEqual({ running: 0, waiting: 0 });
    // Once the work is done, the next upload is taken.
    expect((await upload(t, visitor.token, clips.normal)).status).toBe(201);
  });

  it('holds a visitor to files per 10 minutes and bytes a day, with 429 and Retry-After; agents get ten times more', async () => {
    await t.close();
    t = await startLiveApp({ VISITOR_UPLOADS_PER_10_MINUTES: '2', VISITOR_UPLOAD_MB_PER_DAY: '1' });
    const visitor = await t.visitor();
    expect((await upload(t, visitor.token, clips.normal)).status).toBe(201);
    expect((await upload(t, visitor.token, clips.normal)).status).toBe(201);
    const third = await upload(t, visitor.token, clips.normal);
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('RATE_LIMITED');
    expect(third.body.error.message).toMatch(/10 minutes/);
    expect(Number(third.retryAfter)).toBeGreaterThan(0);
    expect(Number(third.retryAfter)).toBeLessThanOrEqual(600);

    // Bytes: two files of about 600 KB go over 1 MB a day.
    const other = await t.visitor();
    expect((await fs.stat(clips.noisy)).size).toBeGreaterThan(520 * 1024);
    expect((await upload(t, other.token, clips.noisy)).status).toBe(201);
    const over = await upload(t, other.token, clips.noisy);
    expect(over.status).toBe(429);
    expect(over.body.error.message).toMatch(/allowance/);

    // An agent may send ten times as much.
    const agent = await t.agent();
    for (let i = 0; i < 3; i++) {
      expect((await upload(t, agent.token, clips.normal)).status).toBe(201);
    }
  });
});
