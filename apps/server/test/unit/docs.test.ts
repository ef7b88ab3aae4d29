import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  Channel,
  ChannelRobot,
  ClientEvent,
  FaqEntry,
  ErrorCode,
  ServerEvent,
  SystemMessageKind,
} from '@servicesystem/protocol';

const read = (name: string) =>
  fs.readFile(new URL(`../../../../docs/${name}`, import.meta.url), 'utf8');

/** The docs an integrator works from must name everything the protocol package defines. */
describe('docs/PROTOCOL.md', () => {
  it('documents every error code', async () => {
    const doc = await read('PROTOCOL.md');
    expect(Object.values(ErrorCode).filter((code) => !doc.includes(`\`${code}\``))).toEqual([]);
  });

  it('documents every kind of system message and every channel field', async () => {
    const doc = await read('PROTOCOL.md');
    const kinds = SystemMessageKind.options.filter((kind) => !doc.includes(`\`${kind}\``));
    // A channel field is named in the text or in the example object.
    const fields = Object.keys(Channel.shape).filter(
      (field) => !doc.includes(`\`${field}\``) && !doc.includes(`"${field}":`),
    );
    expect([...kinds, ...fields]).toEqual([]);
  });

  it('documents every field of the robot settings and of an FAQ entry', async () => {
    const doc = await read('PROTOCOL.md');
    const fields = [...Object.keys(ChannelRobot.shape), ...Object.keys(FaqEntry.shape)].filter(
      (field) => !doc.includes(`\`${field}\``) && !doc.includes(`"${field}":`),
    );
    expect(fields).toEqual([]);
  });

  it('documents every REST route under /api/v1', async () => {
    const doc = await read('PROTOCOL.md');
    const folder = new URL('../../src/http/routes/', import.meta.url);
    const routes: string[] = [];
    for (const name of await fs.readdir(folder)) {
      const source = await fs.readFile(new URL(name, folder), 'utf8');
      for (const m of source.matchAll(
        /app\.(get|post|put|patch|delete)\(\s*'(\/api\/v1\/[^']*)'/g,
      )) {
        routes.push(`${m[1]!.toUpperCase()} ${m[2]!}`);
      }
    }
    expect(routes).toContain('GET /api/v1/reports.csv');
    // Headed by method and path, or named beside another path of the same heading.
    const missing = routes.filter((route) => {
      const path = route.split(' ')[1]!;
      return !doc.includes(`\`${route}\``) && !doc.includes(`\`${path}\``);
    });
    expect(missing).toEqual([]);
  });

  it('documents every Socket.IO event, both ways', async () => {
    const doc = await read('PROTOCOL.md');
    const events = [...Object.values(ClientEvent), ...Object.values(ServerEvent)];
    expect(events.filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
  });
});

describe('docs/CONFIG.md', () => {
  it('documents every variable config.ts reads', async () => {
    const [doc, source] = await Promise.all([
      read('CONFIG.md'),
      fs.readFile(new URL('../../src/config.ts', import.meta.url), 'utf8'),
    ]);
    const names = [...source.matchAll(/^ {2}([A-Z][A-Z0-9_]+): \{/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(15);
    expect(names.filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
  });
});
