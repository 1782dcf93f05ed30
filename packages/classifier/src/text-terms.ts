// Common English function words: they say nothing about a label.
const stopwords = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between ' +
    'both but by can could did do does doing down during each few for from further had has have having he her ' +
    'here hers herself him himself his i if in into is it its itself just me more most my myself no nor not now ' +
    'of off on once only or other our ours ourselves out over own same she should so some such than that the ' +
    'their theirs them themselves then there these they this those through to too under until up very was we ' +
    'were what when where which while who whom why will with would you your yours yourself yourselves im ive ' +
    'id dont doesnt didnt cant wont isnt arent wasnt also get got please thanks thank hi hello hey ok okay let ' +
    'lets want need like one two really much many us may might must shall how ask asked asking question questions ' +
    'know tell help thing things something anything way use using'
  ).split(' '),
);

const suffixRules: [suffix: string, replacement: string, minimumStem: number][] = [
  ['ational', 'ate', 3],
  ['ization', 'ize', 3],
  ['isation', 'ize', 3],
  ['ations', 'ate', 3],
  ['ation', 'ate', 3],
  ['ingly', '', 3],
  ['edly', '', 3],
  ['ings', '', 3],
  ['ing', '', 3],
  ['ness', '', 3],
  ['ment', '', 4],
  ['ies', 'i', 2],
  ['ied', 'i', 2],
  ['ers', '', 3],
  ['er', '', 3],
  ['ed', '', 3],
  ['ly', '', 3],
  ['es', '', 3],
  ['s', '', 3],
];

/** Light suffix stripping so "programming", "programmer" and "programs" meet at "program". Both sides
 * (labels and transcripts) go through it, so consistency matters more than linguistic accuracy. */
export function stem(word: string): string {
  let result = word;
  for (const [suffix, replacement, minimumStem] of suffixRules) {
    if (result.endsWith(suffix) && result.length - suffix.length >= minimumStem) {
      if (suffix === 's' && (result.endsWith('ss') || result.endsWith('us') || result.endsWith('is'))) break;
      result = result.slice(0, result.length - suffix.length) + replacement;
      break;
    }
  }
  // "programm" → "program", "stopp" → "stop"; and a final silent "e": "compute" → "comput".
  if (/([^aeiouls])\1$/.test(result) && result.length > 3) result = result.slice(0, -1);
  if (result.endsWith('e') && result.length > 4) result = result.slice(0, -1);
  // "study" and "studies" both end as "studi".
  if (/[^aeiou]y$/.test(result) && result.length > 3) result = `${result.slice(0, -1)}i`;
  return result;
}

/** Lower-cased, stemmed content words of `text`, stopwords and one-letter tokens removed. */
export function textTerms(text: string): string[] {
  const terms: string[] = [];
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu)) {
    const word = match[0].replace(/'/g, '');
    // Bare numbers say nothing about a label; their presence is a separate cue (math).
    if (word.length < 2 || stopwords.has(word) || /^\d+$/.test(word)) continue;
    terms.push(stem(word));
  }
  return terms;
}

/** Lower-cased words (no stemming, no stopword removal), for phrase cues. */
export function plainWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu) ?? [];
}
