/**
 * Serial and parallel ports (`\\.\COMn`, `\\.\LPTn`) through kernel32 alone, with no native
 * addon: DCB settings, modem lines, event-driven overlapped reads, and CRC-checked message
 * frames that resynchronise after line noise.
 *
 * ```ts
 * import { listPorts, SerialPort } from "@winipc/winipc/serial";
 * console.log(listPorts()); // ["COM1", "COM3"]
 * await using channel = SerialPort.open("COM3", { baudRate: 115200 }).messages();
 * await channel.send(new TextEncoder().encode("hello"));
 * ```
 * @module
 */
export {
  DEFAULT_SERIAL_MAX_MESSAGE_SIZE,
  type FlowControl,
  listPorts,
  type ModemStatus,
  ParallelPort,
  type Parity,
  SerialChannel,
  SerialEvent,
  type SerialOptions,
  serialPath,
  SerialPort,
  type SerialStatus,
  validateSerialOptions,
} from "./serial.ts";
export type { Channel, ChannelOptions, ReceiveChannel, SendChannel } from "../../core/channel.ts";
export type { WaitOptions } from "../../core/errors.ts";
