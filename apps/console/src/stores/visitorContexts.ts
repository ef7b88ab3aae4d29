import { defineStore } from 'pinia';
import type { VisitorContext, VisitorUpdatedPayload } from '@servicesystem/protocol/wire';
import { api } from '../api/http';

/**
 * What the console knows of visitors' context (page, device, language, time zone), by visitor:
 * read when the panel shows a conversation, then kept current by `visitor.updated`.
 */
export const useVisitorContextsStore = defineStore('visitorContexts', {
  state: () => ({ byVisitor: {} as Record<string, VisitorContext> }),
  actions: {
    async load(conversationId: string): Promise<void> {
      const { visitorId, context } = await api.visitorContext(conversationId);
      this.byVisitor[visitorId] = context;
    },
    received({ visitorId, context }: VisitorUpdatedPayload): void {
      this.byVisitor[visitorId] = context;
    },
  },
});
