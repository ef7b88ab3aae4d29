/** The longest side a photo keeps before upload. */
export const maxImageSide = 2048;

/**
 * Large photos are made smaller on the device before upload: drawn on a canvas with the long side
 * at most 2048 px and encoded as JPEG. GIFs (animation) and small images are sent as they are.
 */
export async function downscaleImage(file: File): Promise<{ blob: Blob; name: string }> {
  if (!file.type.startsWith('image/') || file.type === 'image/gif') {
    return { blob: file, name: file.name };
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    return { blob: file, name: file.name }; // let the server judge it
  }
  const { width, height } = bitmap;
  const scale = Math.min(1, maxImageSide / Math.max(width, height));
  if (scale === 1) {
    bitmap.close();
    return { blob: file, name: file.name };
  }
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const context = canvas.getContext('2d');
  if (!context) {
    bitmap.close();
    return { blob: file, name: file.name };
  }
  context.fillStyle = '#fff'; // JPEG has no transparency
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise<Blob | null>((resolve) =>
    canvas.toBlob(resolve, 'image/jpeg', 0.86),
  );
  if (!blob) return { blob: file, name: file.name };
  const base = file.name.replace(/\.[^.]*$/, '') || 'photo';
  return { blob, name: `${base}.jpg` };
}
