import type { Detector } from '../detector.js';
import { Collector } from '../detector.js';
import { judgeScriptFile } from '../rules/judge-file.js';
import { startupFiles, SYSTEM_STARTUP, USER_STARTUP } from '../rules/startup-files.js';

/** Lines another detector owns: LD_PRELOAD (ld-preload) and history tampering (anti-forensics). */
const OWNED_ELSEWHERE = /\bLD_PRELOAD\b|\bHISTFILE\b|\bHISTSIZE\b|\bHISTFILESIZE\b|set\s+\+o\s+history/;

export const shellStartup: Detector = {
  id: 'shell-startup',
  title: 'Shell startup files: /etc/profile, profile.d, bashrc, zsh, every user dotfile',
  category: 'persistence',
  attack: ['T1546.004'],
  locations: [...SYSTEM_STARTUP, ...USER_STARTUP.map((f) => `~/${f}`)],
  async run(ctx) {
    const c = new Collector('shell-startup', 'persistence', ctx.target.name);
    for (const f of await startupFiles(ctx, c)) {
      const system = !f.user;
      await judgeScriptFile(ctx, c, f.path, {
        detector: 'shell-startup',
        attack: 'T1546.004',
        kind: system ? 'shell startup file' : `shell startup file of ${f.user}`,
        // users' own dotfiles are theirs to write: report them only when a line says something
        unownedBase: 'info',
        runs: system ? 'runs in every login or interactive shell, root included' : `runs in every shell of ${f.user}`,
        skipLine: (t) => OWNED_ELSEWHERE.test(t),
        reportClean: system,
      });
    }
    return c.result();
  },
};
