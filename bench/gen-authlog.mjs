#!/usr/bin/env node
/**
 * Writes a large, realistic sshd/sudo/cron auth log for the benchmark and the fast-path test.
 *
 *   node bench/gen-authlog.mjs OUT_FILE SIZE_MB [--rfc3339] [--seed N]
 *
 * The log mixes the line shapes OpenSSH, PAM, sudo and cron write on Debian and Ubuntu: brute force
 * from a few hundred addresses (documentation ranges only for IPv6; random IPv4), invalid users,
 * publickey and password logins, preauth disconnects, sudo commands, cron sessions. Timestamps are
 * classic syslog (`Feb  4 12:00:01`) unless --rfc3339 is given (rsyslog's newer default).
 *
 * The same seed gives the same file, byte for byte the file of the Python generator the first
 * benchmarks used (its random.Random: MT19937 seeded by init_by_array, random() from two draws,
 * randint and choice by rejection on getrandbits), so numbers stay comparable across the port.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

/** Python's random.Random(seed) for an int seed below 2^32: the draws this generator uses. */
class PyRandom {
  constructor(seed) {
    this.mt = new Uint32Array(624);
    this.i = 625;
    this.initByArray([seed >>> 0]);
  }

  initGenrand(s) {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < 624; i++) mt[i] = (Math.imul(1812433253, mt[i - 1] ^ (mt[i - 1] >>> 30)) + i) >>> 0;
    this.i = 624;
  }

  initByArray(key) {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(624, key.length); k > 0; k--) {
      mt[i] = ((mt[i] ^ Math.imul(mt[i - 1] ^ (mt[i - 1] >>> 30), 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= 624) {
        mt[0] = mt[623];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = 623; k > 0; k--) {
      mt[i] = ((mt[i] ^ Math.imul(mt[i - 1] ^ (mt[i - 1] >>> 30), 1566083941)) - i) >>> 0;
      i++;
      if (i >= 624) {
        mt[0] = mt[623];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  uint32() {
    const mt = this.mt;
    if (this.i >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k] & 0x80000000) | (mt[(k + 1) % 624] & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.i = 0;
    }
    let y = mt[this.i++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  random() {
    const a = this.uint32() >>> 5;
    const b = this.uint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** _randbelow_with_getrandbits (n < 2^32) */
  below(n) {
    const k = 32 - Math.clz32(n);
    let r = this.uint32() >>> (32 - k);
    while (r >= n) r = this.uint32() >>> (32 - k);
    return r;
  }

  randint(a, b) {
    return a + this.below(b - a + 1);
  }

  choice(seq) {
    return seq[this.below(seq.length)];
  }
}

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n) => String(n).padStart(2, '0');

export function generate(out, sizeMb, { rfc = false, seed = 7 } = {}) {
  const rnd = new PyRandom(seed);
  const attackers = [];
  for (let i = 0; i < 400; i++) attackers.push(`${rnd.randint(1, 223)}.${rnd.randint(0, 255)}.${rnd.randint(0, 255)}.${rnd.randint(1, 254)}`);
  for (let i = 0; i < 20; i++) attackers.push(`2001:db8:${rnd.randint(0, 0xffff).toString(16)}::${rnd.randint(1, 0xffff).toString(16)}`);
  const staff = ['198.51.100.7', '198.51.100.8', '192.0.2.44'];
  const users = ['root', 'admin', 'test', 'ubuntu', 'oracle', 'postgres', 'git', 'user', 'pi', 'ftp', 'guest', 'deploy'];
  const realUsers = ['deploy', 'packamal', 'andre'];
  const host = 'web-01';
  // microseconds since the epoch (exact in a double for centuries)
  let t = Date.UTC(2026, 1, 1) * 1000;
  const limit = Math.floor(sizeMb * 1024 * 1024);
  let written = 0;
  let pid = 1000;
  const stamp = () => {
    const d = new Date(Math.floor(t / 1000));
    const hms = `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
    if (rfc) return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}T${hms}.${String(t % 1e6).padStart(6, '0')}+00:00`;
    return `${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${hms}`;
  };
  const fd = openSync(out, 'w');
  try {
    let buf = [];
    while (written < limit) {
      t += rnd.randint(1000, 900000);
      pid = pid < 4_000_000 ? pid + 1 : 1000;
      const s = stamp();
      const r = rnd.random();
      const lines = [];
      if (r < 0.62) {
        const ip = rnd.choice(attackers);
        const port = rnd.randint(1024, 65535);
        const u = rnd.choice(users);
        if (u === 'root' || u === 'deploy') {
          lines.push(`${s} ${host} sshd[${pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${u}`);
          lines.push(`${s} ${host} sshd[${pid}]: Failed password for ${u} from ${ip} port ${port} ssh2`);
          if (rnd.random() < 0.2) lines.push(`${s} ${host} sshd[${pid}]: error: maximum authentication attempts exceeded for ${u} from ${ip} port ${port} ssh2 [preauth]`);
          lines.push(`${s} ${host} sshd[${pid}]: Connection closed by authenticating user ${u} ${ip} port ${port} [preauth]`);
        } else {
          lines.push(`${s} ${host} sshd[${pid}]: Invalid user ${u} from ${ip} port ${port}`);
          lines.push(`${s} ${host} sshd[${pid}]: pam_unix(sshd:auth): check pass; user unknown`);
          lines.push(`${s} ${host} sshd[${pid}]: Failed password for invalid user ${u} from ${ip} port ${port} ssh2`);
          lines.push(`${s} ${host} sshd[${pid}]: Disconnected from invalid user ${u} ${ip} port ${port} [preauth]`);
        }
      } else if (r < 0.72) {
        const ip = rnd.choice(attackers);
        const port = rnd.randint(1024, 65535);
        lines.push(`${s} ${host} sshd[${pid}]: Received disconnect from ${ip} port ${port}:11: Bye Bye [preauth]`);
        lines.push(`${s} ${host} sshd[${pid}]: Disconnected from authenticating user root ${ip} port ${port} [preauth]`);
      } else if (r < 0.8) {
        const ip = rnd.choice(staff);
        const port = rnd.randint(1024, 65535);
        const u = rnd.choice(realUsers);
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
        let fp = '';
        for (let i = 0; i < 43; i++) fp += rnd.choice(alphabet);
        lines.push(`${s} ${host} sshd[${pid}]: Accepted publickey for ${u} from ${ip} port ${port} ssh2: ED25519 SHA256:${fp}`);
        lines.push(`${s} ${host} sshd[${pid}]: pam_unix(sshd:session): session opened for user ${u}(uid=1000) by (uid=0)`);
        lines.push(`${s} ${host} systemd-logind[411]: New session ${pid % 9999} of user ${u}.`);
      } else if (r < 0.86) {
        const u = rnd.choice(realUsers);
        const cmd = rnd.choice(['/usr/bin/docker ps', '/usr/bin/systemctl restart gunicorn', '/usr/bin/journalctl -u gunicorn', '/usr/bin/docker compose logs']);
        lines.push(`${s} ${host} sudo:   ${u} : TTY=pts/0 ; PWD=/home/${u} ; USER=root ; COMMAND=${cmd}`);
        lines.push(`${s} ${host} sudo: pam_unix(sudo:session): session opened for user root(uid=0) by ${u}(uid=1000)`);
        lines.push(`${s} ${host} sudo: pam_unix(sudo:session): session closed for user root`);
      } else if (r < 0.97) {
        lines.push(`${s} ${host} CRON[${pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`);
        lines.push(`${s} ${host} CRON[${pid}]: pam_unix(cron:session): session closed for user root`);
      } else {
        const ip = rnd.choice(attackers);
        const port = rnd.randint(1024, 65535);
        lines.push(`${s} ${host} sshd[${pid}]: Connection reset by ${ip} port ${port} [preauth]`);
        lines.push(`${s} ${host} sshd[${pid}]: banner exchange: Connection from ${ip} port ${port}: invalid format`);
      }
      const chunk = lines.join('\n') + '\n';
      buf.push(chunk);
      written += chunk.length;
      if (buf.length >= 4096) {
        writeSync(fd, buf.join(''));
        buf = [];
      }
    }
    writeSync(fd, buf.join(''));
  } finally {
    closeSync(fd);
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const pos = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--seed');
  if (pos.length !== 2 || !(Number(pos[1]) > 0)) {
    process.stderr.write('usage: node bench/gen-authlog.mjs OUT_FILE SIZE_MB [--rfc3339] [--seed N]\n');
    process.exit(2);
  }
  const si = args.indexOf('--seed');
  generate(pos[0], Number(pos[1]), { rfc: args.includes('--rfc3339'), seed: si >= 0 ? Number(args[si + 1]) : 7 });
}
