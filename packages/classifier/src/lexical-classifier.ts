import type { ClassificationItem, ClassificationOutcome, Classifier, ItemLabels } from './classifier.js';
import { LabelMentionFilter } from './label-mention-filter.js';
import { addTerms, escapeLabelNames, LexicalLabelIndex } from './lexical-label-index.js';
import type { QueryTerms } from './lexical-label-index.js';
import { allowedLabels, escapeLabel } from './taxonomy.js';
import type { Taxonomy, TaxonomyDimension } from './taxonomy.js';
import { textTerms } from './text-terms.js';
import { parseTranscript } from './transcript.js';

export interface LexicalClassifierOptions {
  /** BM25 score the best label must reach; below it the dimension's escape label is answered. */
  minimumScore?: number;
}

/** Signals of one transcript shared by every dimension. */
interface Features {
  /** The user turn that carries the request: the last one that is not mere feedback. */
  request: string;
  userTurns: string[];
  /** User turns after the first assistant turn (reactions to an answer). */
  laterUserTurns: string[];
  /** Whole transcript, weighted by role (user turns count most). */
  query: QueryTerms;
  code: boolean;
  developerTool: boolean;
  howTo: boolean;
  edit: boolean;
  math: boolean;
  image: boolean;
  greeting: boolean;
}

interface TaxonomyModel {
  dimensions: Map<string, TaxonomyDimension>;
  indexes: Map<string, LexicalLabelIndex>;
  mentions: LabelMentionFilter;
}

const roleWeights = { user: 1, assistant: 0.3, system: 0.1, tool: 0.2 } as const;
/** Items between abort checks, so a huge batch still stops promptly. */
const abortCheckInterval = 256;

// Cue patterns. They only steer dimensions whose labels are the default ones (see `hasLabels`).
const codePattern =
  /```|=>|\b\w+(?:Error|Exception)\b|Traceback|\b(?:def|function|const|let|var|import|return|class|public|void|print|console\.log|SELECT|npm|pip|git)\b[^\n]*[({=;:]|\w\(\)/;
const mathPattern =
  /\d+(?:\.\d+)?\s*[-+*/×÷^=]\s*\(?\d|\b\d+(?:\.\d+)?\s*(?:%|percent\b)|\b[xyn]\s*[=^²]|\b(?:sqrt|derivative|integral|equation)\b/i;
const imagePattern = /\[(?:image|photo|picture|screenshot|img)[^\]]*\]/i;
const greetingPattern =
  /^(?:hi|hello|hey|yo|hiya|good (?:morning|afternoon|evening)|how are you|how's it going|what'?s up|sup)\b/i;
const actionVerbs =
  'write|draft|create|generate|make|build|fix|debug|translate|summari[sz]e|rewrite|rephrase|paraphrase|proofread|' +
  'edit|convert|format|compose|design|code|implement|refactor|draw|calculate|compute|solve|extract|correct|improve|' +
  'shorten|give|brainstorm|suggest|plan|outline|prepare|produce|turn|add|remove|change|optimi[sz]e|sort|organi[sz]e|' +
  'render|continue|finish|complete|review|check|analy[sz]e|find|play|pretend|imagine|act|roleplay';
const doingPattern = new RegExp(
  String.raw`^(?:(?:hey|hi|hello|ok|okay|so|now|please|pls|kindly)[,!.]?\s+)*` +
    String.raw`(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?|please\s+|i\s+(?:need|want|would like)\s+(?:you\s+)?to\s+|` +
    String.raw`help\s+me\s+(?:to\s+)?|i\s+need\s+(?:a|an|some)\s+|let'?s\s+)?(?:${actionVerbs})\b`,
  'i',
);
const questionPattern =
  /^(?:what|how|why|who|whom|whose|when|where|which|is|are|am|was|were|do|does|did|can|could|should|would|will|shall|may|might|has|have|had)\b/i;
/** Imperatives that ask for information or advice rather than an artifact. */
const askingImperativePattern =
  /^(?:(?:can|could|would) you\s+(?:please\s+)?|please\s+)?(?:explain|describe|define|recommend|compare|teach me|tell me|help me understand|show me how)\b/i;
const howToPattern =
  /^(?:how (?:do|can|should|would|could) (?:i|we|you|one)|how to|what(?:'s| is) the best way to|steps to)\b/i;
const editPattern =
  /\b(?:improve|proofread|rewrite|rephrase|edit|polish|shorten|fix|critique|feedback on|correct)\b.{0,40}\b(?:essay|draft|text|paragraph|sentence|resume|résumé|cv|letter|email|summary|post|bio|story|speech|wording|grammar|spelling)\b/i;
const developerToolPattern =
  /\b(?:git|npm|pip|docker|kubectl|bash|terminal|regex|sql|api|json|yaml|python|javascript|typescript|java|c\+\+|rust|golang|react|node(?:\.js)?|linux|compiler?)\b/i;
const expressingPattern =
  /\b(?:i feel|i'm (?:so|really|feeling|just)|i am (?:so|really|feeling)|i love|i hate|i miss|i think|lol|haha|just wanted to)\b/i;

const reasonPatterns: Record<string, RegExp> = {
  gratitude_or_praise:
    /\b(?:thanks|thank you|thx|ty|appreciate|great job|awesome|brilliant|amazing|love it|you're the best)\b/i,
  confirms_success:
    /\b(?:it works|that worked|worked|works now|works perfectly|works great|fixed it|that fixed|solved|that did it|exactly what i needed)\b/i,
  builds_on_answer: /\b(?:now can you|can you also|now make|now add|now write|next,|also add|building on)\b/i,
  rephrases_or_repeats_request: /\b(?:let me rephrase|i'll rephrase|to clarify|what i meant|again,|once again)\b/i,
  corrects_error:
    /\b(?:wrong|incorrect|not (?:true|correct|right)|mistake|that's false|(?:does ?n[o']t|did ?n[o']t|is ?n[o']t|won't|still (?:does ?n[o']t|not)) work(?:ing)?|not working|still (?:get(?:ting)?|has|have|throws|fails|broken|crash\w*)|same error)\b/i,
  instructions_not_followed:
    /\b(?:i said|i told you|i asked for|you didn't follow|you ignored|ignored my|as i said|i specifically)\b/i,
  misunderstood_intent: /\b(?:not what i (?:meant|asked|wanted)|misunderstood|that's not what|you misunderstood)\b/i,
  incomplete_or_truncated: /\b(?:incomplete|cut off|you stopped|unfinished|rest of (?:it|the)|finish it|you missed)\b/i,
  unwanted_refusal: /\b(?:why can't you|why won't you|just answer|you refused|stop refusing|it's not harmful)\b/i,
  expresses_frustration: /\b(?:useless|annoying|frustrat\w*|terrible|ugh|wtf|ridiculous|waste of time|come on)\b|!!+/i,
};
const satisfiedReasons = ['gratitude_or_praise', 'confirms_success'];
const dissatisfiedReasons = [
  'rephrases_or_repeats_request',
  'corrects_error',
  'instructions_not_followed',
  'misunderstood_intent',
  'incomplete_or_truncated',
  'unwanted_refusal',
  'expresses_frustration',
];

const feedbackLoopPattern =
  /```|\b(?:error|exception|traceback|stack ?trace|it says|i got|i get|output (?:is|was)|returns?|returned|failed|crash\w*|still)\b/i;
const validationPattern =
  /\b(?:check (?:my|this|if|whether)|review my|is (?:this|my|it) (?:\w+ )?(?:correct|right|ok|good)|proofread|verify|any mistakes|feedback on my|grade my|did i (?:get|do))\b/i;
const iterationPattern =
  /\b(?:make it|shorter|longer|change|instead|more (?:formal|casual|concise|detailed)|add|remove|revise|rewrite|tweak|again|now)\b/i;

/** A task-type score below this is weak evidence; questions then default to specific_info. */
const strongTaskTypeScore = 3;

// Task types that belong to one domain.
const taskTypeDomains: Record<string, string> = {
  purchasable_products: 'shopping_and_products',
  cooking_and_recipes: 'home_food_and_lifestyle',
  health_fitness_beauty_or_self_care: 'health_and_wellness',
  relationships_and_personal_reflection: 'relationships_and_personal_life',
  computer_programming: 'technology_and_computing',
  mathematical_calculation: 'science_and_math',
};

// task_type → the Bloom level such tasks usually need, a prior for task_complexity.
const complexityPrior: Record<string, string> = {
  edit_or_critique_provided_text: 'evaluate',
  personal_writing_or_communication: 'create',
  translation: 'understand',
  argument_or_summary_generation: 'create',
  write_fiction: 'create',
  how_to_advice: 'apply',
  tutoring_or_teaching: 'understand',
  creative_ideation: 'create',
  health_fitness_beauty_or_self_care: 'apply',
  specific_info: 'remember',
  purchasable_products: 'evaluate',
  cooking_and_recipes: 'apply',
  computer_programming: 'create',
  mathematical_calculation: 'apply',
  data_analysis: 'analyze',
  create_an_image: 'create',
  analyze_an_image: 'understand',
  generate_or_retrieve_other_media: 'create',
  relationships_and_personal_reflection: 'evaluate',
  asking_about_the_model: 'remember',
};

const expertCuePattern =
  /\b(?:trade-?offs?|edge cases?|in production|benchmark\w*|invariants?|latency|throughput|p9\d|asymptotic|idempoten\w*|race conditions?|that's (?:incorrect|wrong)|you're wrong|actually,|per the spec|rfc ?\d+|under load)\b/i;
const noviceCuePattern =
  /\b(?:new to (?:this|all)|no idea|don't understand|do not understand|eli5|explain like i'?m|what (?:even )?is an? |what does .{1,30} even mean|confused|never (?:used|done))\b/i;
const beginnerCuePattern =
  /\b(?:just started|beginner|i'?m learning|learning to|step by step|simple terms|basic question|the basics|newbie)\b/i;
const intermediateCuePattern = /\b(?:i'?ve used|i know the basics|i usually|familiar with|i already (?:know|tried))\b/i;

function isTechnicalWord(word: string): boolean {
  const letters = word.replace(/[^\p{L}]/gu, '');
  return (
    /[a-z][A-Z]/.test(word) ||
    /\w_\w/.test(word) ||
    /\w\.\w/.test(word) ||
    /\(\)/.test(word) ||
    /\d[a-zA-Z]|[a-zA-Z]\d/.test(word) ||
    /^[A-Z]{2,6}s?$/.test(word) ||
    letters.length >= 11
  );
}

function hasLabels(dimension: TaxonomyDimension, names: readonly string[]): boolean {
  return names.every((name) => dimension.labels.some((label) => label.name === name));
}

function termSet(text: string): Set<string> {
  return new Set(textTerms(text));
}

function jaccard(left: Set<string>, right: Set<string>): number {
  if (left.size === 0 || right.size === 0) return 0;
  let shared = 0;
  for (const term of left) if (right.has(term)) shared += 1;
  return shared / (left.size + right.size - shared);
}

function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((sentence) => sentence.trim())
    .filter(Boolean);
}

/**
 * An offline classifier: BM25 scoring of the transcript against each label's name, description and
 * examples, plus cue heuristics where words alone are weak (intent from sentence form, satisfaction from
 * the user's later turns, user expertise from terminology density, collaboration mode from turn
 * structure). Deterministic and fast; much less accurate than an LLM.
 */
export class LexicalClassifier implements Classifier {
  readonly model = 'lexical';
  private readonly minimumScore: number;
  private readonly models = new WeakMap<Taxonomy, TaxonomyModel>();

  constructor(options: LexicalClassifierOptions = {}) {
    this.minimumScore = options.minimumScore ?? 1.5;
  }

  async classify(
    items: ClassificationItem[],
    taxonomy: Taxonomy,
    signal?: AbortSignal,
  ): Promise<ClassificationOutcome> {
    signal?.throwIfAborted();
    const labels = new Map<string, ItemLabels>();
    items.forEach((item, index) => {
      if (index % abortCheckInterval === 0) signal?.throwIfAborted();
      labels.set(item.id, this.classifyTranscript(item.transcript, taxonomy));
    });
    return { labels, invalid: [], model: this.model };
  }

  /** Labels for one transcript, every enabled dimension. */
  classifyTranscript(transcript: string, taxonomy: Taxonomy): ItemLabels {
    const model = this.modelFor(taxonomy);
    // Label names the transcript uses to ask for labels are instructions, not evidence.
    const features = extractFeatures(model.mentions.strip(transcript));
    // Dimensions other heuristics consult are computed even when disabled.
    const memo = new Map<string, string | string[]>();
    const inProgress = new Set<string>();
    const labelOf = (name: string): string | undefined => {
      const dimension = model.dimensions.get(name);
      if (!dimension || inProgress.has(name)) return undefined;
      let label = memo.get(name);
      if (label === undefined) {
        inProgress.add(name);
        label = withinTaxonomy(dimension, this.classifyDimension(dimension, features, model, labelOf));
        inProgress.delete(name);
        memo.set(name, label);
      }
      return typeof label === 'string' ? label : undefined;
    };
    const result: ItemLabels = {};
    for (const dimension of model.dimensions.values()) {
      if (!dimension.enabled) continue;
      labelOf(dimension.name);
      const label = memo.get(dimension.name);
      if (label !== undefined) result[dimension.name] = label;
    }
    return result;
  }

  private modelFor(taxonomy: Taxonomy): TaxonomyModel {
    let model = this.models.get(taxonomy);
    if (!model) {
      model = {
        dimensions: new Map(taxonomy.dimensions.map((dimension) => [dimension.name, dimension])),
        indexes: new Map(taxonomy.dimensions.map((dimension) => [dimension.name, new LexicalLabelIndex(dimension)])),
        mentions: new LabelMentionFilter(taxonomy),
      };
      this.models.set(taxonomy, model);
    }
    return model;
  }

  private best(
    dimension: TaxonomyDimension,
    model: TaxonomyModel,
    query: QueryTerms,
    boosts: Record<string, number> = {},
  ): string {
    const index = model.indexes.get(dimension.name);
    if (!index) return escapeLabel(dimension);
    const scores = index.score(query);
    let bestLabel: string | undefined;
    let bestScore = Number.NEGATIVE_INFINITY;
    index.labels.forEach((label, position) => {
      const score = (scores[position] ?? 0) + (boosts[label] ?? 0);
      if (score > bestScore) {
        bestScore = score;
        bestLabel = label;
      }
    });
    return bestLabel !== undefined && bestScore >= this.minimumScore ? bestLabel : escapeLabel(dimension);
  }

  private classifyDimension(
    dimension: TaxonomyDimension,
    features: Features,
    model: TaxonomyModel,
    labelOf: (name: string) => string | undefined,
  ): string | string[] {
    const { name } = dimension;
    if (dimension.multiLabel) {
      if (name === 'satisfaction_reasons' && hasLabels(dimension, Object.keys(reasonPatterns))) {
        return satisfactionReasons(features);
      }
      return this.multiLabel(dimension, model, features.query);
    }
    if (name === 'intent' && hasLabels(dimension, ['asking', 'doing', 'expressing'])) {
      return classifyIntent(features) ?? this.best(dimension, model, features.query);
    }
    if (
      name === 'task_type' &&
      hasLabels(dimension, ['computer_programming', 'greetings_and_chitchat', 'specific_info'])
    ) {
      return this.classifyTaskType(dimension, features, model, labelOf('domain'), labelOf('intent'));
    }
    if (name === 'domain' && hasLabels(dimension, ['technology_and_computing', 'science_and_math'])) {
      if (isShortGreeting(features)) return escapeLabel(dimension);
      return this.best(dimension, model, features.query, {
        technology_and_computing: features.code ? 3 : features.developerTool ? 1.5 : 0,
        science_and_math: features.math && !features.code ? 2 : 0,
      });
    }
    if (name === 'task_complexity' && hasLabels(dimension, ['remember', 'understand', 'apply', 'create'])) {
      const taskType = labelOf('task_type');
      if (taskType === 'greetings_and_chitchat') return escapeLabel(dimension);
      const prior = taskType ? complexityPrior[taskType] : undefined;
      const requestQuery: QueryTerms = new Map();
      addTerms(requestQuery, features.request, 1);
      return this.best(dimension, model, requestQuery, prior ? { [prior]: 2 } : {});
    }
    if (
      name === 'user_expertise' &&
      hasLabels(dimension, ['novice', 'beginner', 'intermediate', 'proficient', 'expert'])
    ) {
      return classifyExpertise(features) ?? escapeLabel(dimension);
    }
    if (name === 'satisfaction' && hasLabels(dimension, ['satisfied', 'dissatisfied'])) {
      return classifySatisfaction(features) ?? escapeLabel(dimension);
    }
    if (
      name === 'collaboration_mode' &&
      hasLabels(dimension, ['directive', 'feedback_loop', 'task_iteration', 'learning', 'validation'])
    ) {
      return classifyCollaboration(features, labelOf('intent'), labelOf('task_type')) ?? escapeLabel(dimension);
    }
    return this.best(dimension, model, features.query);
  }

  private classifyTaskType(
    dimension: TaxonomyDimension,
    features: Features,
    model: TaxonomyModel,
    domain: string | undefined,
    intent: string | undefined,
  ): string {
    if (isShortGreeting(features)) return 'greetings_and_chitchat';
    const boosts: Record<string, number> = {
      computer_programming: features.code ? 3 : features.developerTool ? 1.5 : 0,
      mathematical_calculation: features.math && !features.code ? 2.5 : 0,
      analyze_an_image: features.image ? 3 : 0,
      how_to_advice: features.howTo ? 1.5 : 0,
      edit_or_critique_provided_text: features.edit ? 4 : 0,
    };
    // Task types that imply a subject agree with the (better supported) domain label.
    if (domain !== undefined && !escapeLabelNames.has(domain)) {
      for (const [taskType, impliedDomain] of Object.entries(taskTypeDomains)) {
        boosts[taskType] = (boosts[taskType] ?? 0) + (impliedDomain === domain ? 1.5 : -1);
      }
    }
    const index = model.indexes.get(dimension.name);
    const scores = index?.score(features.query) ?? [];
    let best: string | undefined;
    let bestScore = Number.NEGATIVE_INFINITY;
    index?.labels.forEach((label, position) => {
      const score = (scores[position] ?? 0) + (boosts[label] ?? 0);
      if (score > bestScore) {
        bestScore = score;
        best = label;
      }
    });
    if (best !== undefined && bestScore >= strongTaskTypeScore) return best;
    // Weak word evidence: fall back on the form of the request.
    if (intent === 'asking') return features.howTo ? 'how_to_advice' : 'specific_info';
    if (best !== undefined && bestScore >= this.minimumScore) return best;
    return intent === 'doing' && hasLabels(dimension, ['other']) ? 'other' : escapeLabel(dimension);
  }

  /** Every label scoring at least the minimum and at least half the best score. */
  private multiLabel(dimension: TaxonomyDimension, model: TaxonomyModel, query: QueryTerms): string[] {
    const index = model.indexes.get(dimension.name);
    if (!index) return [];
    const scores = index.score(query);
    const top = Math.max(0, ...scores);
    return index.labels.filter((_, position) => {
      const score = scores[position] ?? 0;
      return score >= this.minimumScore && score >= top / 2;
    });
  }
}

/** Heuristics name default labels; a customised dimension may lack some, so never answer outside it. */
function withinTaxonomy(dimension: TaxonomyDimension, label: string | string[]): string | string[] {
  const allowed = new Set(allowedLabels(dimension));
  if (Array.isArray(label)) return label.filter((name) => allowed.has(name));
  return allowed.has(label) ? label : escapeLabel(dimension);
}

function extractFeatures(transcript: string): Features {
  const turns = parseTranscript(transcript);
  const userTurns = turns.filter((turn) => turn.role === 'user').map((turn) => turn.text);
  const firstAssistant = turns.findIndex((turn) => turn.role === 'assistant');
  const laterUserTurns =
    firstAssistant < 0
      ? []
      : turns
          .slice(firstAssistant + 1)
          .filter((turn) => turn.role === 'user')
          .map((turn) => turn.text);
  const isFeedback = (text: string): boolean =>
    text.split(/\s+/).length <= 15 &&
    [...satisfiedReasons, ...dissatisfiedReasons].some((reason) => reasonPatterns[reason]?.test(text));
  const request = [...userTurns].reverse().find((text) => !isFeedback(text)) ?? userTurns[0] ?? '';

  const query: QueryTerms = new Map();
  for (const turn of turns) addTerms(query, turn.text, roleWeights[turn.role]);
  const userText = userTurns.join('\n');
  return {
    request,
    userTurns,
    laterUserTurns,
    query,
    code: codePattern.test(userText),
    developerTool: developerToolPattern.test(userText),
    howTo: sentences(request).some((sentence) => howToPattern.test(sentence)),
    edit: editPattern.test(request),
    math: mathPattern.test(userText),
    image: imagePattern.test(userText),
    greeting: greetingPattern.test(request.trim()),
  };
}

/** A greeting of a few words is all the request there is. */
const shortGreetingWords = 8;

function isShortGreeting(features: Features): boolean {
  return features.greeting && features.request.split(/\s+/).length <= shortGreetingWords;
}

function classifyIntent(features: Features): string | undefined {
  if (isShortGreeting(features)) return 'expressing';
  const parts = sentences(features.request);
  if (parts.some((sentence) => doingPattern.test(sentence))) return 'doing';
  if (parts.some((sentence) => askingImperativePattern.test(sentence))) return 'asking';
  if (features.request.includes('?') || parts.some((sentence) => questionPattern.test(sentence))) return 'asking';
  if (features.greeting || expressingPattern.test(features.request)) return 'expressing';
  return undefined;
}

function classifyExpertise(features: Features): string | undefined {
  const userText = features.userTurns.join('\n');
  const words = userText.split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word));
  if (noviceCuePattern.test(userText)) return 'novice';
  if (beginnerCuePattern.test(userText)) return 'beginner';
  // Fewer words than this say too little about the user.
  if (words.length < 12) return undefined;
  const density = words.filter(isTechnicalWord).length / words.length;
  const expertCues = (userText.match(new RegExp(expertCuePattern.source, 'gi')) ?? []).length;
  if (expertCues >= 2 || (expertCues >= 1 && density >= 0.1)) return 'expert';
  if (density >= 0.15) return 'proficient';
  if (density >= 0.05 || intermediateCuePattern.test(userText)) return 'intermediate';
  return 'beginner';
}

function turnReasons(turn: string, previousRequest: string): Set<string> {
  const reasons = new Set<string>();
  for (const [reason, pattern] of Object.entries(reasonPatterns)) if (pattern.test(turn)) reasons.add(reason);
  // "That works" inside "that doesn't work" is not success.
  if (reasons.has('corrects_error')) reasons.delete('confirms_success');
  const current = termSet(turn);
  if (current.size >= 3 && jaccard(current, termSet(previousRequest)) >= 0.5)
    reasons.add('rephrases_or_repeats_request');
  return reasons;
}

function satisfactionReasons(features: Features): string[] {
  const reasons = new Set<string>();
  let previous = features.userTurns[0] ?? '';
  for (const turn of features.laterUserTurns) {
    for (const reason of turnReasons(turn, previous)) reasons.add(reason);
    previous = turn;
  }
  return Object.keys(reasonPatterns).filter((reason) => reasons.has(reason));
}

function classifySatisfaction(features: Features): string | undefined {
  if (features.laterUserTurns.length === 0) return undefined;
  let previous = features.userTurns[0] ?? '';
  let total = 0;
  features.laterUserTurns.forEach((turn, index) => {
    const reasons = turnReasons(turn, previous);
    previous = turn;
    let score = 0;
    for (const reason of reasons) {
      if (satisfiedReasons.includes(reason)) score += 1;
      else if (reason === 'builds_on_answer') score += 0.5;
      else score -= 1.5;
    }
    // The latest reaction says most about how the exchange ended.
    total += index === features.laterUserTurns.length - 1 ? 2 * score : score;
  });
  if (total > 0) return 'satisfied';
  if (total < 0) return 'dissatisfied';
  return undefined;
}

function classifyCollaboration(
  features: Features,
  intent: string | undefined,
  taskType: string | undefined,
): string | undefined {
  if (taskType === 'greetings_and_chitchat' || (intent === 'expressing' && !features.request.includes('?'))) {
    return undefined;
  }
  if (features.laterUserTurns.some((turn) => feedbackLoopPattern.test(turn))) return 'feedback_loop';
  if (validationPattern.test(features.request) || taskType === 'edit_or_critique_provided_text') return 'validation';
  if (features.laterUserTurns.some((turn) => iterationPattern.test(turn))) return 'task_iteration';
  if (intent === 'asking') return 'learning';
  if (intent === 'doing') return 'directive';
  return undefined;
}
