/**
 * user32.dll: windows, messages and the clipboard. Declared once for every runtime, each symbol
 * under its C prototype.
 * @module
 */
import { backend } from "./runtime.ts";
import type { Library, SymbolTable } from "./types.ts";

export const user32Symbols = {
  // ATOM RegisterClassExW(const WNDCLASSEXW *unnamedParam1)
  RegisterClassExW: { args: ["buf"], returns: "u16" },
  // BOOL UnregisterClassW(LPCWSTR lpClassName, HINSTANCE hInstance)
  UnregisterClassW: { args: ["buf", "ptr"], returns: "i32" },
  CreateWindowExW: {
    args: [
      "u32", // DWORD dwExStyle
      "buf", // LPCWSTR lpClassName
      "buf", // LPCWSTR lpWindowName
      "u32", // DWORD dwStyle
      "i32", // int X
      "i32", // int Y
      "i32", // int nWidth
      "i32", // int nHeight
      "ptr", // HWND hWndParent (HWND_MESSAGE for a message-only window)
      "ptr", // HMENU hMenu
      "ptr", // HINSTANCE hInstance
      "ptr", // LPVOID lpParam
    ],
    returns: "ptr", // HWND
  },
  // BOOL DestroyWindow(HWND hWnd)
  DestroyWindow: { args: ["ptr"], returns: "i32" },
  SetWindowLongPtrW: {
    args: [
      "ptr", // HWND hWnd
      "i32", // int nIndex
      "ptr", // LONG_PTR dwNewLong
    ],
    returns: "ptr", // LONG_PTR (the previous value)
  },
  // BOOL IsWindow(HWND hWnd)
  IsWindow: { args: ["ptr"], returns: "i32" },
  GetWindowThreadProcessId: {
    args: [
      "ptr", // HWND hWnd
      "buf", // LPDWORD lpdwProcessId (receives the process id)
    ],
    returns: "u32", // DWORD: the thread id, 0 when hWnd is not a window
  },
  // LRESULT DefWindowProcW(HWND hWnd, UINT Msg, WPARAM wParam, LPARAM lParam)
  DefWindowProcW: { args: ["ptr", "u32", "ptr", "ptr"], returns: "ptr" },
  // BOOL GetMessageW(LPMSG lpMsg, HWND hWnd, UINT wMsgFilterMin, UINT wMsgFilterMax)
  GetMessageW: { args: ["buf", "ptr", "u32", "u32"], returns: "i32" },
  // BOOL TranslateMessage(const MSG *lpMsg)
  TranslateMessage: { args: ["buf"], returns: "i32" },
  // LRESULT DispatchMessageW(const MSG *lpMsg)
  DispatchMessageW: { args: ["buf"], returns: "ptr" },
  // void PostQuitMessage(int nExitCode)
  PostQuitMessage: { args: ["i32"], returns: "void" },
  // BOOL PostMessageW(HWND hWnd, UINT Msg, WPARAM wParam, LPARAM lParam)
  PostMessageW: { args: ["ptr", "u32", "ptr", "ptr"], returns: "i32" },
  SendMessageTimeoutW: {
    args: [
      "ptr", // HWND hWnd
      "u32", // UINT Msg
      "ptr", // WPARAM wParam
      "ptr", // LPARAM lParam
      "u32", // UINT fuFlags
      "u32", // UINT uTimeout
      "buf", // PDWORD_PTR lpdwResult
    ],
    returns: "ptr", // LRESULT
    blocking: true,
  },
  // HWND FindWindowExW(HWND hWndParent, HWND hWndChildAfter, LPCWSTR lpszClass, LPCWSTR lpszWindow)
  FindWindowExW: { args: ["ptr", "ptr", "buf", "buf"], returns: "ptr" },
  // int GetClassNameW(HWND hWnd, LPWSTR lpClassName, int nMaxCount)
  GetClassNameW: { args: ["ptr", "buf", "i32"], returns: "i32" },
  // int InternalGetWindowText(HWND hWnd, LPWSTR pString, int cchMaxCount)
  // (unlike GetWindowTextW it sends no WM_GETTEXT, so a hung window's owner cannot block it)
  InternalGetWindowText: { args: ["ptr", "buf", "i32"], returns: "i32" },
  // UINT RegisterWindowMessageW(LPCWSTR lpString)
  RegisterWindowMessageW: { args: ["buf"], returns: "u32" },

  // --- clipboard ---
  // BOOL OpenClipboard(HWND hWndNewOwner)
  OpenClipboard: { args: ["ptr"], returns: "i32" },
  // BOOL CloseClipboard(void)
  CloseClipboard: { args: [], returns: "i32" },
  // BOOL EmptyClipboard(void)
  EmptyClipboard: { args: [], returns: "i32" },
  // HANDLE SetClipboardData(UINT uFormat, HANDLE hMem)
  SetClipboardData: { args: ["u32", "ptr"], returns: "ptr" },
  // HANDLE GetClipboardData(UINT uFormat)
  GetClipboardData: { args: ["u32"], returns: "ptr" },
  // BOOL IsClipboardFormatAvailable(UINT format)
  IsClipboardFormatAvailable: { args: ["u32"], returns: "i32" },
  // UINT EnumClipboardFormats(UINT format)
  EnumClipboardFormats: { args: ["u32"], returns: "u32" },
  // UINT RegisterClipboardFormatW(LPCWSTR lpszFormat)
  RegisterClipboardFormatW: { args: ["buf"], returns: "u32" },
  // int GetClipboardFormatNameW(UINT format, LPWSTR lpszFormatName, int cchMaxCount)
  GetClipboardFormatNameW: { args: ["u32", "buf", "i32"], returns: "i32" },
  // DWORD GetClipboardSequenceNumber(void)
  GetClipboardSequenceNumber: { args: [], returns: "u32" },
  // BOOL AddClipboardFormatListener(HWND hwnd)
  AddClipboardFormatListener: { args: ["ptr"], returns: "i32" },
  // BOOL RemoveClipboardFormatListener(HWND hwnd)
  RemoveClipboardFormatListener: { args: ["ptr"], returns: "i32" },
} as const satisfies SymbolTable;

let lib: Library<typeof user32Symbols> | undefined;
/** user32.dll, loaded on first use. */
export function user32(): Library<typeof user32Symbols> {
  return lib ??= backend.open("user32.dll", user32Symbols);
}
