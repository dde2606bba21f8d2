import { promises as fsp } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { globRegExp, keywordLines } from './openssh-syntax.js';

/** The subset of ssh_config(5) that ir honours. First obtained value wins, as in OpenSSH. */
export interface SshConfigEntry {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  proxyJump?: string;
  userKnownHostsFiles?: string[];
  identitiesOnly?: boolean;
}

interface Block {
  patterns: string[];
  options: [string, string][];
}

function parse(text: string): Block[] {
  const blocks: Block[] = [{ patterns: ['*'], options: [] }];
  for (const kw of keywordLines(text)) {
    const key = kw.key;
    const value = kw.value.replace(/^"(.*)"$/, '$1');
    if (key === 'host') blocks.push({ patterns: value.split(/\s+/), options: [] });
    else if (key === 'match') blocks.push({ patterns: ['!*'], options: [] }); // Match blocks: not evaluated, skipped
    else blocks.at(-1)!.options.push([key, value]);
  }
  return blocks;
}

function hostMatches(patterns: string[], host: string): boolean {
  let ok = false;
  for (const p of patterns) {
    const neg = p.startsWith('!');
    if (globRegExp(neg ? p.slice(1) : p, 'i').test(host)) {
      if (neg) return false;
      ok = true;
    }
  }
  return ok;
}

export function expandTilde(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}

/** Reads the config for `alias` (the name typed after --host). A missing file is an empty config. */
export async function sshConfigFor(alias: string, file = join(homedir(), '.ssh', 'config')): Promise<SshConfigEntry> {
  let text = '';
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    /* no config */
  }
  const entry: SshConfigEntry = { identityFiles: [] };
  for (const block of parse(text)) {
    if (!hostMatches(block.patterns, alias)) continue;
    for (const [key, value] of block.options) {
      switch (key) {
        case 'hostname':
          entry.hostName ??= value;
          break;
        case 'user':
          entry.user ??= value;
          break;
        case 'port':
          entry.port ??= Number(value);
          break;
        case 'identityfile':
          entry.identityFiles.push(value);
          break;
        case 'proxyjump':
          entry.proxyJump ??= value === 'none' ? undefined : value;
          break;
        case 'userknownhostsfile':
          entry.userKnownHostsFiles ??= value.split(/\s+/);
          break;
        case 'identitiesonly':
          entry.identitiesOnly ??= value.toLowerCase() === 'yes';
          break;
      }
    }
  }
  return entry;
}

/** ssh_config's `%` tokens in IdentityFile and friends. */
export function expandTokens(s: string, t: { host: string; user: string; port: number; alias: string }): string {
  return expandTilde(
    s.replace(/%(.)/g, (_, c: string) => {
      switch (c) {
        case '%':
          return '%';
        case 'h':
          return t.host;
        case 'n':
          return t.alias;
        case 'r':
          return t.user;
        case 'p':
          return String(t.port);
        case 'u':
          return userInfo().username;
        case 'd':
          return homedir();
        default:
          return '%' + c;
      }
    }),
  );
}
