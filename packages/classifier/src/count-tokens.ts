// The o200k_base entry point explicitly: the package's main entry is a different default encoding
// in older versions, and o200k_base is what gpt-4o, gpt-4.1, gpt-5 and the o-series use.
import {
  countTokens as countEncodedTokens,
  decode,
  encode,
  isWithinTokenLimit,
} from 'gpt-tokenizer/encoding/o200k_base';

// Transcripts are data: text such as "<|endoftext|>" inside them is counted as plain text, never
// rejected (the library throws on special tokens by default).
const plainText = { disallowedSpecial: new Set<string>() };

/** Tokens of `text` in the o200k_base encoding. */
export function countTokens(text: string): number {
  return countEncodedTokens(text, plainText);
}

const elision = '\n[…]\n';

/**
 * Cuts `text` to at most `maxTokens` tokens. `head_and_tail` keeps the start and the end around an
 * elision mark, because a conversation's request and its latest turns matter most.
 */
export function truncateToTokens(
  text: string,
  maxTokens: number,
  options: { keep?: 'head' | 'head_and_tail' } = {},
): string {
  const limit = Math.max(0, Math.floor(maxTokens));
  if (isWithinTokenLimit(text, limit, plainText) !== false) return text;
  // A token is rarely more than a few dozen characters, so pre-cutting a huge text bounds the encoding work.
  const window = limit * 64;
  const keep = options.keep ?? 'head';
  if (keep === 'head') return decodeCleanly(encode(text.slice(0, window), plainText).slice(0, limit));
  const markTokens = countTokens(elision);
  if (limit <= markTokens + 2) return decodeCleanly(encode(text.slice(0, window), plainText).slice(0, limit));
  const headEncoded = encode(text.slice(0, window), plainText);
  const tailEncoded = encode(text.slice(-window), plainText);
  // Re-encoding the joined pieces can merge or split tokens at the seams; shrink until it fits (bounded).
  let budget = limit - markTokens;
  for (let attempt = 0; attempt < 4 && budget > 0; attempt++) {
    const headTokens = Math.ceil(budget / 2);
    const tailTokens = budget - headTokens;
    const head = decodeCleanly(headEncoded.slice(0, headTokens));
    const tail = tailTokens > 0 ? decodeCleanly(tailEncoded.slice(tailEncoded.length - tailTokens)) : '';
    const result = `${head}${elision}${tail}`;
    const excess = countTokens(result) - limit;
    if (excess <= 0) return result;
    budget -= excess;
  }
  return decodeCleanly(headEncoded.slice(0, limit));
}

/**
 * The longest o200k_base token is 128 characters (a run of spaces), so `n` tokens never span more
 * than `n × maxCharactersPerToken` characters: pre-cutting a text to that bounds the work of counting
 * or cutting it by the tokens wanted, not by the size of the text.
 */
export const maxCharactersPerToken = 128;
/** First guess of characters per token when cutting; prose is about 4, so this rarely needs growing. */
const typicalCharactersPerToken = 8;

/**
 * The first (`from: 'start'`) or last (`from: 'end'`) `count` tokens of `text`, decoded. Only a window
 * of the text is encoded, grown until it holds more than `count` tokens (so the cut falls on a whole
 * token) or reaches the `count × maxCharactersPerToken` bound.
 */
export function sliceTokens(text: string, count: number, from: 'start' | 'end'): string {
  const wanted = Math.max(0, Math.floor(count));
  if (wanted === 0) return '';
  const limit = wanted * maxCharactersPerToken;
  for (let window = wanted * typicalCharactersPerToken; ; window *= 4) {
    const bounded = Math.min(window, limit);
    const whole = bounded >= text.length;
    const piece = whole ? text : from === 'start' ? text.slice(0, bounded) : text.slice(text.length - bounded);
    const tokens = encode(piece, plainText);
    if (whole || tokens.length > wanted || bounded === limit) {
      return decodeCleanly(
        from === 'start' ? tokens.slice(0, wanted) : tokens.slice(Math.max(0, tokens.length - wanted)),
      );
    }
  }
}

/** Decodes tokens, dropping a character split at either end by the cut (decoded as U+FFFD). */
function decodeCleanly(tokens: number[]): string {
  return decode(tokens).replace(/^\uFFFD+|\uFFFD+$/g, '');
}
