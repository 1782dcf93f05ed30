export type TurnRole = 'user' | 'assistant' | 'system' | 'tool';

export interface TranscriptTurn {
  role: TurnRole;
  text: string;
}

const roleAliases: Record<string, TurnRole> = {
  user: 'user',
  human: 'user',
  assistant: 'assistant',
  ai: 'assistant',
  model: 'assistant',
  bot: 'assistant',
  system: 'system',
  developer: 'system',
  tool: 'tool',
  function: 'tool',
};

// A line opening a turn: "user: …", "[assistant]: …", "<tool>: …", "## system: …", "**user**: …".
const turnStart =
  /^[ \t]*(?:\[|<|#{1,6}[ \t]*|\*\*)?[ \t]*(user|human|assistant|ai|model|bot|system|developer|tool|function)[ \t]*(?:\]|>|\*\*)?[ \t]*:[ \t]?/i;

/**
 * Splits a transcript into turns by role markers at line starts (see {@link formatTranscript}). Text
 * without any marker is one user turn.
 */
export function parseTranscript(transcript: string): TranscriptTurn[] {
  const turns: TranscriptTurn[] = [];
  let current: TranscriptTurn | undefined;
  for (const line of transcript.split(/\r?\n/)) {
    const match = turnStart.exec(line);
    const role = match ? roleAliases[(match[1] as string).toLowerCase()] : undefined;
    if (match && role) {
      current = { role, text: line.slice(match[0].length) };
      turns.push(current);
    } else if (current) {
      current.text += `\n${line}`;
    } else if (line.trim()) {
      current = { role: 'user', text: line };
      turns.push(current);
    }
  }
  for (const turn of turns) turn.text = turn.text.trim();
  return turns.filter((turn) => turn.text.length > 0);
}

/** The transcript form the prompt and the lexical classifier expect: one `role: text` block per message. */
export function formatTranscript(messages: readonly { role: string; text: string }[]): string {
  return messages.map((message) => `${message.role}: ${message.text}`).join('\n');
}
