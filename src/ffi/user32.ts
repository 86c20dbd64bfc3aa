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
  // BOOL IsWindowUnicode(HWND hWnd)
  IsWindowUnicode: { args: ["ptr"], returns: "i32" },
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
  // BOOL PostThreadMessageW(DWORD idThread, UINT Msg, WPARAM wParam, LPARAM lParam)
  PostThreadMessageW: { args: ["u32", "u32", "ptr", "ptr"], returns: "i32" },
  // LPARAM PackDDElParam(UINT msg, UINT_PTR uiLo, UINT_PTR uiHi)  (a global block on 64-bit)
  PackDDElParam: { args: ["u32", "ptr", "ptr"], returns: "ptr" },
  UnpackDDElParam: {
    args: [
      "u32", // UINT msg
      "ptr", // LPARAM lParam
      "buf", // PUINT_PTR puiLo
      "buf", // PUINT_PTR puiHi
    ],
    returns: "i32", // BOOL
  },
  // BOOL FreeDDElParam(UINT msg, LPARAM lParam)
  FreeDDElParam: { args: ["u32", "ptr"], returns: "i32" },
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

  // --- timers (WM_TIMER posted to a window) ---
  SetTimer: {
    args: [
      "ptr", // HWND hWnd
      "ptr", // UINT_PTR nIDEvent
      "u32", // UINT uElapse (ms)
      "ptr", // TIMERPROC lpTimerFunc (NULL: WM_TIMER to hWnd)
    ],
    returns: "ptr", // UINT_PTR: nIDEvent, or 0 on failure
  },
  // BOOL KillTimer(HWND hWnd, UINT_PTR uIDEvent)
  KillTimer: { args: ["ptr", "ptr"], returns: "i32" },

  // --- message pump without blocking on one queue ---
  // BOOL PeekMessageW(LPMSG lpMsg, HWND hWnd, UINT wMsgFilterMin, UINT wMsgFilterMax, UINT wRemoveMsg)
  PeekMessageW: { args: ["buf", "ptr", "u32", "u32", "u32"], returns: "i32" },
  MsgWaitForMultipleObjects: {
    args: [
      "u32", // DWORD nCount
      "buf", // const HANDLE *pHandles (NULL when nCount is 0)
      "i32", // BOOL fWaitAll
      "u32", // DWORD dwMilliseconds
      "u32", // DWORD dwWakeMask (QS_*)
    ],
    returns: "u32", // DWORD: WAIT_OBJECT_0 + nCount when input arrived, WAIT_TIMEOUT
    blocking: true,
  },

  // --- DDEML (ddeml.h) ---
  // DDEML ties an instance to the thread that called DdeInitializeW and runs its callback inside
  // that thread's DDEML calls and message dispatch: call these on that thread (the sync variants;
  // the async variant of a `blocking` one would run on another thread, where the instance is
  // unknown). `blocking` marks calls that wait for another process.
  DdeInitializeW: {
    args: [
      "buf", // LPDWORD pidInst (in: 0; out: the instance id)
      "ptr", // PFNCALLBACK pfnCallback
      "u32", // DWORD afCmd (APPCLASS_*, APPCMD_*, CBF_*)
      "u32", // DWORD ulRes (reserved, 0)
    ],
    returns: "u32", // UINT: DMLERR_NO_ERROR or a DMLERR_*
  },
  // BOOL DdeUninitialize(DWORD idInst)  (disconnects the instance's conversations first)
  DdeUninitialize: { args: ["u32"], returns: "i32", blocking: true },
  // HSZ DdeCreateStringHandleW(DWORD idInst, LPCWSTR psz, int iCodePage)
  DdeCreateStringHandleW: { args: ["u32", "buf", "i32"], returns: "ptr" },
  // BOOL DdeFreeStringHandle(DWORD idInst, HSZ hsz)
  DdeFreeStringHandle: { args: ["u32", "ptr"], returns: "i32" },
  DdeQueryStringW: {
    args: [
      "u32", // DWORD idInst
      "ptr", // HSZ hsz
      "buf", // LPWSTR psz (NULL: only the length is returned)
      "u32", // DWORD cchMax (characters, with the NUL)
      "i32", // int iCodePage (CP_WINUNICODE)
    ],
    returns: "u32", // DWORD: characters copied (without the NUL)
  },
  // HDDEDATA DdeNameService(DWORD idInst, HSZ hsz1, HSZ hsz2 (reserved, 0), UINT afCmd (DNS_*))
  DdeNameService: { args: ["u32", "ptr", "ptr", "u32"], returns: "ptr" },
  DdeConnect: {
    args: [
      "u32", // DWORD idInst
      "ptr", // HSZ hszService
      "ptr", // HSZ hszTopic
      "buf", // PCONVCONTEXT pCC (NULL: the default context)
    ],
    returns: "ptr", // HCONV, 0 on failure (DdeGetLastError says why)
    blocking: true, // sends WM_DDE_INITIATE to every top-level window
  },
  // BOOL DdeDisconnect(HCONV hConv)  (waits for the server's WM_DDE_TERMINATE)
  DdeDisconnect: { args: ["ptr"], returns: "i32", blocking: true },
  DdeClientTransaction: {
    args: [
      "buf", // LPBYTE pData (POKE/EXECUTE data; NULL otherwise; the HDDEDATA form is not used)
      "u32", // DWORD cbData
      "ptr", // HCONV hConv
      "ptr", // HSZ hszItem
      "u32", // UINT wFmt
      "u32", // UINT wType (XTYP_*)
      "u32", // DWORD dwTimeout (ms; TIMEOUT_ASYNC for an asynchronous transaction)
      "buf", // LPDWORD pdwResult (NULL, or receives the DDE_F* status)
    ],
    returns: "ptr", // HDDEDATA: data (REQUEST, the caller frees it), TRUE, or 0 on failure
    blocking: true, // a synchronous transaction waits for the server's answer
  },
  DdeCreateDataHandle: {
    args: [
      "u32", // DWORD idInst
      "buf", // LPBYTE pSrc (copied)
      "u32", // DWORD cb
      "u32", // DWORD cbOff
      "ptr", // HSZ hszItem
      "u32", // UINT wFmt
      "u32", // UINT afCmd (HDATA_APPOWNED or 0)
    ],
    returns: "ptr", // HDDEDATA
  },
  DdeGetData: {
    args: [
      "ptr", // HDDEDATA hData
      "buf", // LPBYTE pDst (NULL: only the size is returned)
      "u32", // DWORD cbMax
      "u32", // DWORD cbOff
    ],
    returns: "u32", // DWORD: bytes copied (or the size)
  },
  // LPBYTE DdeAccessData(HDDEDATA hData, LPDWORD pcbDataSize)
  DdeAccessData: { args: ["ptr", "buf"], returns: "ptr" },
  // BOOL DdeUnaccessData(HDDEDATA hData)
  DdeUnaccessData: { args: ["ptr"], returns: "i32" },
  // BOOL DdeFreeDataHandle(HDDEDATA hData)
  DdeFreeDataHandle: { args: ["ptr"], returns: "i32" },
  // BOOL DdePostAdvise(DWORD idInst, HSZ hszTopic, HSZ hszItem)  (posts; calls XTYP_ADVREQ)
  DdePostAdvise: { args: ["u32", "ptr", "ptr"], returns: "i32" },
  // UINT DdeGetLastError(DWORD idInst)  (and resets it)
  DdeGetLastError: { args: ["u32"], returns: "u32" },
} as const satisfies SymbolTable;

let lib: Library<typeof user32Symbols> | undefined;
/** user32.dll, loaded on first use. */
export function user32(): Library<typeof user32Symbols> {
  return lib ??= backend.open("user32.dll", user32Symbols);
}
