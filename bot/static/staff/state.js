// What the console knows, in memory only: the console session token never goes in cookies or
// web storage, and the account token and code are not kept at all.
export const state = {
  token: null, // the console session token
  role: null, // "staff" or "supervisor", from the sign-in
  languages: {}, // language code -> its name, from the widget's config
  selected: null, // the handoff id shown in the chat pane
  chat: null, // the conversation shown: {id, feed, ended}
  atCapacity: false, // this account holds as many chats as it may (capacity.js)
  unconfirmed: null, // the last reply not confirmed: {chat, text, msgId}, sent again with its id
};

// The page's elements, looked up once at start (main.js).
export const el = {};
