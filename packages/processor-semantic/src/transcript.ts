import { countTokens, maxCharactersPerToken, sliceTokens } from '@semtel/classifier';
import type { Interaction } from '@semtel/genai';

export interface Transcript {
  text: string;
  tokens: number;
  /** True when something was elided to fit the budget. */
  truncated: boolean;
}

export interface RenderTranscriptOptions {
  /** Applied to every text that can reach the transcript (PII redaction), after the pre-cut. */
  redact?: (text: string) => string;
}

interface Line {
  text: string;
  tokens: number;
  /** Estimated tokens of a middle cut out by characters before counting, not in `tokens`. */
  uncounted: number;
}

/**
 * Characters dropped on each side of a pre-cut seam after redaction: a value the cut split (half an
 * email address) is not recognised by the redactor, so it must not survive next to the seam.
 */
const seamGuardCharacters = 256;
/** Room for the `[… N earlier turns elided …]` marker and its line. */
const markerReserve = 16;
/** A shortened turn needs some room to say anything; below this it is dropped instead. */
const minimumClippedTokens = 32;
/** How the budget is shared while every part wants more than its share; unused shares go to the others. */
const shares = { system: 0.15, first: 0.25, output: 0.25, tail: 0.35 } as const;
type Part = keyof typeof shares;

/** Characters per token assumed when probing the ends of a long text; prose is about 4. */
const probeCharactersPerToken = 8;

/**
 * How many characters at one end of `text` surely hold more than `maxTokens` tokens: a window at
 * `probeCharactersPerToken`, once counting it proves that, else the safe bound of
 * `maxCharactersPerToken` (the longest o200k_base token), which always does.
 */
function endWindow(text: string, maxTokens: number, from: 'start' | 'end'): number {
  const guess = maxTokens * probeCharactersPerToken;
  const piece = from === 'start' ? text.slice(0, guess) : text.slice(-guess);
  // Two tokens of slack: the cut may split a token the whole text would not.
  return countTokens(piece) >= maxTokens + 2 ? guess : maxTokens * maxCharactersPerToken;
}

/**
 * Bounds the work a huge text costs. A transcript keeps at most `maxTokens` tokens of one text, all
 * within a window at either end that holds that many tokens, so the middle beyond those windows is
 * cut by characters before anything counts or redacts it; the work then depends on `maxTokens`, not
 * on the size of the text. A text that is cut has more than `maxTokens` tokens left, so it is always
 * clipped again later and the seam falls in the elided middle.
 */
function prepare(text: string, maxTokens: number, redact: ((text: string) => string) | undefined, role?: string): Line {
  const withRole = (body: string): string => (role === undefined ? body : `${role}: ${body.trim()}`);
  const whole = (): Line => {
    const prepared = withRole(redact ? redact(text) : text);
    return { text: prepared, tokens: countTokens(prepared), uncounted: 0 };
  };
  if (text.length <= 2 * (maxTokens * probeCharactersPerToken + seamGuardCharacters)) return whole();
  const headCharacters = endWindow(text, maxTokens, 'start');
  const tailCharacters = endWindow(text, maxTokens, 'end');
  const cut = text.length - headCharacters - tailCharacters;
  if (cut <= 2 * seamGuardCharacters) return whole();
  const head = redact
    ? redact(text.slice(0, headCharacters + seamGuardCharacters)).slice(0, -seamGuardCharacters)
    : text.slice(0, headCharacters);
  const tail = redact
    ? redact(text.slice(-tailCharacters - seamGuardCharacters)).slice(seamGuardCharacters)
    : text.slice(-tailCharacters);
  const joined = withRole(`${head} [… ${cut} characters elided …] ${tail}`);
  const tokens = countTokens(joined);
  return { text: joined, tokens, uncounted: Math.round((cut * tokens) / joined.length) };
}

/**
 * Shortens one text to at most `maxTokens`, keeping its head and tail (token-exact): the opening
 * states the request and the end often holds the question, so the middle is what goes.
 */
export function clipText(text: string, maxTokens: number, uncounted = 0): Line {
  const tokens = countTokens(text);
  if (tokens <= maxTokens) return { text, tokens, uncounted: 0 };
  const markerFor = (kept: number): string => ` [… ${tokens - kept + uncounted} tokens elided …] `;
  let budget = maxTokens - countTokens(markerFor(maxTokens));
  // Re-encoding the joined pieces can merge or split tokens at the seams: shrink until it fits (bounded).
  for (let attempt = 0; attempt < 4 && budget > 0; attempt += 1) {
    const headTokens = Math.ceil(budget * 0.6);
    const head = sliceTokens(text, headTokens, 'start');
    const tail = sliceTokens(text, budget - headTokens, 'end');
    const clipped = `${head}${markerFor(budget)}${tail}`.trim();
    const clippedTokens = countTokens(clipped);
    if (clippedTokens <= maxTokens) return { text: clipped, tokens: clippedTokens, uncounted: 0 };
    budget -= clippedTokens - maxTokens;
  }
  const marker = `[… ${tokens + uncounted} tokens elided …]`;
  return { text: marker, tokens: countTokens(marker), uncounted: 0 };
}

function clip(line: Line, budget: number): Line {
  if (line.tokens <= budget) return line;
  return clipText(line.text, Math.max(8, budget), line.uncounted);
}

/** Each line costs its tokens and the newline that separates it. */
function cost(lines: readonly Line[]): number {
  return lines.reduce((sum, line) => sum + line.tokens + 1, 0);
}

/**
 * Shares `budget` between parts by `shares`, but no part gets more than it asks for: what a small
 * part leaves goes to the others (water-filling), so the transcript uses the whole budget whenever
 * it has that much content.
 */
function allocate(demands: Record<Part, number>, budget: number): Record<Part, number> {
  const allocation: Record<Part, number> = { system: 0, first: 0, output: 0, tail: 0 };
  let remaining = budget;
  let open = (Object.keys(shares) as Part[]).filter((part) => demands[part] > 0);
  while (open.length > 0 && remaining > 0) {
    const weight = open.reduce((sum, part) => sum + shares[part], 0);
    const satisfied = open.filter((part) => demands[part] <= (remaining * shares[part]) / weight);
    if (satisfied.length === 0) {
      for (const part of open) allocation[part] = Math.floor((remaining * shares[part]) / weight);
      break;
    }
    for (const part of satisfied) {
      allocation[part] = demands[part];
      remaining -= demands[part];
    }
    open = open.filter((part) => !satisfied.includes(part));
  }
  return allocation;
}

/**
 * Renders an interaction as the transcript the classifier sees, in the classifier's `role: text`
 * form (the output is the final `assistant:` turn), within `maxTokens`. When it does not fit, it
 * keeps the system instructions, the first user turn (what the conversation is about), the latest
 * turns and the output (what the labels for satisfaction and collaboration depend on), shortening
 * each only as far as the others need the room, and says explicitly what was left out. The work is
 * bounded by `maxTokens`, not by the size of the interaction.
 */
export function renderTranscript(
  interaction: Interaction,
  maxTokens: number,
  options: RenderTranscriptOptions = {},
): Transcript {
  const { redact } = options;
  const nonEmpty = (text: string): boolean => text.trim() !== '';
  const systemText = interaction.systemInstructions
    .filter(nonEmpty)
    .map((text) => `system: ${text.trim()}`)
    .join('\n');
  const system = systemText === '' ? undefined : prepare(systemText, maxTokens, redact);
  const outputText = interaction.output
    .filter((message) => nonEmpty(message.text))
    .map((message) => `${message.role}: ${message.text.trim()}`)
    .join('\n');
  const output = outputText === '' ? undefined : prepare(outputText, maxTokens, redact);
  const messages = interaction.messages.filter((message) => nonEmpty(message.text));
  const firstUserIndex = messages.findIndex((message) => message.role === 'user');
  const lineOf = (index: number): Line => {
    const message = messages[index] as (typeof messages)[number];
    return prepare(message.text, maxTokens, redact, message.role);
  };
  const first = firstUserIndex >= 0 ? lineOf(firstUserIndex) : undefined;

  // Latest turns first, and only as many as could ever be kept: counting stops past the budget.
  const fixedLines = [system, first, output].filter((line): line is Line => line !== undefined);
  const tailCandidates: Line[] = [];
  let tailCost = 0;
  for (let index = messages.length - 1; index > firstUserIndex && tailCost <= maxTokens; index -= 1) {
    const line = lineOf(index);
    tailCandidates.push(line);
    tailCost += line.tokens + 1;
  }
  let counted = cost(fixedLines) + tailCost;
  const leading: Line[] = [];
  for (let index = 0; index < Math.max(0, firstUserIndex) && counted <= maxTokens; index += 1) {
    const line = lineOf(index);
    leading.push(line);
    counted += line.tokens + 1;
  }
  const uncounted = fixedLines.some((line) => line.uncounted > 0);
  if (counted <= maxTokens && !uncounted) {
    const whole = [
      ...(system ? [system] : []),
      ...leading,
      ...(first ? [first] : []),
      ...[...tailCandidates].reverse(),
      ...(output ? [output] : []),
    ];
    return { text: whole.map((line) => line.text).join('\n'), tokens: cost(whole), truncated: false };
  }

  // Turns other than the first user turn and the tail are elided; leading turns always are.
  const middleTurns = Math.max(0, firstUserIndex) + (messages.length - 1 - firstUserIndex);
  const reserve = middleTurns > 0 ? markerReserve : 0;
  const demand = (line: Line | undefined): number => (line === undefined ? 0 : line.tokens + line.uncounted + 1);
  const allocation = allocate(
    {
      system: demand(system),
      first: demand(first),
      output: demand(output),
      tail: tailCandidates.reduce((sum, line) => sum + line.tokens + line.uncounted + 1, 0),
    },
    maxTokens - reserve,
  );
  // Each part's allocation includes its newline.
  let keptSystem = system ? clip(system, allocation.system - 1) : undefined;
  let keptFirst = first ? clip(first, allocation.first - 1) : undefined;
  let keptOutput = output ? clip(output, allocation.output - 1) : undefined;
  const tail: Line[] = [];
  let tailRoom = allocation.tail;
  let clippedTailTurn = -1;
  for (const line of tailCandidates) {
    if (line.tokens + 1 <= tailRoom) {
      tail.unshift(line);
      tailRoom -= line.tokens + 1;
      continue;
    }
    // The oldest turn that fits only in part is shortened into the room left rather than dropped.
    if (tailRoom > minimumClippedTokens) {
      const clipped = clip(line, tailRoom - 1);
      tail.unshift(clipped);
      tailRoom -= clipped.tokens + 1;
      clippedTailTurn = 0;
    }
    break;
  }

  // What clipping left unused (rounding, seams) goes back to the parts that were shortened.
  const elidedTurns = middleTurns - tail.length;
  const elisionText = `[… ${elidedTurns} earlier turn${elidedTurns === 1 ? '' : 's'} elided …]`;
  const elision: Line[] =
    elidedTurns > 0 ? [{ text: elisionText, tokens: countTokens(elisionText), uncounted: 0 }] : [];
  const assemble = (): Line[] => [
    ...(keptSystem ? [keptSystem] : []),
    ...(keptFirst ? [keptFirst] : []),
    ...elision,
    ...tail,
    ...(keptOutput ? [keptOutput] : []),
  ];
  const regrow = (original: Line | undefined, kept: Line | undefined): Line | undefined => {
    const slack = maxTokens - cost(assemble());
    if (original === undefined || kept === undefined || slack <= 0 || kept === original) return kept;
    return clip(original, kept.tokens + slack);
  };
  keptOutput = regrow(output, keptOutput);
  keptFirst = regrow(first, keptFirst);
  keptSystem = regrow(system, keptSystem);
  if (clippedTailTurn === 0) {
    const slack = maxTokens - cost(assemble());
    const original = tailCandidates[tail.length - 1];
    if (slack > 0 && original !== undefined) tail[0] = clip(original, (tail[0] as Line).tokens + slack);
  }

  const kept = assemble();
  const text = kept.map((line) => line.text).join('\n');
  const tokens = countTokens(text);
  // Seams between lines can tokenise differently from the lines alone; never hand over more than the budget.
  if (tokens > maxTokens) {
    const clipped = clipText(text, maxTokens);
    return { text: clipped.text, tokens: clipped.tokens, truncated: true };
  }
  return { text, tokens, truncated: true };
}
