import type { Target } from '../../host/target.js';
import { TABLE_FAMILY, TABLE_NAME } from './schema.js';

/**
 * The dead man's switch (the idea of iptables-apply): a detached shell that outlives `ir isolate` and
 * the SSH session, and loads revert.nft at the deadline unless `confirmed` (or `restored`) appears in
 * its directory first. Plain POSIX sh + nft, so it runs on hosts without systemd and without node.
 */
export const WATCHDOG_SCRIPT = `#!/bin/sh
# ir isolate --host-network: revert the quarantine at the deadline unless it was confirmed
d="$1"; deadline="$2"
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
echo $$ > "$d/watchdog.pid"
echo "$(now) armed, deadline $deadline" >> "$d/events"
while [ "$(date +%s)" -lt "$deadline" ]; do
  if [ -e "$d/confirmed" ]; then echo "$(now) confirmed, watchdog exits" >> "$d/events"; exit 0; fi
  if [ -e "$d/restored" ]; then echo "$(now) restored, watchdog exits" >> "$d/events"; exit 0; fi
  sleep 1
done
if [ -e "$d/confirmed" ] || [ -e "$d/restored" ]; then exit 0; fi
if nft list table ${TABLE_FAMILY} ${TABLE_NAME} >/dev/null 2>&1; then
  if nft -f "$d/revert.nft" 2>> "$d/events"; then echo "$(now) reverted" >> "$d/events"; touch "$d/reverted"; else echo "$(now) revert FAILED" >> "$d/events"; fi
else
  echo "$(now) table already gone" >> "$d/events"; touch "$d/reverted"
fi
`;

/** Writes a file on the target through exec (Target has no write): stdin to `cat`, mode 600 in a 700 dir. */
export async function writeRemoteFile(target: Target, path: string, data: string): Promise<void> {
  const res = await target.exec(['sh', '-c', 'umask 077 && mkdir -p "$(dirname "$1")" && cat > "$1"', 'sh', path], { privileged: true, input: data });
  if (res.code !== 0) throw new Error(`cannot write ${path} on ${target.name}: ${res.stderr.toString('utf8').trim()}`);
}

/**
 * How to start the watchdog detached: systemd-run where systemd is PID 1 (survives logind's
 * KillUserProcesses), else setsid with every descriptor closed, so neither sudo's pty nor the SSH
 * channel takes it down when ir disconnects.
 */
export function watchdogArgv(how: 'systemd-run' | 'setsid', unit: string, dir: string, deadlineEpoch: number): string[] {
  const script = `${dir}/watchdog.sh`;
  if (how === 'systemd-run') return ['systemd-run', `--unit=${unit}`, '--collect', '--quiet', '/bin/sh', script, dir, String(deadlineEpoch)];
  return ['sh', '-c', 'setsid /bin/sh "$1" "$2" "$3" </dev/null >/dev/null 2>&1 &', 'sh', script, dir, String(deadlineEpoch)];
}

export async function hasSystemd(target: Target): Promise<boolean> {
  const res = await target.exec(['sh', '-c', '[ -d /run/systemd/system ] && command -v systemd-run >/dev/null'], { privileged: true }).catch(() => null);
  return res?.code === 0;
}

/** Durations as people write them: 20s, 5m, 1h30m, 90 (seconds). */
export function parseDuration(s: string): number {
  const t = s.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const re = /(\d+)\s*(h|m|s)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(t))) {
    total += Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
    end = re.lastIndex;
  }
  if (end !== t.length || total <= 0) throw new Error(`not a duration: ${s} (use e.g. 20s, 5m, 1h)`);
  return total;
}
