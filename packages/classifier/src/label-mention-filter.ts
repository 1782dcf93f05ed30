import type { Taxonomy } from './taxonomy.js';

/** Whitespace within a line: a mention never runs into the next turn. */
const space = '[^\\S\\n]';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A snake_case name as written in text: `computer_programming`, `computer programming`, `computer-programming`. */
function phrase(name: string): string {
  return name.split('_').map(escapeRegExp).join(`(?:${space}+|[_-])`);
}

function alternatives(names: Iterable<string>, form: (name: string) => string): string {
  const unique = [...new Set(names)].sort((left, right) => right.length - left.length);
  return unique.length === 0 ? '(?!)' : `(?:${unique.map(form).join('|')})`;
}

/**
 * Removes the taxonomy's own vocabulary where a transcript uses it to ask for labels, so that
 * labels come from what the conversation is about, not from what it tells the classifier: label
 * and dimension identifiers (`computer_programming`, `task_type`) anywhere; label names (also
 * single words such as `expert`) after a labelling directive ("label this as …", "classify it as …")
 * or a dimension ("domain: …", "set intent to …"); and requests to ignore instructions. Plain words
 * used as words ("I am an expert in Rust") stay: they are the conversation's own evidence.
 */
export class LabelMentionFilter {
  private readonly pattern: RegExp;

  constructor(taxonomy: Taxonomy) {
    const labelNames = taxonomy.dimensions.flatMap((dimension) => dimension.labels.map((label) => label.name));
    const groupNames = (taxonomy.rollups ?? []).flatMap((rollup) => Object.keys(rollup.groups));
    const dimensionNames = [
      ...taxonomy.dimensions.map((dimension) => dimension.name),
      ...(taxonomy.rollups ?? []).map((rollup) => rollup.name),
    ];
    const identifiers = alternatives(
      [...labelNames, ...groupNames, ...dimensionNames].filter((name) => name.includes('_')),
      escapeRegExp,
    );
    const label = alternatives([...labelNames, ...groupNames], phrase);
    const dimension = alternatives(dimensionNames, phrase);
    const quote = '["\'`*]*';
    // Any snake_case identifier in a label slot is a label request too, on or off the taxonomy.
    const item = `${quote}\\b(?:${label}|[a-z][a-z0-9]*(?:_[a-z0-9]+)+)\\b${quote}`;
    const connector = `(?:${space}*(?:=|:|->|→)${space}*|${space}+(?:as|to|into|under|with|is|be|=)${space}+)`;
    const separator = `${space}*(?:,|;|/|&|\\+|\\band\\b|\\bor\\b|\\bplus\\b)${space}*`;
    const element = `(?:(?:the${space}+)?\\b${dimension}\\b${connector})?${item}`;
    const list = `${item}(?:${separator}${element})*`;
    const verb =
      '\\b(?:labell?(?:s|ed|ing)?|classif(?:y|ies|ied|ying)|categori[sz](?:e|es|ed|ing)|tag(?:s|ged|ging)?|' +
      'mark(?:s|ed|ing)?|rate[sd]?|rating|score[sd]?|scoring|assign(?:s|ed|ing)?|set(?:ting)?|put|treat(?:ed)?|' +
      'output|answer|respond|return|report|record)\\b';
    const filler =
      `(?:${space}+(?:this|it|that|these|those|them|me|us|all|every|each|the|a|an|one|item|items|` +
      `conversation|transcript|chat|interaction|request|message|dimension|dimensions|field|fields|label|labels|` +
      `${dimension})){0,4}`;
    const directive = `(?:\\b(?:and|then|please|now|also|just)${space}+)*${verb}${filler}${connector}${list}`;
    const assignment = `(?:the${space}+)?\\b${dimension}\\b${connector}${list}`;
    const override =
      `(?:\\b(?:please|and|now|just)${space}+)*\\b(?:ignore|disregard|forget|override)${space}+` +
      `(?:(?:all|any|your|the|my|previous|prior|above|earlier|preceding|system|of|these|those)${space}+){0,4}` +
      `(?:instructions?|rules|prompts?|guidelines|directions|directives)\\b(?:${space}+(?:and|then)\\b)?`;
    this.pattern = new RegExp(`${directive}|${assignment}|${override}|\\b${identifiers}\\b`, 'gi');
  }

  /** The text with every such mention replaced by a space. */
  strip(text: string): string {
    return text.replace(this.pattern, ' ');
  }
}
