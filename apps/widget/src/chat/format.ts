import type { FileInfo } from '@servicesystem/protocol/wire';

/** The box a picture or a video cover is shown in, keeping its aspect ratio. */
export function mediaBox(file: Pick<FileInfo, 'width' | 'height'> | null, max = 220) {
  const width = file?.width || 4;
  const height = file?.height || 3;
  const scale = Math.min(max / width, max / height, 1.5);
  const w = Math.max(96, Math.round(width * scale));
  const h = Math.max(64, Math.round(height * scale));
  return { width: `${w}px`, height: `${Math.min(h, 320)}px` };
}

export function initial(name: string): string {
  return (Array.from(name.trim())[0] ?? '?').toUpperCase();
}
