/**
 * The visitor page's first script, tiny and separate from the main one: it asks for the session
 * and the conversation list at once, so those round trips happen while the main script is still
 * on its way (on a phone's network, most of a second).
 */
import { readerLanguage } from '@servicesystem/chat-client';
import { openEarly } from './chat/openSession';
import { initialLocale } from './localeChoice';

const params = new URLSearchParams(location.search);
const channelId = params.get('channel');
// The language the page will show, as main.ts decides it: the robot's suggestions come in it.
const language = readerLanguage(navigator.language, initialLocale(params.get('locale')));
if (channelId) openEarly(channelId, params.get('identity'), params.get('resume'), language);
