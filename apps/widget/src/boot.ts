/**
 * The visitor page's first script, tiny and separate from the main one: it asks for the session
 * and the conversation list at once, so those round trips happen while the main script is still
 * on its way (on a phone's network, most of a second).
 */
import { openEarly } from './chat/openSession';

const params = new URLSearchParams(location.search);
const channelId = params.get('channel');
if (channelId) openEarly(channelId, params.get('identity'), params.get('resume'));
