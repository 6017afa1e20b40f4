/** Every Web API method the double implements. */
import { CHAT_METHODS } from './chat.js';
import { CONVERSATION_METHODS } from './conversations.js';
import { DIRECTORY_METHODS } from './directory.js';
import { FILE_METHODS } from './files.js';
import type { MethodHandler } from './result.js';
import { VIEW_METHODS } from './views.js';

export { receiveUpload } from './files.js';
export type { ApiResult, Args, MethodHandler } from './result.js';

/** Method name → handler. Anything else answers unknown_method. */
export const METHODS: Readonly<Record<string, MethodHandler>> = {
  ...DIRECTORY_METHODS,
  ...CHAT_METHODS,
  ...CONVERSATION_METHODS,
  ...VIEW_METHODS,
  ...FILE_METHODS,
};
