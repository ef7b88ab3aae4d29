import { defineStore } from 'pinia';
import type { VisitorContext, VisitorUpdatedPayload } from '@servicesystem/protocol/wire';
import { api } from '../api/http';

/** How many visitors' contexts the console keeps (the panel reads a missing one again). */
const keptVisitors = 200;

/**
 * What the console knows of visitors' context (page, device, language, time zone), by visitor:
 * read when the panel shows a conversation, then kept current by `visitor.updated`.
 */
export const useVisitorContextsStore = defineStore('visitorContexts', {
  state: () => ({
    byVisitor: {} as Record<string, VisitorContext>,
    /** The visitor the panel shows: never dropped. */
    shown: '',
  }),
  actions: {
    async load(conversationId: string): Promise<void> {
      const { visitorId, context } = await api.visitorContext(conversationId);
      this.byVisitor[visitorId] = context;
      this.shown = visitorId;
    },
    /** An administrator hears of every open conversation's visitor: the newest few are kept. */
    received({ visitorId, context }: VisitorUpdatedPayload): void {
      delete this.byVisitor[visitorId];
      this.byVisitor[visitorId] = context;
      const visitors = Object.keys(this.byVisitor);
      for (const old of visitors.slice(0, Math.max(0, visitors.length - keptVisitors))) {
        if (old !== this.shown) delete this.byVisitor[old];
      }
    },
  },
});
