/**
 * The page's colours from a website's brand colour (`data-color`, plain hex only), each text
 * colour chosen to read at 4.5:1 (WCAG AA): the text on the brand colour is white or near-black,
 * whichever reads better, and the brand colour used as small text on the page is darkened as far
 * as it needs.
 */
type Rgb = [number, number, number];

function parseHex(color: string): Rgb | null {
  let hex = color.trim();
  if (/^#[0-9a-f]{3}$/i.test(hex)) hex = `#${[...hex.slice(1)].map((c) => c + c).join('')}`;
  if (!/^#[0-9a-f]{6}$/i.test(hex)) return null;
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as Rgb;
}

const toHex = (rgb: Rgb) =>
  `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;

/** Relative luminance, as WCAG 2 defines it. */
function luminance(rgb: Rgb): number {
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as Rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: Rgb, b: Rgb): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

const white: Rgb = [255, 255, 255];
const ink: Rgb = [29, 36, 51]; // --ss-text
const pageBackground: Rgb = [243, 245, 248]; // --ss-bg

/** The CSS variables for a brand colour, or null when it is not a plain hex colour. */
export function brandColorVariables(color: string): Record<string, string> | null {
  const rgb = parseHex(color);
  if (!rgb) return null;
  const hex = toHex(rgb);
  let text = rgb;
  for (let i = 0; i < 40 && contrast(text, pageBackground) < 4.5; i++) {
    text = text.map((c) => c * 0.92) as Rgb;
  }
  return {
    '--ss-primary': hex,
    '--ss-primary-soft': `${hex}1f`,
    '--ss-hover': `${hex}14`,
    '--ss-on-primary': contrast(white, rgb) >= contrast(ink, rgb) ? '#fff' : toHex(ink),
    '--ss-primary-text': toHex(text),
  };
}
