import { onUnmounted, ref, type Ref } from 'vue';

/** The width below which the console lays out for a phone (the same as the CSS breakpoints). */
export const narrowQuery = '(max-width: 760px)';

/** True while the window is phone-narrow; for what CSS alone cannot change (label positions). */
export function useNarrow(): Ref<boolean> {
  const media = window.matchMedia(narrowQuery);
  const narrow = ref(media.matches);
  const update = (e: MediaQueryListEvent) => (narrow.value = e.matches);
  media.addEventListener('change', update);
  onUnmounted(() => media.removeEventListener('change', update));
  return narrow;
}
