import type { DomainContext } from '../../domain/context.js';
import type { RunAction } from '../../domain/runner.js';
import type { SessionCookieOptions } from '../authenticate.js';

/** What route plugins are given by the composition root. */
export interface RouteDeps {
  ctx: DomainContext;
  /** Runs a domain action and publishes its events once it has committed. */
  run: RunAction;
  cookie: SessionCookieOptions;
  publicUrl: string;
}
