/**
 * Serial and parallel ports (`\\.\COMn`, `\\.\LPTn`): DCB settings, timeouts, modem lines,
 * event-driven overlapped reads, and CRC-checked message frames over a serial line.
 * @module
 */
export {
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
