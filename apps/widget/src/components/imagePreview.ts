/**
 * The full-screen picture viewer, loaded on the first tap on a picture (not with the page): Vant's
 * ImagePreview, with its styles but without Vant's icon font (the close button is drawn in CSS),
 * made usable without a pointer and readable by screen readers: the close button has a name and
 * takes the focus, Escape closes, the page behind is out of reach while it is open, and the focus
 * goes back to the picture that opened it.
 */
import { nextTick } from 'vue';
import { showImagePreview } from 'vant';
import 'vant/es/style/base.css';
import 'vant/es/loading/index.css';
import 'vant/es/overlay/index.css';
import 'vant/es/popup/index.css';
import 'vant/es/swipe/index.css';
import 'vant/es/swipe-item/index.css';
import 'vant/es/image/index.css';
import 'vant/es/image-preview/index.css';
import './imagePreview.css';

export interface PreviewWords {
  /** The picture's alternative text. */
  image: string;
  /** The close button's name. */
  close: string;
}

export async function openImagePreview(src: string, words: PreviewWords): Promise<void> {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const app = document.getElementById('app');
  let closeOnEscape: (event: KeyboardEvent) => void = () => undefined;
  // Vant draws the picture once it has measured the screen: each <img> gets its text as it comes.
  const named = new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (!(node instanceof Element)) continue;
        const images = node instanceof HTMLImageElement ? [node] : node.querySelectorAll('img');
        for (const img of images) img.alt = words.image;
      }
    }
  });
  const preview = showImagePreview({
    images: [src],
    closeable: true,
    showIndex: false,
    onClose: () => {
      named.disconnect();
      document.removeEventListener('keydown', closeOnEscape, true);
      if (app) app.inert = false;
      opener?.focus();
    },
  }) as { close(): void } | undefined;
  if (!preview) return;
  closeOnEscape = (event) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    preview.close();
  };
  document.addEventListener('keydown', closeOnEscape, true);
  if (app) app.inert = true;

  await nextTick();
  const root = [...document.querySelectorAll<HTMLElement>('.van-image-preview')].at(-1);
  if (!root) return;
  root.setAttribute('aria-modal', 'true');
  root.setAttribute('aria-label', words.image);
  for (const img of root.querySelectorAll('img')) img.alt = words.image;
  named.observe(root, { childList: true, subtree: true });
  // Tapping beside the picture still closes it; the named button below is the one to reach.
  const overlay = root.previousElementSibling;
  if (overlay?.classList.contains('van-overlay')) {
    overlay.removeAttribute('role');
    overlay.removeAttribute('tabindex');
  }
  const close = root.querySelector<HTMLElement>('.van-image-preview__close-icon');
  if (close) {
    close.setAttribute('aria-label', words.close);
    close.title = words.close;
    close.tabIndex = 0;
    close.onkeydown = (event) => {
      if (event.key !== 'Enter' && event.key !== ' ') return;
      event.preventDefault();
      close.click();
    };
    close.focus();
  }
}
