import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { prettyLine, prettyStream } from '../../src/logging.js';

const at = new Date(2026, 11, 1, 13, 14, 5).getTime();

describe('logs on a terminal', () => {
  it('are one short line: time, level, message, then the fields', () => {
    const line = JSON.stringify({
      level: 40,
      time: at,
      pid: 1,
      hostname: 'h',
      msg: 'could not mark agent offline',
      agentId: 'a-1',
      note: 'two words',
    });
    expect(prettyLine(line)).toBe(
      '13:14:05 WARN  could not mark agent offline  agentId=a-1  note="two words"',
    );
  });

  it('show an error’s message and its stack below', () => {
    const line = JSON.stringify({
      level: 50,
      time: at,
      msg: 'listener failed',
      err: { message: 'boom', stack: 'Error: boom\n    at x' },
    });
    expect(prettyLine(line)).toBe(
      '13:14:05 ERROR listener failed  err=boom\nError: boom\n    at x',
    );
  });

  it('leave out a request’s own lines unless it went wrong; other text passes through', () => {
    const request = {
      level: 30,
      time: at,
      reqId: 'req-1',
      req: { method: 'GET', url: '/healthz' },
    };
    expect(prettyLine(JSON.stringify({ ...request, msg: 'incoming request' }))).toBeNull();
    expect(prettyLine(JSON.stringify({ ...request, level: 50, msg: 'request errored' }))).toContain(
      'ERROR request errored',
    );
    expect(prettyLine('not json')).toBe('not json');
  });

  it('are written whole even when a line arrives in pieces', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const stream = prettyStream(out);
    const line = JSON.stringify({ level: 30, time: at, msg: 'Server listening' }) + '\n';
    stream.write(line.slice(0, 10));
    stream.write(line.slice(10));
    await new Promise((resolve) => stream.end(resolve));
    expect(text).toBe('13:14:05 INFO  Server listening\n');
  });
});
