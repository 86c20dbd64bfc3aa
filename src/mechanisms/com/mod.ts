/**
 * COM and DCOM, with no native build: JS calls COM objects through IDispatch
 * ({@link createObject}, {@link getObject}, {@link ComObject}), and JS objects are COM objects
 * other programs call (VBScript's `GetObject` and `CreateObject`, any Automation client):
 * {@link publishObject} puts one in the Running Object Table, {@link registerClass} makes a class
 * whose instances JS creates. Everything COM runs in one single-threaded apartment on its own
 * thread; the JS event loop never waits on it.
 *
 * ```ts
 * import { createObject } from "@winipc/winipc/com";
 *
 * using shell = await createObject("WScript.Shell");
 * console.log(await shell.call("ExpandEnvironmentStrings", "%WINDIR%"));
 * ```
 * @module
 */
export {
  ClassContext,
  createObject,
  type CreateOptions,
  getActiveObject,
  getObject,
  getRunningObject,
} from "./activation.ts";
export {
  callMember,
  ComObject,
  ComRef,
  DispatchFlags,
  DISPID_PROPERTYPUT,
  DISPID_VALUE,
  type InvokeOptions,
} from "./com_object.ts";
export {
  type ClassOptions,
  type ComRegistration,
  publishObject,
  registerClass,
  type RegisteredClass,
} from "./publish.ts";
export { disconnectObject, type ExposeOptions, exposeOptions } from "./runtime.ts";
export { type RegistryHive } from "./class_registry.ts";
export { fromOleDate, toOleDate, Variant, VT } from "./variant_types.ts";
export { VariantError } from "./variant.ts";
export {
  ComDisconnectedError,
  ComDispatchError,
  ComError,
  type ComErrorDetail,
  ComMemberNotFoundError,
  HRESULT,
} from "./com_errors.ts";
export { formatGuid, IID_IDispatch, IID_IUnknown, isGuid, newGuid, parseGuid } from "../../core/guid.ts";
export { type ComStats, comStats } from "./stats.ts";
export type {
  AddressError,
  AddressInUseError,
  ChannelClosedError,
  MessageTooLargeError,
  NotFoundError,
  TimeoutError,
  WaitOptions,
  WinipcError,
} from "../../core/errors.ts";
export { ComChannel, comChannelMoniker, ComListener, connectCom } from "./com_channel.ts";
export type { InboxChannel } from "../../core/inbox_channel.ts";
export type { Channel, ChannelOptions, Listener, ReceiveChannel, SendChannel } from "../../core/channel.ts";
