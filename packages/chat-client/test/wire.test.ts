import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as protocol from '@servicesystem/protocol';
import * as wire from '@servicesystem/protocol/wire';

const wireSource = readFileSync(new URL('../../protocol/src/wire.ts', import.meta.url), 'utf8');

describe('@servicesystem/protocol/wire', () => {
  it('imports nothing at runtime: clients that use it never bundle zod', () => {
    const imports = wireSource.match(/^(?:import|export)\b[^;]*?\bfrom\s+'[^']+'/gms) ?? [];
    expect(imports.length).toBeGreaterThan(0);
    for (const statement of imports) expect(statement).toMatch(/^(?:import|export) type\b/);
  });

  it('holds the event names the schema package uses', () => {
    expect(protocol.ServerEvent).toBe(wire.ServerEvent);
    expect(protocol.ClientEvent).toBe(wire.ClientEvent);
    expect(wire.ServerEvent.MessageCreated).toBe('message.created');
    expect(wire.ClientEvent.SendMessage).toBe('message.send');
  });

  it("states the server's text limit", () => {
    const longest = 'x'.repeat(wire.messageTextMaxLength);
    expect(protocol.MessageText.safeParse(longest).success).toBe(true);
    expect(protocol.MessageText.safeParse(`${longest}x`).success).toBe(false);
    // Counted after trimming, as the client does.
    expect(protocol.MessageText.safeParse(`  ${longest}  `).success).toBe(true);
  });
});
