import { readFileSync } from 'node:fs';
import { checkPlaybook, formatIssue, listPlaybooks } from '../../src/playbook/load.js';
import { CATALOG } from '../fixtures/playbook/catalog.js';

const check = (text: string) => checkPlaybook(text, 'x.yaml', CATALOG).issues.map(formatIssue);

describe('playbook schema and checks', () => {
  test('the bundled playbooks are listed and pass the schema', () => {
    const names = listPlaybooks('/nonexistent').map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(['incident', 'hygiene']));
    for (const f of ['playbooks/incident.yaml', 'playbooks/hygiene.yaml']) {
      const r = checkPlaybook(readFileSync(f, 'utf8'), f);
      expect(r.issues).toEqual([]);
      expect(r.playbook!.steps.at(-1)!.command).toBe('report');
    }
  });

  test('every problem names the file, the line and what was expected', () => {
    const issues = checkPlaybook(readFileSync('test/fixtures/playbook/bad.yaml', 'utf8'), 'bad.yaml', CATALOG).issues.map(formatIssue);
    expect(issues).toEqual([
      'bad.yaml:10:16: steps[0].with.fail-on: expected one of info, low, medium, high, critical, got severe',
      'bad.yaml:11:13: steps[0].with.deep: --deep is a switch: expected true or false',
      'bad.yaml:12:11: steps[1].name: step name scan is used twice',
      expect.stringMatching(/^bad\.yaml:13:14: steps\[1\]\.command: unknown command colect: expected one of auth-review, fail2ban, isolate, persistence-scan, report, sweep$/),
      'bad.yaml:17:13: steps[2].with.host: --host is set by the run (--host, --hosts, --root, -i, --sudo…), not by a step',
      'bad.yaml:18:15: steps[2].with.socket: unknown template {{sock}}: expected one of case, case_id, host, playbook, last_run, since_last_run, project',
      'bad.yaml:19:5: steps[3]: Unrecognized key: "bogus"',
      'bad.yaml:21:19: steps[3].when.step: expected the name of an earlier step, got later',
    ]);
  });

  test('seed: is the old name of source: it still loads, with a warning naming the line', () => {
    const old = 'name: x\nversion: 1\ndescription: d\nsteps:\n  - name: a\n    command: fail2ban\n    seed: the hardening guide, 2. Fail2ban\n';
    const r = checkPlaybook(old, 'x.yaml', CATALOG);
    expect(r.issues).toEqual([]);
    expect(r.warnings.map(formatIssue)).toEqual(['x.yaml:7:11: steps[0].seed: seed: is deprecated, rename it to source: (it still works)']);
    expect(r.playbook!.steps[0]!.source).toBe('the hardening guide, 2. Fail2ban');
    expect(r.playbook!.steps[0]!.seed).toBeUndefined();
    expect(check(old.replace('    seed:', '    source: y\n    seed:'))).toEqual(['x.yaml:8:11: steps[0].seed: seed is the old name of source: give source only']);
    // the bundled playbooks say source:, and never "seed"
    for (const f of ['playbooks/incident.yaml', 'playbooks/hygiene.yaml']) {
      const t = readFileSync(f, 'utf8');
      expect(t).not.toMatch(/seed/i);
      expect(checkPlaybook(t, f).warnings).toEqual([]);
    }
  });

  test('a variable may be declared with a default and must_exist', () => {
    const r = checkPlaybook('name: x\nversion: 1\ndescription: d\nvars:\n  accepted: {default: null, must_exist: true}\n  n: 3\nsteps:\n  - name: a\n    command: fail2ban\n    with: {socket: \'{{accepted}}/s\'}\n', 'x.yaml', CATALOG);
    expect(r.issues).toEqual([]);
    expect(check('name: x\nversion: 1\ndescription: d\nvars:\n  accepted: {must: true}\nsteps:\n  - name: a\n    command: report\n')[0]).toMatch(/^x\.yaml:5:\d+: vars\.accepted/);
  });

  test('YAML syntax errors and wrong types carry their line', () => {
    expect(check('name: x\nversion: 1\ndescription: d\nsteps:\n  - name: a\n    command: fail2ban\n    with: {socket: [a\n')[0]).toMatch(/^x\.yaml:\d+:\d+: YAML: /);
    expect(check('name: x\nversion: one\ndescription: d\nsteps: []\n')).toEqual([expect.stringMatching(/^x\.yaml:2:10: version: /), expect.stringMatching(/^x\.yaml:4:8: steps: /)]);
    expect(check('name: x\nversion: 1\ndescription: d\nsteps:\n  - name: a\n    command: isolate\n    with:\n      snapshot: false\n      yes: false\n')).toEqual(['x.yaml:9:12: steps[0].with.yes: --yes has no --no-yes: leave it out instead of false']);
    expect(check('name: x\nversion: 1\ndescription: d\nsteps:\n  - name: a\n    command: report\n    with: {pages: 3}\n')).toEqual([expect.stringMatching(/^x\.yaml:7:19: steps\[0\]\.with\.pages: the report step takes/)]);
    expect(check('name: x\nversion: 1\ndescription: d\nvars: {case: 1}\nsteps:\n  - name: a\n    command: report\n')).toEqual([expect.stringMatching(/vars\.case: case is a built-in variable/)]);
  });
});
