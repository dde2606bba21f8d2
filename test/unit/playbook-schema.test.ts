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
      'bad.yaml:19:5: steps[3]: Unrecognized key: "bogus"; expected one of name, command, description, source, args, with, when, continue_on_error, confirm, timeout',
      'bad.yaml:21:19: steps[3].when.step: expected the name of an earlier step, got later',
    ]);
  });

  test('a key the format does not have is an error naming the keys allowed there; the bundled playbooks load', () => {
    const steps = 'name, command, description, source, args, with, when, continue_on_error, confirm, timeout';
    const pb = 'name: x\nversion: 1\ndescription: d\nsteps:\n  - name: a\n    command: fail2ban\n    origin: the hardening guide, 2. Fail2ban\n';
    expect(check(pb)).toEqual([`x.yaml:5:5: steps[0]: Unrecognized key: "origin"; expected one of ${steps}`]);
    expect(check(pb.replace('    origin:', '    when: {sett: project}\n    source:'))).toEqual(['x.yaml:7:11: steps[0].when: Unrecognized key: "sett"; expected one of set, unset, step, status, target']);
    expect(check(`${pb.replace('    origin: the hardening guide, 2. Fail2ban\n', '')}vars:\n  v: {default: 1, must: true}\n`)).toEqual(['x.yaml:8:6: vars.v: Unrecognized key: "must"; expected one of default, must_exist, description']);
    for (const f of ['playbooks/incident.yaml', 'playbooks/hygiene.yaml']) {
      const t = readFileSync(f, 'utf8');
      expect(checkPlaybook(t, f).issues).toEqual([]);
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
