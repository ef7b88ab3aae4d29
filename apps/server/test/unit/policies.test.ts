import { describe, expect, it } from 'vitest';
import type { ConversationsTable, FilesTable } from '../../src/db/schema.js';
import type { Actor } from '../../src/domain/context.js';
import { AppError } from '../../src/domain/errors.js';
import * as policies from '../../src/domain/policies.js';
import {
  accountPolicy,
  apiKeyPolicy,
  auditPolicy,
  labelPolicy,
  privacyPolicy,
  authorize,
  authorizeCaller,
  callers,
  channelPolicy,
  conversationPolicy,
  notePolicy,
  filePolicy,
  roleOf,
  savedReplyPolicy,
  webhookPolicy,
} from '../../src/domain/policies.js';
import {
  adminActor,
  agentActor,
  conversationRow,
  fileRow,
  visitorActor,
} from '../support/factories.js';

/**
 * Every rule of policies.ts as a table: for each rule and each situation, exactly who is allowed.
 * Each test computes the whole table from the rules and compares it with the expected one, so a
 * failure shows the situations that changed. A rule without a table fails the first test.
 */

/** Which of `who` a rule allows, in the order given. */
function allowed<W extends string>(
  who: Record<W, Actor | undefined>,
  rule: (actor: Actor | undefined) => boolean,
): W[] {
  return (Object.keys(who) as W[]).filter((name) => rule(who[name]));
}

describe('policies.ts', () => {
  it('has a table below for every rule it exports', () => {
    const covered = {
      accountPolicy: ['editSelf', 'listPresence', 'manage', 'setOwnStatus'],
      auditPolicy: ['read'],
      authorize: 'function',
      authorizeCaller: 'function',
      callers: Object.keys(callerRules).sort(),
      channelPolicy: ['list', 'manage', 'readSecret'],
      conversationPolicy: Object.keys(conversationRules).sort(),
      filePolicy: ['attach', 'readDirectly', 'upload'],
      notePolicy: Object.keys(noteRules).sort(),
      labelPolicy: ['list', 'manage'],
      privacyPolicy: ['manage'],
      roleOf: 'function',
      savedReplyPolicy: ['create', 'list', 'manage', 'see'],
      apiKeyPolicy: ['manage'],
      webhookPolicy: ['manage'],
    };
    const exported = Object.fromEntries(
      Object.entries(policies).map(([name, value]) => [
        name,
        typeof value === 'function' ? 'function' : Object.keys(value as object).sort(),
      ]),
    );
    expect(exported).toEqual(covered);
  });
});

// ---- routes and socket events: which callers may use them at all
type Caller = 'admin' | 'agent' | 'visitor' | 'nobody';
type Outcome = 'ok' | 'UNAUTHENTICATED' | 'FORBIDDEN';
const callersByName: Record<Caller, Actor | undefined> = {
  admin: adminActor(),
  agent: agentActor(),
  visitor: visitorActor(),
  nobody: undefined,
};

/**
 * For each set of roles: what each caller gets on a request, and on a socket where that differs.
 * Nobody, or a credential of the wrong kind on a request, needs another credential
 * (UNAUTHENTICATED); an open socket of the wrong kind, or the wrong console role, is FORBIDDEN.
 */
const callerRules = {
  anyone: {
    request: { admin: 'ok', agent: 'ok', visitor: 'ok', nobody: 'UNAUTHENTICATED' },
    socket: {},
  },
  visitors: {
    request: {
      admin: 'UNAUTHENTICATED',
      agent: 'UNAUTHENTICATED',
      visitor: 'ok',
      nobody: 'UNAUTHENTICATED',
    },
    socket: { admin: 'FORBIDDEN', agent: 'FORBIDDEN' },
  },
  console: {
    request: { admin: 'ok', agent: 'ok', visitor: 'UNAUTHENTICATED', nobody: 'UNAUTHENTICATED' },
    socket: { visitor: 'FORBIDDEN' },
  },
  participants: {
    request: { admin: 'FORBIDDEN', agent: 'ok', visitor: 'ok', nobody: 'UNAUTHENTICATED' },
    socket: {},
  },
  agents: {
    request: {
      admin: 'FORBIDDEN',
      agent: 'ok',
      visitor: 'UNAUTHENTICATED',
      nobody: 'UNAUTHENTICATED',
    },
    socket: { visitor: 'FORBIDDEN' },
  },
  admins: {
    request: {
      admin: 'ok',
      agent: 'FORBIDDEN',
      visitor: 'UNAUTHENTICATED',
      nobody: 'UNAUTHENTICATED',
    },
    socket: { visitor: 'FORBIDDEN' },
  },
} satisfies Record<
  keyof typeof callers,
  { request: Record<Caller, Outcome>; socket: Partial<Record<Caller, Outcome>> }
>;

/** What authorizeCaller does with `actor`; on success it hands back the same actor. */
function outcomeOf(
  actor: Actor | undefined,
  roles: readonly policies.Role[],
  via?: 'request' | 'socket',
): Outcome {
  try {
    const allowed = authorizeCaller(actor, roles, via);
    expect(allowed).toBe(actor);
    return 'ok';
  } catch (error) {
    if (
      error instanceof AppError &&
      (error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN')
    ) {
      return error.code;
    }
    throw error;
  }
}

describe('callers and authorizeCaller', () => {
  it.each(Object.keys(callerRules) as (keyof typeof callerRules)[])(
    'callers.%s: what each caller gets on a request and on a socket',
    (name) => {
      const table = (via?: 'request' | 'socket') =>
        Object.fromEntries(
          Object.entries(callersByName).map(([caller, actor]) => [
            caller,
            outcomeOf(actor, callers[name], via),
          ]),
        );
      const rules = callerRules[name];
      expect({ request: table('request'), socket: table('socket'), unsaid: table() }).toEqual({
        request: rules.request,
        socket: { ...rules.request, ...rules.socket },
        // Without `via`, a request.
        unsaid: rules.request,
      });
    },
  );

  it('says what is missing, and why a console user of the wrong role is refused', () => {
    const refusal = (actor: Actor | undefined, roles: readonly policies.Role[]) => {
      try {
        authorizeCaller(actor, roles);
      } catch (error) {
        return (error as AppError).message;
      }
      throw new Error('not refused');
    };
    expect(refusal(undefined, callers.visitors)).toMatch(/visitor token/);
    expect(refusal(adminActor(), callers.visitors)).toMatch(/visitor token/);
    expect(refusal(undefined, callers.console)).toMatch(/console session/);
    expect(refusal(visitorActor(), callers.admins)).toMatch(/console session/);
    expect(refusal(undefined, callers.anyone)).toMatch(/visitor token or a console session/);
    expect(refusal(adminActor(), callers.agents)).toMatch(/Administrators .* do not serve/);
    expect(refusal(agentActor(), callers.admins)).toMatch(/Only administrators/);
  });

  it('roleOf: a visitor, or the console user’s role', () => {
    expect([adminActor(), agentActor(), visitorActor()].map(roleOf)).toEqual([
      'admin',
      'agent',
      'visitor',
    ]);
  });
});

// ---- accounts, channels, audit: who the caller is decides
const roles = {
  admin: adminActor(),
  agent: agentActor(),
  visitor: visitorActor(),
};
type Role = keyof typeof roles;

/** editSelf depends on the account too: its own test below. */
const accountRules = {
  manage: ['admin'],
  setOwnStatus: ['agent'],
  listPresence: ['admin', 'agent'],
} satisfies Record<Exclude<keyof typeof accountPolicy, 'editSelf'>, Role[]>;

const channelRules = {
  list: ['admin', 'agent'],
  manage: ['admin'],
  readSecret: ['admin'],
} satisfies Record<keyof typeof channelPolicy, Role[]>;

const auditRules = { read: ['admin'] } satisfies Record<keyof typeof auditPolicy, Role[]>;

/** Who of admin, agent and visitor a rule that takes the actor only allows. */
function byRole(rule: (actor: Actor) => boolean): Role[] {
  return allowed(roles, (actor) => rule(actor!));
}

describe('accountPolicy', () => {
  it('by role: only admins manage accounts; only agents set a status; console users see presence', () => {
    expect({
      manage: byRole(accountPolicy.manage),
      setOwnStatus: byRole(accountPolicy.setOwnStatus),
      listPresence: byRole(accountPolicy.listPresence),
    }).toEqual(accountRules);
  });

  it('editSelf: a console user edits their own account only; a visitor with the same id never', () => {
    const id = 'account-7';
    const who = {
      'admin, own': adminActor({ accountId: id }),
      'admin, another': adminActor(),
      'agent, own': agentActor({ accountId: id }),
      'agent, another': agentActor(),
      'visitor whose id is the account id': visitorActor({ visitorId: id }),
    };
    expect(allowed(who, (actor) => accountPolicy.editSelf(actor!, id))).toEqual([
      'admin, own',
      'agent, own',
    ]);
  });
});

const labelRules = {
  list: ['admin', 'agent'],
  manage: ['admin'],
} satisfies Record<keyof typeof labelPolicy, Role[]>;

describe('labelPolicy', () => {
  it('console users read labels; only admins define, change and delete them', () => {
    expect({ list: byRole(labelPolicy.list), manage: byRole(labelPolicy.manage) }).toEqual(
      labelRules,
    );
  });
});

const privacyRules = { manage: ['admin'] } satisfies Record<keyof typeof privacyPolicy, Role[]>;

describe('privacyPolicy', () => {
  it('only admins look visitors up, export and erase them', () => {
    expect({ manage: byRole(privacyPolicy.manage) }).toEqual(privacyRules);
  });
});

describe('apiKeyPolicy', () => {
  it('only admins manage API keys', () => {
    expect({ manage: byRole(apiKeyPolicy.manage) }).toEqual({ manage: ['admin'] });
    // An administrator acting through a key (whatever its scopes) never makes or changes keys.
    expect(apiKeyPolicy.manage({ ...adminActor(), apiKeyId: 'key-1' })).toBe(false);
  });
});

describe('webhookPolicy', () => {
  it('only admins register, change, test and read webhooks', () => {
    expect({ manage: byRole(webhookPolicy.manage) }).toEqual({ manage: ['admin'] });
  });
});

describe('channelPolicy and auditPolicy', () => {
  it('console users list channels; only admins manage them, read secrets and read the audit log', () => {
    expect({
      list: byRole(channelPolicy.list),
      manage: byRole(channelPolicy.manage),
      readSecret: byRole(channelPolicy.readSecret),
      auditRead: byRole(auditPolicy.read),
    }).toEqual({ ...channelRules, auditRead: auditRules.read });
  });
});

// ---- conversations: who the caller is, and where they stand in this conversation
const visitorId = 'visitor-owner';
const agentId = 'agent-assigned';
const conversations = {
  /** Nobody serves it yet. */
  queued: conversationRow({ state: 'queued', visitor_id: visitorId, agent_id: null }),
  active: conversationRow({ state: 'active', visitor_id: visitorId, agent_id: agentId }),
  ended: conversationRow({ state: 'ended', visitor_id: visitorId, agent_id: agentId }),
  /** Ended (by an admin) while it was still queued. */
  'ended unassigned': conversationRow({ state: 'ended', visitor_id: visitorId, agent_id: null }),
};
type Situation = keyof typeof conversations;

const participants = {
  admin: adminActor(),
  /** The agent named on the conversation (none while queued: then just some agent). */
  /** An admin whose account id is the conversation's agent (a role changed afterwards). */
  'admin with its agent id': adminActor({ accountId: agentId }),
  'its agent': agentActor({ accountId: agentId }),
  'other agent': agentActor(),
  'its visitor': visitorActor({ visitorId }),
  'other visitor': visitorActor(),
  /** A visitor whose id happens to be the agent's id: ids of different kinds never mix. */
  'visitor with its agent id': visitorActor({ visitorId: agentId }),
};
type Participant = keyof typeof participants;

const sameInEvery = (who: Participant[]): Record<Situation, Participant[]> => ({
  queued: who,
  active: who,
  ended: who,
  'ended unassigned': who,
});

/** Both admins: whatever its id, an admin is an admin, never the serving agent. */
const admins: Participant[] = ['admin', 'admin with its agent id'];
const conversationRules = {
  read: {
    // While it waits in the queue, any agent may look at it.
    queued: [...admins, 'its agent', 'other agent', 'its visitor'],
    active: [...admins, 'its agent', 'its visitor'],
    ended: [...admins, 'its agent', 'its visitor'],
    'ended unassigned': [...admins, 'its visitor'],
  },
  sendAsAgent: { queued: [], active: ['its agent'], ended: [], 'ended unassigned': [] },
  participate: {
    queued: ['its visitor'],
    active: ['its agent', 'its visitor'],
    ended: ['its agent', 'its visitor'],
    'ended unassigned': ['its visitor'],
  },
  end: {
    queued: admins,
    active: [...admins, 'its agent'],
    ended: [...admins, 'its agent'],
    'ended unassigned': admins,
  },
  transfer: {
    queued: admins,
    active: [...admins, 'its agent'],
    ended: [...admins, 'its agent'],
    'ended unassigned': admins,
  },
  assign: sameInEvery(admins),
  listAll: sameInEvery(admins),
  listQueue: sameInEvery([...admins, 'its agent', 'other agent']),
  label: {
    queued: admins,
    active: [...admins, 'its agent'],
    ended: [...admins, 'its agent'],
    'ended unassigned': admins,
  },
  snooze: { queued: [], active: ['its agent'], ended: [], 'ended unassigned': [] },
  // Its visitor only (the action refuses one that has not ended, with its own code).
  rate: sameInEvery(['its visitor']),
  mailTranscript: {
    queued: ['its visitor'],
    active: ['its visitor'],
    ended: ['its visitor'],
    'ended unassigned': ['its visitor'],
  },
} satisfies Record<keyof typeof conversationPolicy, Record<Situation, Participant[]>>;

/** Internal notes: never the visitor, in any state; its agent (also once ended) and admins. */
const noteRules = {
  read: {
    queued: admins,
    active: [...admins, 'its agent'],
    ended: [...admins, 'its agent'],
    'ended unassigned': admins,
  },
  write: {
    queued: admins,
    active: [...admins, 'its agent'],
    ended: [...admins, 'its agent'],
    'ended unassigned': admins,
  },
} satisfies Record<keyof typeof notePolicy, Record<Situation, Participant[]>>;

describe('conversationPolicy', () => {
  type Rule = (
    actor: Actor,
    c: Pick<ConversationsTable, 'visitor_id' | 'agent_id' | 'state'>,
  ) => boolean;
  const table = (rule: Rule) =>
    Object.fromEntries(
      Object.entries(conversations).map(([situation, c]) => [
        situation,
        allowed(participants, (actor) => rule(actor!, c)),
      ]),
    );

  it.each(Object.keys(conversationRules) as (keyof typeof conversationRules)[])(
    '%s: exactly these callers, in each state',
    (name) => {
      expect(table(conversationPolicy[name])).toEqual(conversationRules[name]);
    },
  );

  it.each(Object.keys(noteRules) as (keyof typeof noteRules)[])(
    'notePolicy.%s: exactly these callers, in each state',
    (name) => {
      expect(table(notePolicy[name])).toEqual(noteRules[name]);
    },
  );
});

// ---- files: who uploaded it, whether it is published, which variant
const uploaderVisitor = 'visitor-uploader';
const uploaderAgent = 'agent-uploader';
const files = {
  "a visitor's upload": fileRow({ owner_type: 'visitor', owner_id: uploaderVisitor }),
  "an agent's upload": fileRow({ owner_type: 'account', owner_id: uploaderAgent }),
  "an agent's published avatar": fileRow({
    owner_type: 'account',
    owner_id: uploaderAgent,
    published_at: Date.UTC(2026, 10, 1),
  }),
};
type FileSituation = keyof typeof files;

const fileCallers = {
  anonymous: undefined,
  'the uploading visitor': visitorActor({ visitorId: uploaderVisitor }),
  'other visitor': visitorActor(),
  'the uploading agent': agentActor({ accountId: uploaderAgent }),
  'other agent': agentActor(),
  admin: adminActor(),
  /** Owner ids are compared together with the owner's kind. */
  'visitor with the agent uploader id': visitorActor({ visitorId: uploaderAgent }),
  'agent with the visitor uploader id': agentActor({ accountId: uploaderVisitor }),
};
type FileCaller = keyof typeof fileCallers;

describe('filePolicy', () => {
  const table = (rule: (actor: Actor | undefined, f: FilesTable) => boolean) =>
    Object.fromEntries(
      Object.entries(files).map(([situation, f]) => [
        situation,
        allowed(fileCallers, (actor) => rule(actor, f)),
      ]),
    );
  const allButAnonymous = (Object.keys(fileCallers) as FileCaller[]).filter(
    (who) => who !== 'anonymous',
  );

  it('upload: anyone with an identity, never an anonymous caller', () => {
    expect(allowed(fileCallers, filePolicy.upload)).toEqual(allButAnonymous);
  });

  it('attach: only the uploader, of the same kind', () => {
    expect(table((actor, f) => actor !== undefined && filePolicy.attach(actor, f))).toEqual({
      "a visitor's upload": ['the uploading visitor'],
      "an agent's upload": ['the uploading agent'],
      "an agent's published avatar": ['the uploading agent'],
    } satisfies Record<FileSituation, FileCaller[]>);
  });

  it('readDirectly: the uploader and admins; a published file’s preview, anyone', () => {
    expect({
      original: table((actor, f) => filePolicy.readDirectly(actor, f, 'original')),
      preview: table((actor, f) => filePolicy.readDirectly(actor, f, 'preview')),
    }).toEqual({
      original: {
        "a visitor's upload": ['the uploading visitor', 'admin'],
        "an agent's upload": ['the uploading agent', 'admin'],
        "an agent's published avatar": ['the uploading agent', 'admin'],
      },
      preview: {
        "a visitor's upload": ['the uploading visitor', 'admin'],
        "an agent's upload": ['the uploading agent', 'admin'],
        "an agent's published avatar": Object.keys(fileCallers) as FileCaller[],
      },
    } satisfies Record<'original' | 'preview', Record<FileSituation, FileCaller[]>>);
  });
});

describe('savedReplyPolicy', () => {
  const ownerId = 'account-owner';
  const who = {
    'admin, owner': adminActor({ accountId: ownerId }),
    'admin, another': adminActor(),
    'agent, owner': agentActor({ accountId: ownerId }),
    'agent, another': agentActor(),
    'visitor whose id is the owner id': visitorActor({ visitorId: ownerId }),
    nobody: undefined,
  };
  const shared = { owner_id: null };
  const personal = { owner_id: ownerId };

  it('console users list replies and make personal ones; only admins make shared ones', () => {
    expect({
      list: allowed(who, (a) => a !== undefined && savedReplyPolicy.list(a)),
      personal: allowed(who, (a) => a !== undefined && savedReplyPolicy.create(a, 'personal')),
      shared: allowed(who, (a) => a !== undefined && savedReplyPolicy.create(a, 'shared')),
    }).toEqual({
      list: ['admin, owner', 'admin, another', 'agent, owner', 'agent, another'],
      personal: ['admin, owner', 'admin, another', 'agent, owner', 'agent, another'],
      shared: ['admin, owner', 'admin, another'],
    });
  });

  it('a shared reply: every console user sees it, admins manage it', () => {
    expect({
      see: allowed(who, (a) => a !== undefined && savedReplyPolicy.see(a, shared)),
      manage: allowed(who, (a) => a !== undefined && savedReplyPolicy.manage(a, shared)),
    }).toEqual({
      see: ['admin, owner', 'admin, another', 'agent, owner', 'agent, another'],
      manage: ['admin, owner', 'admin, another'],
    });
  });

  it('a personal reply: its owner alone sees and manages it, admins included', () => {
    expect({
      see: allowed(who, (a) => a !== undefined && savedReplyPolicy.see(a, personal)),
      manage: allowed(who, (a) => a !== undefined && savedReplyPolicy.manage(a, personal)),
    }).toEqual({ see: ['admin, owner', 'agent, owner'], manage: ['admin, owner', 'agent, owner'] });
  });
});

describe('authorize', () => {
  it('passes when allowed and throws FORBIDDEN (with the given words, or default ones) when not', () => {
    expect(authorize(true)).toBeUndefined();
    expect(() => authorize(false, 'Only the uploader can send this file')).toThrow(
      expect.objectContaining({
        code: 'FORBIDDEN',
        message: 'Only the uploader can send this file',
      }),
    );
    let thrown: unknown;
    try {
      authorize(false);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({ code: 'FORBIDDEN' });
    expect((thrown as AppError).message.length).toBeGreaterThan(0);
  });
});
