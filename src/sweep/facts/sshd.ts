// the one sshd_config reader is host/facts/sshd.ts; the sweep keeps only its views (global and per Match block)
import { connectionSpecFor, parseSshdConfigFile, parseSshdError, parseSshdT, runningSshdConfigs, SSHD_DEFAULTS, type SshdProblem } from '../../host/facts/sshd.js';
import { argvText, type SweepContext } from '../context.js';

/** sshd's effective settings under one connection context (global, or one Match block). */
export interface SshdContextView {
  /** "global" or the Match criteria / -C spec it was evaluated with */
  label: string;
  settings: Map<string, string>;
  evidence: string;
}

export interface SshdView {
  file: string;
  source: 'sshd -T' | 'file';
  contexts: SshdContextView[];
  /** sshd refused the file, or a line does not parse: file and line */
  problem?: SshdProblem;
  /** no such config file (and no sshd that could read it): the SSH checks are not applicable */
  absent?: boolean;
}

function withDefaults(settings: Map<string, string>): Map<string, string> {
  const out = new Map(settings);
  // ChallengeResponseAuthentication is the old name of KbdInteractiveAuthentication (OpenSSH 8.7)
  if (!out.has('kbdinteractiveauthentication') && out.has('challengeresponseauthentication')) out.set('kbdinteractiveauthentication', out.get('challengeresponseauthentication')!);
  for (const [k, v] of Object.entries(SSHD_DEFAULTS)) if (!out.has(k)) out.set(k, v);
  return out;
}

async function viewOf(ctx: SweepContext, file: string): Promise<SshdView> {
  const t = ctx.target;
  const fromFile = await parseSshdConfigFile(t, file, (p) => ctx.read(p));
  if (t.live) {
    const argv = ['sshd', '-T', '-f', file];
    const res = await ctx.run(argv, { timeoutMs: 10_000 });
    if (res) {
      if (res.code !== 0) return { file, source: 'sshd -T', contexts: [], problem: parseSshdError(res.stderr.toString('utf8'), file) };
      const contexts: SshdContextView[] = [{ label: 'global', settings: withDefaults(parseSshdT(res.stdout.toString('utf8'), file).global), evidence: argvText(argv) }];
      const specs = new Map<string, string>();
      for (const m of fromFile.matches) {
        const spec = connectionSpecFor(m.criteria);
        if (spec) specs.set(spec, `Match ${m.criteria}`);
      }
      for (const s of ctx.opts.sshMatch ?? []) specs.set(s, `-C ${s}`);
      // every context asked at once (over ssh: one round trip for all), kept in their order
      const asked = await Promise.all(
        [...specs].map(async ([spec, label]) => {
          const a = [...argv, '-C', spec];
          return { a, label, r: await ctx.run(a, { timeoutMs: 10_000 }) };
        }),
      );
      for (const { a, label, r } of asked) {
        if (!r || r.code !== 0) continue;
        contexts.push({ label, settings: withDefaults(parseSshdT(r.stdout.toString('utf8'), file).global), evidence: argvText(a) });
      }
      return { file, source: 'sshd -T', contexts };
    }
  }
  if ((await ctx.read(file).catch(() => null)) === null) return { file, source: 'file', contexts: [], absent: true };
  const problem = fromFile.problems[0];
  const global = withDefaults(fromFile.global);
  const contexts: SshdContextView[] = [{ label: 'global', settings: global, evidence: file }];
  for (const m of fromFile.matches) {
    const merged = new Map(global);
    for (const [k, v] of m.options) merged.set(k, v);
    contexts.push({ label: `Match ${m.criteria}`, settings: withDefaults(merged), evidence: file });
  }
  return { file, source: 'file', contexts, problem };
}

/** What the sshd views read: the configurations, and the running sshds found in /proc. */
export const SSHD_READS = ['sshd -T -f CONFIG [-C user=…,host=…,addr=…]', '/etc/ssh/sshd_config (+ Include)', '/etc/ssh/sshd_config.d/*', '/proc/stat /proc/*/{stat,cmdline,exe,cwd,ns/net,ns/pid} (the running sshd and its -f)'];

/**
 * `sshd -T` of the configurations the SSH checks judge whatever they find: --sshd-config, else the
 * usual one (a running sshd started with another -f is asked at run time).
 */
export const sshdCommands = (o: { sshdConfigs?: string[] }): string[][] => (o.sshdConfigs?.length ? o.sshdConfigs : ['/etc/ssh/sshd_config']).map((f) => ['sshd', '-T', '-f', f]);

/** Every sshd config to judge: --sshd-config, else those of the running sshd (live), else /etc/ssh/sshd_config. */
export function sshdViews(ctx: SweepContext): Promise<SshdView[]> {
  return ctx.memo('sshd', async () => {
    let files = ctx.opts.sshdConfigs ?? [];
    if (files.length === 0 && ctx.target.live) files = await runningSshdConfigs(ctx.target);
    if (files.length === 0) files = ['/etc/ssh/sshd_config'];
    return Promise.all(files.map((f) => viewOf(ctx, f)));
  });
}
