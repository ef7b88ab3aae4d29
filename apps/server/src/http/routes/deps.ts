import type { DomainContext } from '../../domain/context.js';
import type { Publish } from '../../realtime/publisher.js';
import type { SessionCookieOptions } from '../authenticate.js';

/** What route plugins are given by the composition root. */
export interface RouteDeps {
  ctx: DomainContext;
  /** Sends events after their transaction committed. */
  publish: Publish;
  cookie: SessionCookieOptions;
  publicUrl: string;
}
