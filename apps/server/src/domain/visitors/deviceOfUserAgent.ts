import { DeviceType, stripControlCharacters, type VisitorContext } from '@servicesystem/protocol';
import UAParser from 'ua-parser-js';

export type VisitorDevice = Pick<VisitorContext, 'browser' | 'os' | 'device'>;

/** Operating systems whose browsers ua-parser leaves without a device type: desktops. */
const desktopSystems = new Set([
  'Windows',
  'Mac OS',
  'macOS',
  'Linux',
  'Ubuntu',
  'Debian',
  'Fedora',
  'Chromium OS',
  'FreeBSD',
  'OpenBSD',
]);

/** A name from the header, as shown to agents: printable, short, null when empty. */
function shown(value: string | undefined): string | null {
  const text = stripControlCharacters(value ?? '').trim();
  return text === '' ? null : text.slice(0, 64);
}

/**
 * The browser, OS and device a User-Agent header names (ua-parser-js 1.x, MIT). Nothing is
 * looked up anywhere: this is the header's own word, which a visitor can set to anything, so
 * agents see it as a hint. Unknown parts are null.
 */
export function deviceOfUserAgent(userAgent: string | undefined): VisitorDevice {
  const result = new UAParser((userAgent ?? '').slice(0, 1024)).getResult();
  const browserName = shown(result.browser.name);
  const osName = shown(result.os.name);
  const type = DeviceType.safeParse(result.device.type);
  const deviceType = type.success
    ? type.data
    : osName !== null && desktopSystems.has(osName)
      ? 'desktop'
      : null;
  return {
    browser: browserName ? { name: browserName, version: shown(result.browser.version) } : null,
    os: osName ? { name: osName, version: shown(result.os.version) } : null,
    device: deviceType
      ? { type: deviceType, vendor: shown(result.device.vendor), model: shown(result.device.model) }
      : null,
  };
}
