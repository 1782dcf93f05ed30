import { isUtf8 } from 'node:buffer';
import protobuf from 'protobufjs';

/**
 * protobufjs's Buffer reader, with proto3's verified strings read natively. protobufjs verifies
 * them in JavaScript, building short strings a few characters at a time, which made strings the
 * largest source of garbage in a decode. Node's UTF-8 decoder replaces invalid sequences with
 * U+FFFD, so only a string that contains U+FFFD needs its bytes checked.
 */
export class VerifyingBufferReader extends protobuf.BufferReader {
  override stringVerify(): string {
    const length = this.uint32();
    const start = this.pos;
    const end = start + length;
    if (end > this.len) throw new RangeError(`index out of range: ${start} + ${length} > ${this.len}`);
    this.pos = end;
    // utf8Slice is Buffer#toString('utf8') without its argument checks, but not public API: like
    // protobufjs, fall back to toString where a runtime lacks it.
    const buffer = this.buf as Buffer & { utf8Slice?: (start: number, end: number) => string };
    const text = buffer.utf8Slice !== undefined ? buffer.utf8Slice(start, end) : buffer.toString('utf8', start, end);
    if (text.includes('\ufffd') && !isUtf8(buffer.subarray(start, end))) {
      throw new Error('The encoded data was not valid for encoding utf-8');
    }
    return text;
  }
}
