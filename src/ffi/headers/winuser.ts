/** winuser.h: window messages, message-only windows, SendMessageTimeoutW flags, clipboard formats. @module */

// Window messages
export const WM_DESTROY = 0x0002;
export const WM_COPYDATA = 0x004a;
export const WM_TIMER = 0x0113;
export const WM_CLIPBOARDUPDATE = 0x031d;
/** The first message number free for an application's private messages. */
export const WM_APP = 0x8000;

// Windows
export const HWND_MESSAGE = 0xfffffffffffffffdn; // (HWND)-3: the parent of message-only windows
export const GWLP_WNDPROC = -4;
export const SMTO_BLOCK = 0x0001;
export const SMTO_ABORTIFHUNG = 0x0002;

// Standard clipboard formats
/** Clipboard format: UTF-16 text ending in a NUL (what `Clipboard.writeText` writes). */
export const CF_UNICODETEXT = 13;
/** Clipboard format: a DROPFILES list of file paths (files copied in Explorer; `Clipboard.readFiles`). */
export const CF_HDROP = 15;
