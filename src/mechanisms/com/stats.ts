/** What COM holds of this process now, for leak checks. @module */
import { Apartment } from "./apartment.ts";
import { ComRuntime } from "./runtime.ts";

/** Live COM state of this process. */
export interface ComStats {
  /** Whether the apartment thread is running (it ends once nothing uses it). */
  apartment: boolean;
  /** Exposed JS objects (and class objects) some COM client still holds. */
  exportedObjects: number;
  /** What those objects are (their member names), for a leak's report. */
  exported: string[];
}

/** The COM state of this process now. */
export function comStats(): ComStats {
  const a = Apartment.current;
  const rt = a ? ComRuntime.of(a) : undefined;
  return {
    apartment: a !== undefined,
    exportedObjects: rt?.exportedCount ?? 0,
    exported: rt?.describeExported() ?? [],
  };
}
