import { createHash } from 'node:crypto';
import type { Interaction, InteractionMessage } from './interaction.js';

/**
 * A stable 128-bit hex hash of what is classified: system instructions, input messages and
 * output. Metadata (model, ids, usage, convention) is left out, so an agent span and its chat
 * span, or the same content from two producers, share a key. The output is included: it is part
 * of what the classifier reads, so retries that got a different answer are classified on their
 * own, while retries with the same answer (and inputs without captured output) share a key.
 * Texts are trimmed and roles lower-cased; otherwise the content is hashed as-is.
 */
export function interactionContentKey(interaction: Interaction): string {
  const canonical = JSON.stringify([
    interaction.systemInstructions.map((text) => text.trim()),
    interaction.messages.map(canonicalMessage),
    interaction.output.map(canonicalMessage),
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

function canonicalMessage(message: InteractionMessage): [string, string] {
  return [message.role.trim().toLowerCase(), message.text.trim()];
}
