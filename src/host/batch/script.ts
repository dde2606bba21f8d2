import { shQuote } from '../../core/shell.js';
import { orderedRoots, SMALL_FILE, type BatchPlan, type RootPlan } from './plan.js';

/**
 * The batch as one POSIX sh script, sent on the standard input of `sh -s` (under one `sudo -n`), so
 * that nothing is installed on the host and nothing but the constant `sh -s` shows in its process
 * list. Everything it prints is a record of NUL-terminated fields (find -printf), and file contents
 * and command outputs are raw bytes closed by a nonce that only this script and ir know: it is never
 * in an argv (printf is a shell builtin) and a hostile file cannot forge it. Contents of regular files
 * come last, as one tar per root (GNU tar, reading names from find -print0); files of /proc and /sys
 * report size 0, so those are read by `cat`, framed; without GNU tar every file is.
 *
 * Records (see frames.ts): V header, Z cannot run, A absent, P probe (lstat of an absolute path),
 * R root entered, M entry under a root, U directory not readable, D file not readable, C content,
 * X command output, E end of records (the tar streams follow).
 */

/** find -printf fields of an entry: type, mode, uid, gid, size, atime, mtime, ctime, inode, links */
const STAT = '%y\\0%m\\0%U\\0%G\\0%s\\0%A@\\0%T@\\0%C@\\0%i\\0%n\\0';

/** find -regex never matches this (paths start with `./`): "enter no directory" */
const NOTHING = '/';

const union = (res: string[]): string => (res.length ? `(${res.join('|')})` : NOTHING);

const hasContent = (rp: RootPlan) => rp.content.length + rp.small.length > 0;

/**
 * One root's walk: `w IDX ROOT DESCEND PRINT CONTENT PSEUDO SAMEAS SMALL`; IDX never starts with a
 * digit (find -printf would read `\\0` and it as one octal escape)
 */
function rootCall(idx: string, rp: RootPlan, rootExpr: string): string {
  // `.` (the root itself) is entered and reported: its lstat makes paths through it resolve
  return ['w', idx, rootExpr, shQuote(union(['\\.', ...rp.descend])), shQuote(union(['\\.', ...rp.print])), shQuote(hasContent(rp) ? union(rp.content) : ''), rp.pseudo ? '1' : '0', rp.sameAs ? shQuote(rp.sameAs) : "''", shQuote(union(rp.small))].join(' ');
}

function tarCall(idx: string, rp: RootPlan, rootExpr: string): string {
  return ['t', idx, rootExpr, shQuote(union(rp.descend)), shQuote(union(rp.content)), rp.sameAs ? shQuote(rp.sameAs) : "''", shQuote(union(rp.small))].join(' ');
}

/** Function definitions and the tool check, once per shell: a batch's or a session's. */
function prelude(nonce: string, onRefuse: 'return' | 'exit'): string[] {
  const stat = STAT;
  return [
    'set -f',
    // a stop (TERM on the channel) goes to the running command's process group: GNU timeout makes one
    // of its own, which the channel's KILL (sent to the shell's group a second later) never reaches, so
    // the KILL is sent here too, half a second on, for a command that handles TERM (fail2ban-client)
    // (`kill -SIG -PID`: dash's kill takes no `--`)
    `trap 'if [ -n "$XP" ]; then kill -TERM -"$XP" 2>/dev/null || kill -TERM "$XP" 2>/dev/null; sleep 0.5; kill -KILL -"$XP" 2>/dev/null || kill -KILL "$XP" 2>/dev/null; fi; exit 143' TERM HUP`,
    `N=${shQuote(nonce)}; export N`,
    "p() { printf '%s\\0' \"$@\"; }",
    '{ F=$(find --version | head -n 1); T=$(tar --version | head -n 1); O=$(timeout --version | head -n 1); B=$(command -v bash); } </dev/null 2>/dev/null',
    // readers of framed contents (`READER KEY FILE...`): cat, one process per file; and for /proc and
    // /sys, where there are hundreds of small files, bash's own read (NUL-safe with -d ''), no process at all
    `RC='i=$1; shift; for f; do printf "C\\0%s\\0%s\\0" "$i" "\${f#./}"; cat -- "$f" 2>/dev/null; printf "\\0%s\\0%s\\0" "$N" "$?"; done'`,
    `RB='i=$1; shift; for f; do printf "C\\0%s\\0%s\\0" "$i" "\${f#./}"; if exec 4< "$f"; then a=; while IFS= read -r -d "" a <&4; do printf "%s\\0" "$a"; done; [ -n "$a" ] && printf "%s" "$a"; exec 4<&-; s=0; else s=1; fi; printf "\\0%s\\0%s\\0" "$N" "$s"; done'`,
    'rd() { if [ -n "$B" ]; then "$B" -c "$RB" bash "$@" 2>/dev/null; else sh -c "$RC" sh "$@"; fi; }',
    'case $T in *GNU*) ;; *) T= ;; esac',
    'case $O in *GNU*) ;; *) O= ;; esac',
    'p V "$N" "$F" "$T" "$O" "$(id -u)"',
    `case $F in *GNU*) ;; *) p Z "$N" "find is not GNU find: \${F:-not found}"; ${onRefuse} 0 ;; esac`,
    // a directory the walk enters but cannot read, and a file it cannot read, are said so: never "empty"
    // under a prefix (X: an image's layer, a running container's /proc/PID/root) a root is entered only
    // when no name on its way is a link, `.` or `..`: the host would resolve an absolute link against its
    // own /, out of the tree (the snapshot resolves such links itself, inside the tree). No getcwd there:
    // it fails in another mount namespace (/proc/PID/root), so no `pwd -P` either.
    'plain() { case "$1/" in */../*|*/./*) return 1 ;; esac; ( IFS=/; r=$X; for q in $1; do [ -n "$q" ] || continue; r=$r/$q; [ -h "$r" ] && exit 1; done; exit 0 ); }',
    // enters a root: physically on the host itself (c: where it really is), by plain names under a prefix
    'enter() { if [ -z "$X" ]; then cd -P -- "$1" 2>/dev/null || return 1; c=$(pwd -P); else plain "$1" || return 2; cd -- "$X$1" 2>/dev/null || return 1; plain "$1" || { cd /; return 2; }; c=$1; fi; }',
    `w() {`,
    '  if [ -n "$7" ] && [ "$X$2" -ef "$X$7" ]; then return 0; fi',
    '  enter "$2"; case $? in 0) ;; 1) [ -e "$X$2" ] || [ -h "$X$2" ] || p A "$2"; return 0 ;; *) return 0 ;; esac',
    '  p R "$1" "$2" "$c"',
    `  { [ -r . ] && [ -x . ]; } || p U "$1" ''`,
    `  find . -maxdepth 64 -regextype posix-extended \\( -regex "$4" -printf "M\\\\0$1\\\\0${stat}%P\\\\0%l\\\\0" \\) , \\( -type d -regex "$3" \\( ! -readable -o ! -executable \\) -printf "U\\\\0$1\\\\0%P\\\\0" \\) , \\( -type f -regex "$5" ! -readable -printf "D\\\\0$1\\\\0%P\\\\0" \\) , \\( -type d ! -regex "$3" -prune \\) 2>/dev/null`,
    // contents by cat, framed: /proc and /sys, a host without GNU tar, a session's requests (C set)
    '  if [ -n "$5" ] && { [ "$6" = 1 ] || [ -z "$T" ] || [ -n "$C" ]; }; then',
    '    if [ "$6" = 1 ] && [ -n "$B" ]; then RI=$B; RS=$RB; else RI=sh; RS=$RC; fi',
    `    find . -mindepth 1 -maxdepth 64 -regextype posix-extended \\( -type d ! -regex "$3" -prune \\) -o \\( -type f -readable \\( -regex "$5" -size -"$MAX"c -o -regex "$8" -size -${SMALL_FILE + 1}c \\) -exec "$RI" -c "$RS" "$RI" "$1" {} + \\) 2>/dev/null`,
    '  fi',
    '  cd /',
    '}',
    't() {',
    '  if [ -n "$5" ] && [ "$X$2" -ef "$X$5" ]; then return 0; fi',
    '  enter "$2" || return 0',
    `  find . -mindepth 1 -maxdepth 64 -regextype posix-extended \\( -type d ! -regex "$3" -prune \\) -o \\( -type f -readable \\( -regex "$4" -size -"$MAX"c -o -regex "$6" -size -${SMALL_FILE + 1}c \\) -print0 \\) 2>/dev/null | tar --null --verbatim-files-from --no-recursion -T - -b 1 --ignore-failed-read --warning=none --transform "s,^\\\\./,$1/," -cf - 2>/dev/null`,
    '  cd /',
    '}',
    // a command: stdout framed on stdout, stderr framed on the channel's stderr (fd 3), GNU timeout when there is one
    'x() {',
    '  i=$1; s=$2; shift 2',
    "  p X \"$i\"; printf 'X\\0%s\\0' \"$i\" >&3",
    // in the background, waited for: a TERM (a playbook step stopped, its channel signalled) interrupts
    // `wait` and the trap passes it on (GNU timeout passes it to the command); a foreground command
    // would hold the trap until it ended, and the KILL that follows never reaches timeout's own group
    '  if [ -n "$O" ]; then timeout -s KILL "$s" env LC_ALL=C "$@" 2>&3 & else env LC_ALL=C "$@" 2>&3 & fi',
    '  XP=$!; wait "$XP"; r=$?; XP=',
    "  printf '\\0%s\\0%s\\0' \"$N\" \"$r\"; printf '\\0%s\\0' \"$N\" >&3",
    '}',
  ];
}

/** Splits the newline-separated homes into "$@" and back to the default splitting. */
const HOMES_ARGS = ["IFS='", "'", 'set -- $H', 'unset IFS'];

/** What a plan reads, as lines of the shell; `tar` adds the tar streams after the E record (a batch, never a session). */
function body(plan: BatchPlan, opts: { tar: boolean }): string[] {
  const stat = STAT;
  const L: string[] = [`MAX=${Math.max(1, Math.floor(plan.maxFileBytes) + 1)}`];
  if (plan.prefix) L.push(`X=${shQuote(plan.prefix)}; p W "$X"`);
  else L.push("X=''");
  // probes: lstat of a few absolute paths, absent ones said so
  const probes = plan.probes.map(shQuote).join(' ');
  if (probes) {
    L.push(`for x in ${probes}; do [ -e "$X$x" ] || [ -h "$X$x" ] || p A "$x"; done`);
    L.push(`set --; for x in ${probes}; do set -- "$@" "$X$x"; done`);
    L.push(`find -P "$@" -maxdepth 0 -printf 'P\\0${stat}%p\\0%l\\0' 2>/dev/null`);
  }
  // volatile first: commands, then /proc and /sys, then files
  for (const c of plan.commands) L.push(['x', String(c.id), String(Math.max(1, Math.ceil(c.timeoutMs / 1000))), ...c.argv.map(shQuote)].join(' '));
  const ordered = orderedRoots(plan);
  const homes = ordered.find((r) => r.root === null);
  ordered.forEach((rp, i) => {
    if (rp.root !== null && rp.pseudo) L.push(rootCall(`r${i}`, rp, shQuote(rp.root)));
  });
  if (plan.pseudoFiles.length) {
    // a link is never read here (/proc/PID/exe is a program, and only the host opens magic links right)
    L.push(`set --; for f in ${plan.pseudoFiles.map(shQuote).join(' ')}; do [ -f "$f" ] && [ ! -h "$f" ] && set -- "$@" "$f"; done`, '[ $# -gt 0 ] && rd / "$@"');
  }
  if (plan.netnsFiles.length) {
    // one process per network namespace (`test -ef` on ns/net compares the namespaces): N records map
    // every process to it, and its net files come framed
    L.push(
      "set +f; R=''",
      'for d in /proc/[0-9]*; do [ -e "$d/ns/net" ] || continue; for r in $R; do if [ "$d/ns/net" -ef "$r/ns/net" ]; then p N "${d#/proc/}" "${r#/proc/}"; continue 2; fi; done; R="$R $d"; p N "${d#/proc/}" "${d#/proc/}"; done',
      'set -f',
      `set --; for r in $R; do for f in ${plan.netnsFiles.join(' ')}; do set -- "$@" "\${r#/proc/}/net/$f"; done; done`,
      '[ $# -gt 0 ] && { cd /proc && rd n "$@"; cd /; }',
    );
  }
  ordered.forEach((rp, i) => {
    if (rp.root !== null && !rp.pseudo) L.push(rootCall(`r${i}`, rp, shQuote(rp.root)));
  });
  if (homes) {
    // every home of /etc/passwd once (a relative one is not a home; / is, for daemons)
    L.push(
      // under a prefix a passwd that is a link is not followed (an absolute one names the host's file)
      "H=''; n=0; PW=$X/etc/passwd; [ -n \"$X\" ] && [ -h \"$PW\" ] && PW=/dev/null",
      'while IFS=: read -r _u _x _i _g _c h _s; do',
      '  case $h in /*) ;; *) continue ;; esac',
      '  case "$H" in *"',
      '$h',
      '"*) continue ;; esac',
      '  H="$H',
      '$h',
      '"',
      'done < "$PW"',
      ...HOMES_ARGS,
      `for h do n=$((n+1)); ${rootCall('h$n', homes, '"$h"')}; done`,
    );
  }
  if (!opts.tar) return L;
  L.push('p E "$N"');
  if (ordered.some((r) => !r.pseudo && hasContent(r))) {
    L.push('if [ -n "$T" ]; then');
    ordered.forEach((rp, i) => {
      if (rp.root !== null && !rp.pseudo && hasContent(rp)) L.push(tarCall(`r${i}`, rp, shQuote(rp.root)));
    });
    if (homes && hasContent(homes)) L.push(...HOMES_ARGS, `n=0; for h do n=$((n+1)); ${tarCall('h$n', homes, '"$h"')}; done`);
    L.push('fi');
  }
  return L;
}

/** A batch: one `sh -s` that reads everything, then the tar streams to its end. */
export function batchScript(plan: BatchPlan, nonce: string): string {
  return ['main() {', ...prelude(nonce, 'return'), ...body(plan, { tar: true }), '}', 'main </dev/null 3>&2 2>/dev/null', ''].join('\n');
}

/**
 * A session: the same shell kept open for the follow-ups, fed one request at a time on its stdin
 * (one round trip each instead of a channel, a sudo and a shell). Its prelude prints the V header.
 */
export function sessionPrelude(nonce: string): string {
  return [...prelude(nonce, 'exit'), ''].join('\n');
}

/** One request of a session: contents framed by cat (no tar: the stream goes on), ended by its Q record. */
export function sessionRequest(plan: BatchPlan, id: number): string {
  const f = `q${id}`;
  return [`${f}() {`, 'C=1', ...body(plan, { tar: false }), `p Q "$N" ${id}`, '}', `${f} </dev/null 3>&2 2>/dev/null; unset -f ${f}`, ''].join('\n');
}

/** One command in a session: stdout framed on stdout, stderr framed on the channel's stderr, then its Q record. */
export function sessionCommand(argv: string[], timeoutMs: number, id: number): string {
  const f = `q${id}`;
  return [`${f}() {`, ['x', '0', String(Math.max(1, Math.ceil(timeoutMs / 1000))), ...argv.map(shQuote)].join(' '), `p Q "$N" ${id}`, '}', `${f} </dev/null 3>&2 2>/dev/null; unset -f ${f}`, ''].join('\n');
}
