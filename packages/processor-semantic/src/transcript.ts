import { countTokens } from '@semtel/classifier';
import type { Interaction } from '@semtel/genai';

export interface Transcript {
  text: string;
  tokens: number;
  /** True when something was elided to fit the budget. */
  truncated: boolean;
}

interface Line {
  text: string;
  tokens: number;
}

function line(role: string, text: string): Line {
  const rendered = `${role}: ${text.trim()}`;
  return { text: rendered, tokens: countTokens(rendered) };
}

/**
 * Shortens one text to about `maxTokens`, keeping its head and tail: the opening states the
 * request and the end often holds the question, so the middle is what goes.
 */
export function clipText(text: string, maxTokens: number): Line {
  let tokens = countTokens(text);
  if (tokens <= maxTokens) return { text, tokens };
  let keepCharacters = Math.floor((text.length * maxTokens) / tokens);
  let clipped = text;
  // The token/character ratio varies inside a text, so converge in a few bounded steps.
  for (let attempt = 0; attempt < 4; attempt += 1) {
    const head = Math.floor(keepCharacters * 0.6);
    const tail = Math.max(0, keepCharacters - head);
    clipped = `${text.slice(0, head)} [… ${tokens - maxTokens} tokens elided …] ${tail > 0 ? text.slice(-tail) : ''}`;
    const clippedTokens = countTokens(clipped);
    if (clippedTokens <= maxTokens) return { text: clipped, tokens: clippedTokens };
    keepCharacters = Math.floor(keepCharacters * (maxTokens / clippedTokens) * 0.95);
    if (keepCharacters <= 0) break;
  }
  const marker = `[… ${tokens} tokens elided …]`;
  tokens = countTokens(marker);
  return { text: marker, tokens };
}

/**
 * Renders an interaction as the transcript the classifier sees, in the classifier's
 * `role: text` form (the output is the final `assistant:` turn), within `maxTokens`.
 * When it does not fit, it keeps the system instructions (shortened), the first user turn
 * (what the conversation is about), the latest turns and the output (what the labels for
 * satisfaction and collaboration depend on), and says explicitly what was left out.
 */
export function renderTranscript(interaction: Interaction, maxTokens: number): Transcript {
  const system = interaction.systemInstructions
    .filter((text) => text.trim() !== '')
    .map((text) => line('system', text));
  const messages = interaction.messages
    .filter((message) => message.text.trim() !== '')
    .map((message) => line(message.role, message.text));
  const output = interaction.output
    .filter((message) => message.text.trim() !== '')
    .map((message) => line(message.role, message.text));
  const all = [...system, ...messages, ...output];
  const total = all.reduce((sum, entry) => sum + entry.tokens + 1, 0);
  if (total <= maxTokens) return { text: all.map((entry) => entry.text).join('\n'), tokens: total, truncated: false };

  const clip = (entry: Line, budget: number): Line =>
    entry.tokens <= budget ? entry : clipText(entry.text, Math.max(8, budget));
  const systemBudget = Math.floor(maxTokens * 0.15);
  const firstUserBudget = Math.floor(maxTokens * 0.25);
  const outputBudget = Math.floor(maxTokens * 0.25);

  const keptSystem =
    system.length > 0
      ? [
          clip(
            {
              text: system.map((entry) => entry.text).join('\n'),
              tokens: system.reduce((sum, entry) => sum + entry.tokens, 0),
            },
            systemBudget,
          ),
        ]
      : [];
  const outputLines = output.map((entry) => clip(entry, Math.floor(outputBudget / output.length)));
  const firstUserIndex = interaction.messages.findIndex(
    (message) => message.role === 'user' && message.text.trim() !== '',
  );
  const messageIndexOfLine = interaction.messages.flatMap((message, index) =>
    message.text.trim() === '' ? [] : [index],
  );
  const firstUserLine = messageIndexOfLine.indexOf(firstUserIndex);
  const keptFirst = firstUserLine >= 0 ? clip(messages[firstUserLine] as Line, firstUserBudget) : undefined;

  const markerReserve = 16;
  let remaining =
    maxTokens -
    markerReserve -
    [...keptSystem, ...outputLines, ...(keptFirst ? [keptFirst] : [])].reduce(
      (sum, entry) => sum + entry.tokens + 1,
      0,
    );
  const tail: Line[] = [];
  for (let index = messages.length - 1; index > Math.max(firstUserLine, -1); index -= 1) {
    const entry = messages[index] as Line;
    if (entry.tokens + 1 <= remaining) {
      tail.unshift(entry);
      remaining -= entry.tokens + 1;
      continue;
    }
    // The latest turn matters most: shorten it rather than dropping it.
    if (tail.length === 0 && remaining > 32) {
      const clipped = clip(entry, remaining - 1);
      tail.unshift(clipped);
      remaining -= clipped.tokens + 1;
    }
    break;
  }
  const firstKeptTailIndex = messages.length - tail.length;
  const elidedTurns = Math.max(0, firstKeptTailIndex - (firstUserLine + 1));
  const elisionText = `[… ${elidedTurns} earlier turn${elidedTurns === 1 ? '' : 's'} elided …]`;
  const elision = elidedTurns > 0 ? [{ text: elisionText, tokens: countTokens(elisionText) }] : [];
  const kept = [...keptSystem, ...(keptFirst ? [keptFirst] : []), ...elision, ...tail, ...outputLines];
  return {
    text: kept.map((entry) => entry.text).join('\n'),
    tokens: kept.reduce((sum, entry) => sum + entry.tokens + 1, 0),
    truncated: true,
  };
}
