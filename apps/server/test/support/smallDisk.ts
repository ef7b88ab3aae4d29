import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A real, tiny file system (tmpfs) mounted on a folder, which a test fills to the last byte so
 * that writes fail with ENOSPC as on a full disk. Mounting needs root (CAP_SYS_ADMIN).
 */
export interface SmallDisk {
  dir: string;
  /**
   * Writes a filler file until the file system refuses with ENOSPC, then gives back
   * `leaveFreeBytes` (rounded up to whole pages by tmpfs).
   */
  fill(leaveFreeBytes?: number): Promise<void>;
  /** Removes the filler: room again. */
  free(): Promise<void>;
  /** Unmounts; the folder itself is left for the caller. */
  unmount(): Promise<void>;
}

/** True when this process may mount a tmpfs (it runs as root with the capability). */
export async function canMountTmpfs(): Promise<boolean> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = await fs.mkdtemp(path.join(os.tmpdir(), 'ss-mount-probe-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
    await run('umount', [probe]);
    return true;
  } catch {
    return false;
  } finally {
    await fs.rm(probe, { recursive: true, force: true });
  }
}

export async function mountSmallDisk(dir: string, sizeBytes: number): Promise<SmallDisk> {
  await fs.mkdir(dir, { recursive: true });
  await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir]);
  const filler = path.join(dir, 'filler.bin');
  let mounted = true;
  return {
    dir,
    async fill(leaveFreeBytes = 0) {
      const chunk = Buffer.alloc(64 * 1024, 1);
      const handle = await fs.open(filler, 'a');
      try {
        for (;;) await handle.write(chunk);
      } catch (error) {
        if ((error as { code?: string }).code !== 'ENOSPC') throw error;
      } finally {
        await handle.close();
      }
      // Page by page: the last partial chunk may have left a little room.
      const small = await fs.open(filler, 'a');
      try {
        for (;;) await small.write(Buffer.alloc(512, 1));
      } catch (error) {
        if ((error as { code?: string }).code !== 'ENOSPC') throw error;
      } finally {
        await small.close();
      }
      if (leaveFreeBytes > 0) {
        const { size } = await fs.stat(filler);
        await fs.truncate(filler, Math.max(0, size - leaveFreeBytes));
      }
    },
    async free() {
      await fs.rm(filler, { force: true });
    },
    async unmount() {
      if (!mounted) return;
      mounted = false;
      await run('umount', [dir]).catch(() => run('umount', ['-l', dir]));
    },
  };
}
