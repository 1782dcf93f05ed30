import { describe, expect, it } from 'vitest';
import { formatTranscript, parseTranscript } from './transcript.js';

describe('parseTranscript', () => {
  it('splits turns on role markers in several spellings and keeps multi-line turns', () => {
    const transcript =
      'System: be nice\nuser: line one\nline two\n[assistant]: reply\n<tool>: {"ok":true}\nHuman: thanks';
    expect(parseTranscript(transcript)).toEqual([
      { role: 'system', text: 'be nice' },
      { role: 'user', text: 'line one\nline two' },
      { role: 'assistant', text: 'reply' },
      { role: 'tool', text: '{"ok":true}' },
      { role: 'user', text: 'thanks' },
    ]);
  });

  it('treats text without markers as one user turn, and round-trips formatTranscript', () => {
    expect(parseTranscript('just a question?')).toEqual([{ role: 'user', text: 'just a question?' }]);
    const messages = [
      { role: 'user', text: 'hi' },
      { role: 'assistant', text: 'hello' },
    ];
    expect(parseTranscript(formatTranscript(messages))).toEqual(messages);
  });
});
