import { maximumDepth } from './plain-value.js';

/**
 * Parses JSON, or failing that a Python literal (`[{'role': 'user', 'content': 'Hi'}]`, with
 * `True`/`False`/`None` and tuples) as older Python instrumentations wrote with `str()`.
 * Returns undefined when the text is neither, so callers can fall back to the raw text.
 */
export function parseLenientJson(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    // Not JSON; only bracketed literals are worth a second try.
  }
  if (!/^[[{(]/.test(trimmed)) return undefined;
  const parser = new PythonLiteralParser(trimmed);
  try {
    const value = parser.parseValue(0);
    parser.skipWhitespace();
    return parser.atEnd() ? value : undefined;
  } catch {
    return undefined;
  }
}

class PythonLiteralParser {
  private position = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.position >= this.text.length;
  }

  skipWhitespace(): void {
    while (this.position < this.text.length && /\s/.test(this.text.charAt(this.position))) this.position += 1;
  }

  parseValue(depth: number): unknown {
    if (depth > maximumDepth) throw new Error('too deep');
    this.skipWhitespace();
    const character = this.text.charAt(this.position);
    if (character === '[') return this.parseSequence(']', depth);
    if (character === '(') return this.parseSequence(')', depth);
    if (character === '{') return this.parseMapping(depth);
    if (character === "'" || character === '"') return this.parseString();
    const word = /^(?:[ub]?(?=['"]))|^(?:True|False|None|true|false|null)\b|^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(
      this.text.slice(this.position),
    );
    if (!word) throw new Error(`unexpected character at ${this.position}`);
    this.position += word[0].length;
    switch (word[0]) {
      case 'u':
      case 'b':
        return this.parseString();
      case 'True':
      case 'true':
        return true;
      case 'False':
      case 'false':
        return false;
      case 'None':
      case 'null':
        return null;
      default:
        return Number(word[0]);
    }
  }

  private expect(character: string): void {
    this.skipWhitespace();
    if (this.text.charAt(this.position) !== character) throw new Error(`expected ${character} at ${this.position}`);
    this.position += 1;
  }

  /** True when the next non-space character closes the container (a trailing comma is allowed). */
  private closes(close: string): boolean {
    this.skipWhitespace();
    if (this.text.charAt(this.position) !== close) return false;
    this.position += 1;
    return true;
  }

  private parseSequence(close: string, depth: number): unknown[] {
    this.position += 1;
    const values: unknown[] = [];
    while (!this.closes(close)) {
      if (this.atEnd()) throw new Error('unterminated sequence');
      values.push(this.parseValue(depth + 1));
      if (!this.closes(close)) {
        this.expect(',');
        continue;
      }
      return values;
    }
    return values;
  }

  private parseMapping(depth: number): Record<string, unknown> {
    this.position += 1;
    const result: Record<string, unknown> = {};
    while (!this.closes('}')) {
      if (this.atEnd()) throw new Error('unterminated mapping');
      const key = this.parseValue(depth + 1);
      this.expect(':');
      result[String(key)] = this.parseValue(depth + 1);
      if (!this.closes('}')) {
        this.expect(',');
        continue;
      }
      return result;
    }
    return result;
  }

  private parseString(): string {
    const quote = this.text.charAt(this.position);
    this.position += 1;
    let result = '';
    while (this.position < this.text.length) {
      const character = this.text.charAt(this.position);
      this.position += 1;
      if (character === quote) return result;
      if (character !== '\\') {
        result += character;
        continue;
      }
      const escaped = this.text.charAt(this.position);
      this.position += 1;
      switch (escaped) {
        case 'n':
          result += '\n';
          break;
        case 't':
          result += '\t';
          break;
        case 'r':
          result += '\r';
          break;
        case 'x':
          result += String.fromCharCode(this.hexadecimal(2));
          break;
        case 'u':
          result += String.fromCharCode(this.hexadecimal(4));
          break;
        case 'U':
          result += String.fromCodePoint(this.hexadecimal(8));
          break;
        default:
          result += escaped;
      }
    }
    throw new Error('unterminated string');
  }

  private hexadecimal(length: number): number {
    const digits = this.text.slice(this.position, this.position + length);
    if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== length) throw new Error('bad escape');
    this.position += length;
    return Number.parseInt(digits, 16);
  }
}
