// The `labelSelector` query-syntax parser and requirement validation (apimachinery labels.Parse
// and labels.NewRequirement), with upstream's error wording. Errors are plain Error values;
// labels.ts turns them into 400 BadRequest.

import type { LabelOperator, LabelRequirement } from './labels.js';
import { isLabelKey, isLabelValue, invalidValue } from './validate.js';

const BINARY_OPERATORS = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// ---------------------------------------------------------------- lexer

type Tok = 'eos' | 'id' | ')' | ',' | '!' | '==' | '=' | '>' | 'in' | '<' | '!=' | 'notin' | '(' | 'error';
type Item = { tok: Tok; lit: string };

const KEYWORDS: Record<string, Tok> = {
  ')': ')',
  ',': ',',
  '!': '!',
  '==': '==',
  '=': '=',
  '>': '>',
  in: 'in',
  '<': '<',
  '!=': '!=',
  notin: 'notin',
  '(': '(',
};

const isWhitespace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string): boolean => c === '=' || c === '!' || c === '(' || c === ')' || c === ',' || c === '>' || c === '<';

function lex(s: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos] as string)) pos++;
    if (pos >= s.length) {
      items.push({ tok: 'eos', lit: '' });
      return items;
    }
    const start = pos;
    if (isSpecial(s[pos] as string)) {
      // Longest run of special characters that still spells an operator ('!=' over '!').
      let last: Item | undefined;
      let buf = '';
      while (pos < s.length && isSpecial(s[pos] as string)) {
        buf += s[pos];
        const t = Object.hasOwn(KEYWORDS, buf) ? KEYWORDS[buf] : undefined;
        if (t !== undefined) last = { tok: t, lit: buf };
        else if (last) break;
        pos++;
      }
      items.push(last ?? { tok: 'error', lit: `error expected: keyword found '${s.slice(start, pos)}'` });
      continue;
    }
    while (pos < s.length && !isSpecial(s[pos] as string) && !isWhitespace(s[pos] as string)) pos++;
    const word = s.slice(start, pos);
    items.push({ tok: word === 'in' || word === 'notin' ? word : 'id', lit: word });
  }
}

// ---------------------------------------------------------------- parser

class Parser {
  private pos = 0;
  constructor(private readonly items: Item[]) {}

  /** In a value position the keywords 'in' and 'notin' are plain identifiers. */
  private peek(values: boolean): Item {
    const it = this.items[this.pos] as Item;
    return values && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'id', lit: it.lit } : it;
  }

  private next(values: boolean): Item {
    const it = this.peek(values);
    this.pos++;
    return it;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.peek(true);
      if (tok === 'eos') return reqs;
      if (tok !== 'id' && tok !== '!') throw new Error(`found '${lit}', expected: !, identifier, or 'end of string'`);
      try {
        reqs.push(this.requirement());
      } catch (e) {
        throw new Error(`unable to parse requirement: ${(e as Error).message}`);
      }
      const after = this.next(true);
      if (after.tok === 'eos') return reqs;
      if (after.tok !== ',') throw new Error(`found '${after.lit}', expected: ',' or 'end of string'`);
      const t2 = this.peek(true);
      if (t2.tok !== 'id' && t2.tok !== '!') throw new Error(`found '${t2.lit}', expected: identifier after ','`);
    }
  }

  private requirement(): LabelRequirement {
    let negated = false;
    let it = this.next(true);
    if (it.tok === '!') {
      negated = true;
      it = this.next(true);
    }
    if (it.tok !== 'id') throw new Error(`found '${it.lit}', expected: identifier`);
    const key = it.lit;
    const keyErrs = isLabelKey(key);
    if (keyErrs.length > 0) throw new Error(invalidValue('<nil>', key, keyErrs.join('; ')));
    const ahead = this.peek(true).tok;
    if (negated || ahead === 'eos' || ahead === ',') {
      // '!key' is complete whatever follows; a bare 'key' only before ',' or the end.
      return newRequirement(key, negated ? '!' : 'exists', []);
    }
    const op = this.operator();
    const values = op === 'in' || op === 'notin' ? this.setValues() : this.exactValue();
    return newRequirement(key, op, [...new Set(values)].sort());
  }

  private operator(): LabelOperator {
    const { tok, lit } = this.next(false);
    switch (tok) {
      case 'in':
      case 'notin':
      case '=':
      case '==':
      case '!=':
        return tok;
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      default:
        throw new Error(`found '${lit}', expected: ${BINARY_OPERATORS.join(', ')}`);
    }
  }

  private setValues(): string[] {
    const open = this.next(true);
    if (open.tok !== '(') throw new Error(`found '${open.lit}' expected: '('`);
    const first = this.peek(true);
    if (first.tok === ')') {
      this.pos++;
      return [''];
    }
    if (first.tok !== 'id' && first.tok !== ',') throw new Error(`found '${first.lit}', expected: ',', ')' or identifier`);
    const out = this.identifierList();
    if (this.next(true).tok !== ')') throw new Error(`found '${first.lit}', expected: ')'`);
    return out;
  }

  /** Comma-separated, possibly empty identifiers: '(a,,b)' and '(,a)' hold the empty value. */
  private identifierList(): string[] {
    const out: string[] = [];
    for (;;) {
      const it = this.next(true);
      if (it.tok === 'id') {
        out.push(it.lit);
        const t2 = this.peek(true);
        if (t2.tok === ',') continue;
        if (t2.tok === ')') return out;
        throw new Error(`found '${t2.lit}', expected: ',' or ')'`);
      } else if (it.tok === ',') {
        if (out.length === 0) out.push('');
        const t2 = this.peek(true).tok;
        if (t2 === ')') {
          out.push('');
          return out;
        }
        if (t2 === ',') out.push('');
      } else {
        throw new Error(`found '${it.lit}', expected: ',', or identifier`);
      }
    }
  }

  private exactValue(): string[] {
    const t = this.peek(true).tok;
    if (t === 'eos' || t === ',') return [''];
    const it = this.next(true);
    if (it.tok === 'id') return [it.lit];
    throw new Error(`found '${it.lit}', expected: identifier`);
  }
}

export function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

/**
 * labels.NewRequirement: validates key, value count and values; throws Error with the
 * aggregated field errors (one message, or '[a, b]' for several).
 */
export function newRequirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  const errs: string[] = [];
  const keyErrs = isLabelKey(key);
  if (keyErrs.length > 0) errs.push(invalidValue('key', key, keyErrs.join('; ')));
  let bound: bigint | undefined;
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) errs.push(`values: Invalid value: ${goSlice(values)}: for 'in', 'notin' operators, values set can't be empty`);
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) errs.push(`values: Invalid value: ${goSlice(values)}: exact-match compatibility requires one single value`);
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) errs.push(`values: Invalid value: ${goSlice(values)}: values set must be empty for exists and does not exist`);
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) errs.push(`values: Invalid value: ${goSlice(values)}: for 'Gt', 'Lt' operators, exactly one value is required`);
      values.forEach((v, i) => {
        const n = parseInt64(v);
        if (n === undefined) errs.push(invalidValue(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
        else bound = n;
      });
      break;
  }
  values.forEach((v, i) => {
    const ve = isLabelValue(v);
    if (ve.length > 0) errs.push(invalidValue(`values[${i}][${key}]`, v, ve.join('; ')));
  });
  if (errs.length > 0) throw new Error(aggregate(errs));
  return bound === undefined ? { key, operator, values } : { key, operator, values, bound };
}

/** Go's %#v of a []string, as field errors print a bad slice value. */
function goSlice(values: readonly string[]): string {
  return `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
}

/** utilerrors.Aggregate: a single message as is, several deduplicated inside brackets. */
function aggregate(msgs: string[]): string {
  const unique = [...new Set(msgs)];
  return unique.length === 1 ? (unique[0] as string) : `[${unique.join(', ')}]`;
}


/** Parses a selector string into requirements in written order; throws Error on bad input. */
export function parseRequirements(s: string): LabelRequirement[] {
  return new Parser(lex(s)).parse();
}
