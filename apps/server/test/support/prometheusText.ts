/**
 * A strict reader of Prometheus' text exposition format (version 0.0.4): every line must be a
 * `# HELP`, a `# TYPE` or a sample of a family whose TYPE came first, with valid metric and label
 * names, properly escaped label values and a number. Throws on the first line that is not.
 */

export interface Family {
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
}

export interface Exposition {
  families: Map<string, Family>;
  /** Each sample's value by `name{label="value",...}`, labels sorted by name. */
  samples: Map<string, number>;
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Go's ParseFloat, which Prometheus reads values with: `NaN` and `Inf` in any case. */
const number = /^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|[+-]?inf|nan)$/i;

/** Samples of a histogram or summary family carry these suffixes. */
const suffixes: Record<Family['type'], string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export function sampleKey(name: string, labels: Record<string, string> = {}): string {
  const parts = Object.keys(labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(labels[key])}`);
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

/** Reads `{a="x",b="y"}` starting at `text[start] === '{'`; answers the labels and the end. */
function readLabels(text: string, start: number, line: string): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  let i = start + 1;
  const fail = (why: string): never => {
    throw new Error(`${why}: ${line}`);
  };
  while (text[i] !== '}') {
    const eq = text.indexOf('=', i);
    if (eq < 0) fail('label without "="');
    const name = text.slice(i, eq);
    if (!labelName.test(name)) fail(`bad label name "${name}"`);
    if (name in labels) fail(`label "${name}" twice`);
    if (text[eq + 1] !== '"') fail('label value not quoted');
    let value = '';
    let j = eq + 2;
    for (;;) {
      const c = text[j];
      if (c === undefined) fail('unterminated label value');
      if (c === '"') break;
      if (c === '\n') fail('raw newline in a label value');
      if (c === '\\') {
        const next = text[j + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else fail('bad escape in a label value');
        j += 2;
        continue;
      }
      value += c;
      j += 1;
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i += 1;
    else if (text[i] !== '}') fail('labels not separated by ","');
  }
  return [labels, i + 1];
}

export function parseExposition(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  const families = new Map<string, Family>();
  const samples = new Map<string, number>();
  const helps = new Map<string, string>();
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const match = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!match) {
        if (/^# (HELP|TYPE)\b/.test(line)) throw new Error(`bad comment: ${line}`);
        continue;
      }
      const [, kind, name, rest] = match as unknown as [string, string, string, string];
      if (!metricName.test(name)) throw new Error(`bad metric name: ${line}`);
      if (kind === 'HELP') {
        if (helps.has(name)) throw new Error(`HELP twice: ${line}`);
        helps.set(name, rest);
      } else {
        if (families.has(name)) throw new Error(`TYPE twice: ${line}`);
        if (!(rest in suffixes)) throw new Error(`unknown type: ${line}`);
        families.set(name, { type: rest as Family['type'], help: helps.get(name) ?? '' });
      }
      continue;
    }
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) throw new Error(`not a sample: ${line}`);
    const name = line.slice(0, nameEnd);
    if (!metricName.test(name)) throw new Error(`bad metric name: ${line}`);
    let labels: Record<string, string> = {};
    let i = nameEnd;
    if (line[i] === '{') [labels, i] = readLabels(line, i, line);
    if (line[i] !== ' ') throw new Error(`no space before the value: ${line}`);
    const [value, timestamp, ...extra] = line.slice(i + 1).split(' ');
    if (value === undefined || !number.test(value)) throw new Error(`bad value: ${line}`);
    if (extra.length > 0 || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))) {
      throw new Error(`bad timestamp: ${line}`);
    }
    const family = [...families.entries()].find(([base, f]) =>
      suffixes[f.type].some((suffix) => base + suffix === name),
    );
    if (!family) throw new Error(`sample before its TYPE: ${line}`);
    if (family[1].type === 'histogram' && name.endsWith('_bucket') && !('le' in labels)) {
      throw new Error(`bucket without "le": ${line}`);
    }
    const key = sampleKey(name, labels);
    if (samples.has(key)) throw new Error(`sample twice: ${line}`);
    samples.set(key, /^nan$/i.test(value) ? NaN : Number(value.replace(/inf$/i, 'Infinity')));
  }
  return { families, samples };
}
