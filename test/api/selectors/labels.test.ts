import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StatusError } from '../../../src/api/errors.js';
import {
  formatLabelSelector,
  formatLabels,
  isEverything,
  labelSelectorFromObject,
  labelSelectorFromSet,
  matchesLabels,
  parseLabelSelector,
  selectorToString,
} from '../../../src/api/selectors/labels.js';

function parseError(s: string): string {
  try {
    parseLabelSelector(s);
  } catch (e) {
    assert.ok(e instanceof StatusError, 'a StatusError');
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    return e.message;
  }
  assert.fail(`expected ${JSON.stringify(s)} to be rejected`);
}

const QNAME_RULE =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_RULE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe('parseLabelSelector', () => {
  it('parses every operator and normalizes the string form', () => {
    const sel = parseLabelSelector(' tier != db , app=web,env==prod, zone in (b, a,a), !legacy,canary, x notin (in), n>3, m<10 ');
    assert.equal(selectorToString(sel), 'app=web,canary,env==prod,!legacy,m<10,n>3,tier!=db,x notin (in),zone in (a,b)');
  });

  it('treats the empty string as everything', () => {
    assert.ok(isEverything(parseLabelSelector('')));
    assert.ok(isEverything(parseLabelSelector('   ')));
    assert.ok(matchesLabels(parseLabelSelector(''), undefined));
  });

  it('accepts empty values the way upstream does', () => {
    assert.equal(selectorToString(parseLabelSelector('x in (foo,,baz),y,z notin ()')), 'x in (,baz,foo),y,z notin ()');
    assert.equal(selectorToString(parseLabelSelector('a=')), 'a=');
    assert.ok(matchesLabels(parseLabelSelector('a='), { a: '' }));
    assert.ok(!matchesLabels(parseLabelSelector('a='), {}));
  });

  it('accepts prefixed keys', () => {
    const sel = parseLabelSelector('node-role.kubernetes.io/control-plane,app.kubernetes.io/name=x');
    assert.ok(matchesLabels(sel, { 'node-role.kubernetes.io/control-plane': '', 'app.kubernetes.io/name': 'x' }));
  });

  it('reports upstream messages as 400 BadRequest', () => {
    assert.equal(parseError('a b'), "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
    assert.equal(parseError('a,'), "found '', expected: identifier after ','");
    assert.equal(parseError(',a'), "found ',', expected: !, identifier, or 'end of string'");
    assert.equal(parseError('a=b c'), "found 'c', expected: ',' or 'end of string'");
    assert.equal(parseError('!a=b'), "found '=', expected: ',' or 'end of string'");
    assert.equal(parseError('a in b'), "unable to parse requirement: found 'b' expected: '('");
    assert.equal(parseError('a in (b c)'), "unable to parse requirement: found 'c', expected: ',' or ')'");
    assert.equal(parseError('a in (='), "unable to parse requirement: found '=', expected: ',', ')' or identifier");
    assert.equal(parseError('a=('), "unable to parse requirement: found '(', expected: identifier");
    assert.equal(parseError('!'), "unable to parse requirement: found '', expected: identifier");
    assert.equal(parseError('-a'), `unable to parse requirement: <nil>: Invalid value: "-a": name part ${QNAME_RULE}`);
    assert.equal(parseError('a=-b'), `unable to parse requirement: values[0][a]: Invalid value: "-b": ${VALUE_RULE}`);
    assert.equal(parseError('a>x'), "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer");
    assert.equal(parseError('a/b/c'), `unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name ${QNAME_RULE} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`);
    assert.match(parseError('Bad_Prefix/x'), /prefix part a lowercase RFC 1123 subdomain must consist of/);
    assert.equal(parseError(`a=${'v'.repeat(64)}`), `unable to parse requirement: values[0][a]: Invalid value: "${'v'.repeat(64)}": must be no more than 63 characters`);
  });

  it('aggregates several value errors in brackets', () => {
    const msg = parseError('a in (-x,-y)');
    assert.ok(msg.startsWith('unable to parse requirement: [values[0][a]: Invalid value: "-x": '), msg);
    assert.ok(msg.includes(', values[1][a]: Invalid value: "-y": '), msg);
    assert.ok(msg.endsWith(']'), msg);
  });
});

describe('matchesLabels', () => {
  const labels = { app: 'web', tier: 'front', n: '5' };
  const cases: [string, boolean][] = [
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (db,web)', true],
    ['app notin (db,web)', false],
    ['missing notin (x)', true],
    ['missing in (x)', false],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['n>4', true],
    ['n>5', false],
    ['n<6', true],
    ['app>1', false],
    ['missing<1', false],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
  ];
  for (const [sel, want] of cases) {
    it(`${sel} -> ${want}`, () => assert.equal(matchesLabels(parseLabelSelector(sel), labels), want));
  }

  it('does not see inherited members of JSON-parsed label maps', () => {
    const parsed = JSON.parse('{"a":"b"}') as Record<string, string>;
    assert.equal(matchesLabels(parseLabelSelector('constructor'), parsed), false);
    assert.equal(matchesLabels(parseLabelSelector('!toString'), parsed), true);
  });

  it('treats missing labels as an empty set', () => {
    assert.equal(matchesLabels(parseLabelSelector('!a'), null), true);
    assert.equal(matchesLabels(parseLabelSelector('a'), undefined), false);
  });
});

describe('labelSelectorFromObject', () => {
  it('selects nothing for a missing selector and everything for an empty one', () => {
    assert.equal(matchesLabels(labelSelectorFromObject(undefined), { a: 'b' }), false);
    assert.equal(matchesLabels(labelSelectorFromObject({}), { a: 'b' }), true);
  });

  it('converts matchLabels and matchExpressions', () => {
    const sel = labelSelectorFromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'staging'] },
        { key: 'tier', operator: 'NotIn', values: ['db'] },
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'team', operator: 'Exists' },
      ],
    });
    assert.equal(selectorToString(sel), 'app=web,!canary,env in (prod,staging),team,tier notin (db)');
    assert.equal(matchesLabels(sel, { app: 'web', env: 'prod', team: 'x' }), true);
    assert.equal(matchesLabels(sel, { app: 'web', env: 'prod', team: 'x', canary: '1' }), false);
  });

  it('rejects bad operators, empty sets and invalid values', () => {
    assert.throws(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }), {
      message: '"Gt" is not a valid label selector operator',
    });
    assert.throws(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), {
      message: "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty",
    });
    assert.throws(() => labelSelectorFromObject({ matchLabels: { 'a b': 'c' } }), (e: unknown) => e instanceof StatusError && e.message.startsWith('key: Invalid value: "a b": name part'));
  });

  it('formats like FormatLabelSelector', () => {
    assert.equal(formatLabelSelector(undefined), '<none>');
    assert.equal(formatLabelSelector({}), '<none>');
    assert.equal(formatLabelSelector({ matchLabels: { b: '2', a: '1' } }), 'a=1,b=2');
    assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }), '<error>');
  });
});

describe('labelSelectorFromSet / formatLabels', () => {
  it('matches exactly the set', () => {
    const sel = labelSelectorFromSet({ app: 'web', tier: 'front' });
    assert.equal(matchesLabels(sel, { app: 'web', tier: 'front', extra: 'x' }), true);
    assert.equal(matchesLabels(sel, { app: 'web' }), false);
    assert.ok(isEverything(labelSelectorFromSet({})));
  });
  it('formats sorted labels', () => {
    assert.equal(formatLabels({ b: '2', a: '1' }), 'a=1,b=2');
    assert.equal(formatLabels({}), '<none>');
    assert.equal(formatLabels(undefined), '<none>');
  });
});

describe('properties', () => {
  const key = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/).filter((k) => k !== 'in' && k !== 'notin');
  const value = fc.stringMatching(/^[a-z0-9]{0,5}$/);
  const requirement = fc.oneof(
    fc.tuple(key, fc.constantFrom('=', '==', '!='), value).map(([k, op, v]) => `${k}${op}${v}`),
    fc.tuple(key, fc.constantFrom('in', 'notin'), fc.array(value, { minLength: 1, maxLength: 3 })).map(([k, op, vs]) => `${k} ${op} (${vs.join(',')})`),
    key,
    key.map((k) => `!${k}`),
    fc.tuple(key, fc.constantFrom('>', '<'), fc.nat(1000)).map(([k, op, n]) => `${k}${op}${n}`),
  );
  const selector = fc.array(requirement, { minLength: 1, maxLength: 5 }).map((rs) => rs.join(','));
  const labels = fc.dictionary(key, fc.oneof(value, fc.nat(2000).map(String)), { maxKeys: 6 });

  it('String() re-parses to a selector that matches the same labels', () => {
    fc.assert(
      fc.property(selector, labels, (s, ls) => {
        const sel = parseLabelSelector(s);
        const again = parseLabelSelector(selectorToString(sel));
        assert.equal(selectorToString(again), selectorToString(sel));
        assert.equal(matchesLabels(again, ls), matchesLabels(sel, ls));
      }),
    );
  });

  it('a selector from a label set always matches that set', () => {
    fc.assert(fc.property(labels, (ls) => matchesLabels(labelSelectorFromSet(ls), ls)));
  });
});
