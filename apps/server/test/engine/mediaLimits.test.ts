import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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
const clips = { large: '', normal: '' };

beforeAll(async () => {
  dir.path = await fs.mkdtemp(path.join(os.tmpdir(), 'ss-media-limits-'));
  clips.large = path.join(dir.path, 'large.mp4');
  clips.normal = path.join(dir.path, 'normal.mp4');
  await Promise.all([video(clips.large, 1, 'mp4', '1600x900'), video(clips.normal, 3)]);
}, 60_000);
afterAll(() => fs.rm(dir.path, { recursive: true, force: true }));

async function upload(t: LiveApp, token: string, file: string) {
  const form = new FormData();
  form.append('file', new Blob([await fs.readFile(file)], { type: 'video/mp4' }), 'clip.mp4');
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
});
