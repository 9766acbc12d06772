// AssemblyScript's abort (a failed assertion, an out-of-memory) must not need an `env` import the
// sandbox does not give: report through Extism's error channel, then trap.
import { Memory } from '@extism/as-pdk';
import { error_set } from '@extism/as-pdk/lib/env';

export function toolAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  const text = (message == null ? 'abort' : message) + ' at ' + (fileName == null ? '?' : fileName) + ':' + line.toString() + ':' + column.toString();
  error_set(Memory.allocateString(text).offset);
  unreachable();
}
